/**
 * Fill → WebSocket latency with many subscribers. The gateway holds `subscribers` sockets,
 * spread evenly over `traders`; then, one sample at a time (paced, never overlapping), the
 * bench places a resting order for one trader, waits for its order.acked, asks for a fill
 * and times the order.filled message on that trader's first socket:
 * (a) from the event's own `timestamp`, the simulated exchange's execution time. It has
 *     millisecond resolution and is truncated, so this reads up to 1 ms high;
 * (b) from just before the simulate_fill request was written, which includes the HTTP
 *     request: an upper bound on the gateway's fill-to-wire time.
 * Every socket of the trader must receive the event (checked for each sample); the last of
 * them is reported too. Wall-clock arrival times use a monotonic clock aligned to Date.now()
 * at a millisecond edge, so both sides of (a) read the same system clock.
 * Samples are measured after a warm-up of `warmupSeconds` (see warmUp.ts); the warm-up's own
 * samples are reported apart, as the gateway's first seconds after a start.
 */
import { Agent, request } from 'node:http';
import WebSocket from 'ws';
import { restingOrderBody, tokensFor, traderIds } from './intake.ts';
import { measureQuietly, type NoisePolicy } from './cpu.ts';
import { rssKiB, sleep, startGatewayProcess, type GatewayOptions } from './processes.ts';
import { summarize, type LatencySummary } from './stats.ts';
import { WarmUp } from './warmUp.ts';

export interface WebSocketPlan {
  readonly subscribers: number;
  readonly traders: number;
  readonly samples: number;
  /** Seconds of unmeasured samples first (see warmUp.ts). */
  readonly warmupSeconds: number;
  readonly paceMs: number;
  readonly noise: NoisePolicy;
}

export interface WebSocketResult {
  readonly subscribers: number;
  readonly traders: number;
  readonly openSeconds: number;
  readonly rssKiBBefore: number;
  readonly rssKiBAfter: number;
  readonly rssKiBPerSubscriber: number;
  readonly samples: number;
  readonly fromExecutionMs: LatencySummary;
  readonly fromRequestMs: LatencySummary;
  readonly lastSubscriberFromRequestMs: LatencySummary;
  readonly warmupSeconds: number;
  /** The warm-up's own samples, from the execution timestamp: the gateway just after it started. */
  readonly coldFromExecutionMs: LatencySummary;
  readonly gatewayCpuPercent: number;
  readonly databaseCpuPercent: number;
  readonly kernelCpuPercent: number;
  readonly otherCpuPercent: number;
  readonly attempts: number;
}

interface Arrival {
  first: number | null;
  last: number;
  count: number;
  timestamp: string;
}

/** Arrivals per `${orderId} ${event}`; the trader's socket 0 sets `first`. */
class Deliveries {
  readonly #seen = new Map<string, Arrival>();
  readonly #waiters = new Map<string, { count: number; wake: () => void }>();

  record(key: string, timestamp: string, isFirstSocket: boolean, at: number): void {
    const arrival = this.#seen.get(key) ?? { first: null, last: at, count: 0, timestamp };
    if (isFirstSocket) arrival.first = at;
    arrival.last = at;
    arrival.count += 1;
    this.#seen.set(key, arrival);
    const waiter = this.#waiters.get(key);
    if (waiter && arrival.count >= waiter.count && arrival.first !== null) waiter.wake();
  }

  async wait(key: string, count: number, timeoutMs: number): Promise<Arrival> {
    const ready = () => {
      const arrival = this.#seen.get(key);
      return arrival && arrival.count >= count && arrival.first !== null ? arrival : null;
    };
    if (!ready()) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((wake) => this.#waiters.set(key, { count, wake })),
        new Promise<void>((_, reject) => (timer = setTimeout(() => reject(new Error(
          `${key}: ${this.#seen.get(key)?.count ?? 0} of ${count} subscribers got it within ${timeoutMs} ms`)), timeoutMs))),
      ]).finally(() => {
        clearTimeout(timer);
        this.#waiters.delete(key);
      });
    }
    const arrival = ready()!;
    this.#seen.delete(key);
    return arrival;
  }
}

