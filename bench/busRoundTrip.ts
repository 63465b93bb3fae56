/**
 * The raw bus baseline for the fan-out bench: how long the broker itself takes to carry one
 * event-sized message from a publishing connection to a subscribing one, measured with the
 * plain client libraries (no gateway code) in the same run as the gateway figures. Redis:
 * PUBLISH → SUBSCRIBE. NATS: a JetStream publish (stored, acknowledged) → a plain subscription
 * on the subject, the path the gateway uses. One message in flight at a time, paced.
 */
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { sleep } from './processes.ts';
import { summarize, type LatencySummary } from './stats.ts';

export type BusKind = 'redis' | 'nats';

export interface RoundTripPlan {
  readonly bus: BusKind;
  readonly url: string;
  readonly namespace: string;
  readonly samples: number;
  readonly warmupSamples: number;
  readonly paceMs: number;
  readonly payloadBytes: number;
}

/** Resolves each sample's arrival; one outstanding at a time. */
function arrivals() {
  let wake: ((at: number) => void) | null = null;
  return {
    arrived: () => wake?.(performance.now()),
    next: () => new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('a bus round trip took over 5 s')), 5_000);
      wake = (at) => {
        clearTimeout(timer);
        wake = null;
        resolve(at);
      };
    }),
  };
}

async function sample(plan: RoundTripPlan, publish: (payload: string) => Promise<unknown>, next: () => Promise<number>): Promise<LatencySummary> {
  const times: number[] = [];
  const padding = 'x'.repeat(Math.max(0, plan.payloadBytes - 40));
  for (let i = 0; i < plan.warmupSamples + plan.samples; i += 1) {
    const arrival = next();
    const sent = performance.now();
    await publish(JSON.stringify({ seq: i + 1, padding }));
    const at = await arrival;
    if (i >= plan.warmupSamples) times.push(at - sent);
    await sleep(plan.paceMs);
  }
  return summarize(times);
}

export async function measureBusRoundTrip(plan: RoundTripPlan): Promise<LatencySummary> {
  const { arrived, next } = arrivals();
  if (plan.bus === 'redis') {
    const publisher = new Redis(plan.url);
    const subscriber = new Redis(plan.url);
    try {
      const channel = `${plan.namespace}:baseline`;
      await subscriber.subscribe(channel);
      subscriber.on('message', arrived);
      return await sample(plan, (payload) => publisher.publish(channel, payload), next);
    } finally {
      publisher.disconnect();
      subscriber.disconnect();
    }
  }
  const servers = plan.url.replace(/^nats:\/\//, '');
  const publisher = await connect({ servers });
  const subscriber = await connect({ servers });
  const stream = `${plan.namespace}_baseline`;
  const manager = await jetstreamManager(publisher);
  try {
    await manager.streams.add({ name: stream, subjects: [`${plan.namespace}.baseline`], storage: StorageType.File });
    subscriber.subscribe(`${plan.namespace}.baseline`, { callback: arrived });
    await subscriber.flush();
    const js = jetstream(publisher);
    let id = 0;
    return await sample(plan, (payload) => js.publish(`${plan.namespace}.baseline`, payload, { msgID: `baseline-${++id}` }), next);
  } finally {
    await manager.streams.delete(stream).catch(() => false);
    await publisher.close();
    await subscriber.close();
  }
}
