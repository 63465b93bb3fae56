/**
 * Fill → WebSocket latency across gateway instances. `instances` gateways share one
 * PostgreSQL database and one bus; `subscribers` sockets are spread so that every trader has
 * sockets on every instance. One sample at a time (paced, never overlapping), the bench places
 * a resting order through instance 0, waits until every socket of the trader has its
 * order.acked, asks for a fill (of the instance whose simulated exchange holds the order,
 * which commits it) and times order.filled on:
 * - the trader's first socket on that instance (local), and
 * - its first socket on another instance (remote),
 * each from the event's own `timestamp` (the execution at the simulated exchange; millisecond
 * resolution, truncated, so up to 1 ms high) and from just before the fill request was written;
 * and the last socket of the trader anywhere. Every socket must get the event, every sample.
 * Memory per connection is each instance's RSS growth over the sockets it holds. Samples are
 * measured after a warm-up of `warmupSeconds` (see warmUp.ts), reported apart.
 */
import { Agent, request } from 'node:http';
import WebSocket from 'ws';
import { restingOrderBody, tokensFor, traderIds } from './intake.ts';
import { rssKiB, sleep, startGatewayProcess, type GatewayOptions } from './processes.ts';
import { summarize, type LatencySummary } from './stats.ts';
import { WarmUp } from './warmUp.ts';

export interface FanoutPlan {
  readonly instances: number;
  readonly subscribers: number;
  readonly traders: number;
  readonly samples: number;
  /** Seconds of unmeasured samples first (see warmUp.ts). */
  readonly warmupSeconds: number;
  readonly paceMs: number;
}

export interface FanoutResult {
  readonly instances: number;
  readonly subscribers: number;
  readonly traders: number;
  readonly openSeconds: number;
  readonly rssKiB: Array<{ readonly before: number; readonly after: number; readonly sockets: number }>;
  readonly kiBPerConnection: number;
  readonly samples: number;
  readonly localFromExecutionMs: LatencySummary;
  readonly localFromRequestMs: LatencySummary;
  readonly remoteFromExecutionMs: LatencySummary | null;
  readonly remoteFromRequestMs: LatencySummary | null;
  readonly lastFromRequestMs: LatencySummary;
  readonly warmupSeconds: number;
  /** The warm-up's own samples from the execution timestamp, on another instance (or the one instance). */
  readonly coldFromExecutionMs: LatencySummary;
}

interface Arrival {
  readonly firstOn: number[];
  last: number;
  count: number;
  readonly timestamp: string;
}

/** Arrivals per `${orderId} ${event}`, with a waiter woken once every socket of the trader has it. */
class Deliveries {
  readonly #seen = new Map<string, Arrival>();
  readonly #waiters = new Map<string, { count: number; wake: () => void }>();

  constructor(private readonly instances: number) {}

  record(key: string, timestamp: string, instance: number, at: number): void {
    let arrival = this.#seen.get(key);
    if (!arrival) this.#seen.set(key, (arrival = { firstOn: Array(this.instances).fill(Number.NaN), last: at, count: 0, timestamp }));
    if (Number.isNaN(arrival.firstOn[instance]!)) arrival.firstOn[instance] = at;
    arrival.last = at;
    arrival.count += 1;
    const waiter = this.#waiters.get(key);
    if (waiter && arrival.count >= waiter.count) waiter.wake();
  }

  async wait(key: string, count: number, timeoutMs: number): Promise<Arrival> {
    if ((this.#seen.get(key)?.count ?? 0) < count) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((wake) => this.#waiters.set(key, { count, wake })),
        new Promise<void>((_, reject) => (timer = setTimeout(() => reject(new Error(
          `${key}: ${this.#seen.get(key)?.count ?? 0} of ${count} sockets got it within ${timeoutMs} ms`)), timeoutMs))),
      ]).finally(() => {
        clearTimeout(timer);
        this.#waiters.delete(key);
      });
    }
    const arrival = this.#seen.get(key)!;
    this.#seen.delete(key);
    return arrival;
  }
}

/** performance.now() aligned to Date.now() right after it ticks, so arrival and event timestamps share a clock. */
function wallClock(): () => number {
  const start = Date.now();
  let now = Date.now();
  while (now === start) now = Date.now();
  const offset = now - performance.now();
  return () => performance.now() + offset;
}