/** performance.now() plus the offset to Date.now(), taken right after Date.now() ticks. */
function wallClock(): () => number {
  const start = Date.now();
  let now = Date.now();
  while (now === start) now = Date.now();
  const offset = now - performance.now();
  return () => performance.now() + offset;
}

function openSocket(url: string, onMessage: (data: WebSocket.RawData) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.on('message', onMessage);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
    socket.once('close', (code) => reject(new Error(`socket closed with ${code} before it opened`)));
  });
}

async function postJson(agent: Agent, base: string, path: string, token: string, body: string): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(`${base}${path}`, {
      method: 'POST', agent,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: incoming.statusCode ?? 0, json: JSON.parse(text) });
        } catch {
          reject(new Error(`${path} answered ${incoming.statusCode} with non-JSON: ${text.slice(0, 200)}`));
        }
      });
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

interface Subscribers {
  readonly sockets: WebSocket[];
  readonly tokens: string[];
  readonly deliveries: Deliveries;
  /** How many sockets trader `i` holds. */
  socketsOf(trader: number): number;
  /** Re-aligns the arrival clock; call before each timed step. */
  realignClock(): () => number;
}

async function openSubscribers(plan: WebSocketPlan, wsBase: string, jwtSecret: string): Promise<Subscribers> {
  const traderCount = Math.min(plan.traders, plan.subscribers);
  const tokens = await tokensFor(jwtSecret, traderIds(traderCount, 'ws-trader'));
  const deliveries = new Deliveries();
  let wallNow = wallClock();
  const sockets: WebSocket[] = [];
  for (let start = 0; start < plan.subscribers; start += 50) {
    const batch = Array.from({ length: Math.min(50, plan.subscribers - start) }, (_, j) => {
      const index = start + j;
      return openSocket(`${wsBase}/ws/orders/events?token=${tokens[index % traderCount]}&since=0`, (data) => {
        const at = wallNow();
        const message = JSON.parse(data.toString()) as { event: string; order_id: string; timestamp: string };
        if (message.event === 'order.acked' || message.event === 'order.filled') {
          deliveries.record(`${message.order_id} ${message.event}`, message.timestamp, index < traderCount, at);
        }
      });
    });
    sockets.push(...(await Promise.all(batch)));
  }
  return {
    sockets,
    tokens,
    deliveries,
    socketsOf: (trader) => Math.floor(plan.subscribers / traderCount) + (trader < plan.subscribers % traderCount ? 1 : 0),
    realignClock: () => (wallNow = wallClock()),
  };
}

interface Samples {
  readonly fromExecution: number[];
  readonly fromRequest: number[];
  readonly lastSubscriber: number[];
  readonly coldFromExecution: number[];
}

/** A missing event's error names the order's state, so a stuck ack is told from a lost message. */
async function explained<T>(waiting: Promise<T>, baseUrl: string, orderId: string, token: string): Promise<T> {
  try {
    return await waiting;
  } catch (error) {
    const response = await fetch(`${baseUrl}/api/v1/orders/${orderId}`, { headers: { authorization: `Bearer ${token}` } }).catch(() => null);
    const order = response?.ok ? ((await response.json()) as { status?: string; events?: Array<{ kind?: string }> }) : null;
    const state = order ? `status ${order.status}, audit ${order.events?.map((e) => e.kind).join(' → ')}` : 'unreadable';
    throw new Error(`${(error as Error).message} (the order: ${state})`);
  }
}

async function sampleFills(plan: WebSocketPlan, baseUrl: string, subscribers: Subscribers, agent: Agent): Promise<Samples> {
  const { tokens, deliveries, socketsOf } = subscribers;
  const samples: Samples = { fromExecution: [], fromRequest: [], lastSubscriber: [], coldFromExecution: [] };
  const warmUp = new WarmUp(plan.warmupSeconds);
  for (let i = 0; samples.fromRequest.length < plan.samples; i++) {
    const cold = warmUp.cold();
    const trader = i % tokens.length;
    const placed = await postJson(agent, baseUrl, '/api/v1/orders', tokens[trader]!, restingOrderBody(i));
    if (placed.status !== 201) throw new Error(`placing an order answered ${placed.status}: ${JSON.stringify(placed.json)}`);
    const orderId = placed.json.id as string;
    await explained(deliveries.wait(`${orderId} order.acked`, socketsOf(trader), 5000), baseUrl, orderId, tokens[trader]!);

    const sent = subscribers.realignClock()();
    const filled = await postJson(agent, baseUrl, `/api/v1/orders/${orderId}/simulate_fill`, tokens[trader]!,
      JSON.stringify({ fills: [{ fill_price: '100.00', fill_qty: '10' }] }));
    if (filled.status !== 200) throw new Error(`simulate_fill answered ${filled.status}: ${JSON.stringify(filled.json)}`);
    const arrival = await explained(deliveries.wait(`${orderId} order.filled`, socketsOf(trader), 5000), baseUrl, orderId, tokens[trader]!);
    if (cold) {
      samples.coldFromExecution.push(arrival.first! - Date.parse(arrival.timestamp));
    } else {
      samples.fromExecution.push(arrival.first! - Date.parse(arrival.timestamp));
      samples.fromRequest.push(arrival.first! - sent);
      samples.lastSubscriber.push(arrival.last - sent);
    }
    await sleep(plan.paceMs);
  }
  return samples;
}

export async function measureFillLatency(plan: WebSocketPlan, prepare: () => Promise<GatewayOptions>, log: (line: string) => void): Promise<WebSocketResult> {
  const options = await prepare();
  const gateway = await startGatewayProcess(options);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let subscribers: Subscribers | null = null;
  try {
    await sleep(1000);
    const rssKiBBefore = rssKiB(gateway.pid);
    const opening = performance.now();
    subscribers = await openSubscribers(plan, gateway.url.replace(/^http/, 'ws'), options.jwtSecret);
    const openSeconds = (performance.now() - opening) / 1000;
    await sleep(1000);
    const rssKiBAfter = rssKiB(gateway.pid);
    log(`  ${plan.subscribers} subscribers open in ${openSeconds.toFixed(2)} s; gateway RSS ${(rssKiBBefore / 1024).toFixed(1)} → ${(rssKiBAfter / 1024).toFixed(1)} MiB`);

    const open = subscribers;
    const sampling = await measureQuietly(plan.noise, gateway.pid, 'fill samples', log, () => sampleFills(plan, gateway.url, open, agent));
    const samples = sampling.result;
    const result: WebSocketResult = {
      subscribers: open.sockets.length,
      traders: open.tokens.length,
      openSeconds,
      rssKiBBefore,
      rssKiBAfter,
      rssKiBPerSubscriber: (rssKiBAfter - rssKiBBefore) / open.sockets.length,
      samples: samples.fromRequest.length,
      fromExecutionMs: summarize(samples.fromExecution),
      fromRequestMs: summarize(samples.fromRequest),
      lastSubscriberFromRequestMs: summarize(samples.lastSubscriber),
      warmupSeconds: plan.warmupSeconds,
      coldFromExecutionMs: summarize(samples.coldFromExecution),
      gatewayCpuPercent: sampling.server,
      databaseCpuPercent: sampling.database,
      kernelCpuPercent: sampling.kernel,
      otherCpuPercent: sampling.others,
      attempts: sampling.attempts,
    };
    log(`  fill → order.filled: p50 ${result.fromExecutionMs.p50.toFixed(2)} ms, p99 ${result.fromExecutionMs.p99.toFixed(2)} ms from execution` +
      ` (during the ${plan.warmupSeconds} s warm-up: p50 ${result.coldFromExecutionMs.p50.toFixed(2)} ms, p99 ${result.coldFromExecutionMs.p99.toFixed(2)} ms)`);
    return result;
  } finally {
    for (const socket of subscribers?.sockets ?? []) socket.terminate();
    agent.destroy();
    await gateway.stop();
  }
}