function post(agent: Agent, url: string, token: string, body: string): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, {
      method: 'POST', agent,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

function openSocket(url: string, onMessage: (data: WebSocket.RawData) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.on('message', onMessage);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** `gateway(i)`: the options of instance i; all share a database and a bus. */
export async function measureFanout(plan: FanoutPlan, gateway: (instance: number) => GatewayOptions, log: (line: string) => void): Promise<FanoutResult> {
  const options = gateway(0);
  const gateways = await Promise.all(Array.from({ length: plan.instances }, (_, i) => startGatewayProcess(gateway(i))));
  const sockets: WebSocket[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    // Every trader needs a socket on every instance, so that each sample has a local and a remote arrival.
    const traderCount = Math.max(1, Math.min(plan.traders, Math.floor(plan.subscribers / plan.instances)));
    const tokens = await tokensFor(options.jwtSecret, traderIds(traderCount, 'fanout-trader'));
    const socketsOf = (trader: number) => Math.floor(plan.subscribers / traderCount) + (trader < plan.subscribers % traderCount ? 1 : 0);
    const deliveries = new Deliveries(plan.instances);
    let wallNow = wallClock();

    await sleep(1000);
    const before = gateways.map((gateway) => rssKiB(gateway.pid));
    const perInstance = Array<number>(plan.instances).fill(0);
    const opening = performance.now();
    for (let start = 0; start < plan.subscribers; start += 100) {
      const batch = Array.from({ length: Math.min(100, plan.subscribers - start) }, (_, j) => {
        const index = start + j;
        const trader = index % traderCount;
        const instance = Math.floor(index / traderCount) % plan.instances;
        perInstance[instance]! += 1;
        const base = gateways[instance]!.url.replace(/^http/, 'ws');
        return openSocket(`${base}/ws/orders/events?token=${tokens[trader]}&since=0`, (data) => {
          const at = wallNow();
          const message = JSON.parse(data.toString()) as { event: string; order_id: string; timestamp: string };
          if (message.event === 'order.acked' || message.event === 'order.filled') deliveries.record(`${message.order_id} ${message.event}`, message.timestamp, instance, at);
        });
      });
      sockets.push(...(await Promise.all(batch)));
    }
    const openSeconds = (performance.now() - opening) / 1000;
    await sleep(2000);
    const after = gateways.map((gateway) => rssKiB(gateway.pid));
    const rss = gateways.map((_, i) => ({ before: before[i]!, after: after[i]!, sockets: perInstance[i]! }));
    const kiBPerConnection = rss.reduce((sum, r) => sum + r.after - r.before, 0) / plan.subscribers;
    log(`  ${plan.subscribers} sockets on ${plan.instances} instance(s) open in ${openSeconds.toFixed(1)} s; ${kiBPerConnection.toFixed(1)} KiB RSS per connection`);

    const local = { execution: [] as number[], request: [] as number[] };
    const remote = { execution: [] as number[], request: [] as number[] };
    const last: number[] = [];
    const cold: number[] = [];
    const warmUp = new WarmUp(plan.warmupSeconds);
    const entry = gateways[0]!.url;
    for (let i = 0; last.length < plan.samples; i += 1) {
      const warming = warmUp.cold();
      const trader = i % traderCount;
      const placed = await post(agent, `${entry}/api/v1/orders`, tokens[trader]!, restingOrderBody(i));
      if (placed.status !== 201) throw new Error(`placing an order answered ${placed.status}: ${JSON.stringify(placed.json)}`);
      const orderId = placed.json.id as string;
      await deliveries.wait(`${orderId} order.acked`, socketsOf(trader), 10_000);

      // Any instance may have dispatched the order, to its own simulated exchange: the fill is
      // asked of each in turn until the one holding it answers; that one commits the fill.
      wallNow = wallClock();
      let sent = 0;
      let filler = -1;
      for (let candidate = 0; candidate < plan.instances && filler < 0; candidate += 1) {
        sent = wallNow();
        const filled = await post(agent, `${gateways[candidate]!.url}/api/v1/orders/${orderId}/simulate_fill`, tokens[trader]!,
          JSON.stringify({ fills: [{ fill_price: '100.00', fill_qty: '10' }] }));
        if (filled.status === 200) filler = candidate;
        else if (filled.json?.code !== 'order_not_at_venue') throw new Error(`simulate_fill answered ${filled.status}: ${JSON.stringify(filled.json)}`);
      }
      if (filler < 0) throw new Error(`no instance holds order ${orderId} at its simulated exchange`);
      const arrival = await deliveries.wait(`${orderId} order.filled`, socketsOf(trader), 10_000);
      const executed = Date.parse(arrival.timestamp);
      if (warming) {
        cold.push(arrival.firstOn[plan.instances > 1 ? (filler + 1) % plan.instances : filler]! - executed);
        await sleep(plan.paceMs);
        continue;
      }
      local.execution.push(arrival.firstOn[filler]! - executed);
      local.request.push(arrival.firstOn[filler]! - sent);
      if (plan.instances > 1) {
        const other = (filler + 1) % plan.instances;
        remote.execution.push(arrival.firstOn[other]! - executed);
        remote.request.push(arrival.firstOn[other]! - sent);
      }
      last.push(arrival.last - sent);
      await sleep(plan.paceMs);
    }
    return {
      instances: plan.instances,
      subscribers: sockets.length,
      traders: traderCount,
      openSeconds,
      rssKiB: rss,
      kiBPerConnection,
      samples: last.length,
      localFromExecutionMs: summarize(local.execution),
      localFromRequestMs: summarize(local.request),
      remoteFromExecutionMs: plan.instances > 1 ? summarize(remote.execution) : null,
      remoteFromRequestMs: plan.instances > 1 ? summarize(remote.request) : null,
      lastFromRequestMs: summarize(last),
      warmupSeconds: plan.warmupSeconds,
      coldFromExecutionMs: summarize(cold),
    };
  } finally {
    for (const socket of sockets) socket.terminate();
    agent.destroy();
    await Promise.all(gateways.map((gateway) => gateway.stop()));
  }
}
