/**
 * Durable intake: autocannon submits resting limit orders at a fixed number of connections,
 * round-robin over several traders' tokens, against the gateway or the bare baseline.
 * - Latency is taken from autocannon's per-response timing (sub-millisecond), not from its
 *   histogram, which rounds to whole milliseconds.
 * - Any non-2xx answer, socket error or timeout fails the run: a throughput made partly of
 *   errors would not be a throughput of durable orders.
 * - After a gateway run, the orders the gateway stored are counted through the API: there
 *   must be at least as many as the 201s received (a request cut off when the run stops may
 *   be stored without its 201 being counted), never fewer.
 */
import autocannon, { type Request } from 'autocannon';
import { signToken } from '../src/http/auth.ts';
import { measureQuietly, type CpuUse, type NoisePolicy } from './cpu.ts';
import { rssKiB, startBareServer, startGatewayProcess, type Child, type GatewayOptions } from './processes.ts';
import { summarize, type LatencySummary } from './stats.ts';

export interface LoadRun {
  readonly connections: number;
  readonly seconds: number;
  readonly completed: number;
  readonly perSecond: number;
  readonly latencyMs: LatencySummary;
}

/** Where the CPU went during a measured run: 100 % is one core fully busy. */
export interface CpuShare {
  readonly serverCpuPercent: number;
  readonly loadGeneratorCpuPercent: number;
  /** PostgreSQL's processes (0 on SQLite, where the store runs inside the gateway). */
  readonly databaseCpuPercent: number;
  /** Interrupts, network softirqs and kernel threads: mostly loopback traffic and disk I/O of the run itself. */
  readonly kernelCpuPercent: number;
  /** Every other process on the machine: noise, when it is not near 0. */
  readonly otherCpuPercent: number;
  /** How many times the run was taken because other programs disturbed it. */
  readonly attempts: number;
}

/** The gateway's own group-commit telemetry over the measured run (from /metrics). */
export interface CommitActivity {
  readonly transactions: number;
  readonly changes: number;
  readonly meanBatchSize: number;
  readonly meanTransactionMs: number;
  /** Seconds inside store.commit() per second of the run. */
  readonly shareOfWallTime: number;
}

export type ServerLoadRun = LoadRun & CpuShare;

export interface GatewayIntakeRun extends ServerLoadRun {
  readonly storedOrders: number;
  readonly rssKiBAfter: number;
  readonly commits: CommitActivity;
}

export interface LoadPlan {
  readonly connections: readonly number[];
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly traders: number;
  readonly noise: NoisePolicy;
}

/** Buy limits well under the simulated exchange's start prices (tick 0.01): they rest and never fill. */
const RESTING_ORDERS = [
  { symbol: 'AAPL', limit_price: '100.00' },
  { symbol: 'MSFT', limit_price: '300.00' },
  { symbol: 'GOOGL', limit_price: '120.00' },
  { symbol: 'AMZN', limit_price: '130.00' },
  { symbol: 'TSLA', limit_price: '180.00' },
  { symbol: 'NVDA', limit_price: '90.00' },
  { symbol: 'SPY', limit_price: '400.00' },
  { symbol: 'META', limit_price: '380.00' },
];

export function traderIds(count: number, prefix = 'bench-trader'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i + 1).padStart(3, '0')}`);
}

export function tokensFor(secret: string, traders: readonly string[]): Promise<string[]> {
  return Promise.all(traders.map((sub) => signToken(secret, { sub, roles: ['trader'] }, 6 * 3600)));
}

export function restingOrderBody(index: number): string {
  const terms = RESTING_ORDERS[index % RESTING_ORDERS.length]!;
  return JSON.stringify({ symbol: terms.symbol, side: 'buy', quantity: '10', type: 'limit', limit_price: terms.limit_price, time_in_force: 'gtc' });
}

/**
 * One prebuilt request per trader; autocannon sends them in turn on every connection, so
 * consecutive requests rotate through the traders without rebuilding a request each time.
 */
function orderRequests(tokens: readonly string[]): Request[] {
  return tokens.map((token, i) => ({
    method: 'POST',
    path: '/api/v1/orders',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: restingOrderBody(i),
  }));
}

export function runLoad(url: string, requests: Request[], connections: number, seconds: number): Promise<LoadRun> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const instance = autocannon({ url, connections, duration: seconds, timeout: 10, requests }, (error, result) => {
      if (error) return reject(error);
      const failures = result.non2xx + result.errors + result.timeouts;
      if (failures > 0) {
        const codes = Object.entries(result.statusCodeStats).map(([code, { count }]) => `${code}×${count}`).join(', ');
        return reject(new Error(
          `${url} at ${connections} connections: ${result.non2xx} non-2xx (${codes}), ${result.errors} errors, ${result.timeouts} timeouts`));
      }
      resolve({
        connections,
        seconds: result.duration,
        completed: result['2xx'],
        perSecond: result['2xx'] / result.duration,
        latencyMs: summarize(latencies),
      });
    });
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTimeMs);
    });
  });
}

const cpuShare = (use: CpuUse & { attempts: number }): CpuShare => ({
  serverCpuPercent: use.server,
  loadGeneratorCpuPercent: use.self,
  databaseCpuPercent: use.database,
  kernelCpuPercent: use.kernel,
  otherCpuPercent: use.others,
  attempts: use.attempts,
});

interface CommitCounters {
  readonly changes: number;
  readonly transactions: number;
  readonly seconds: number;
}

async function commitCounters(gateway: Child): Promise<CommitCounters> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  const value = (name: string) => {
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    if (!match) throw new Error(`/metrics has no ${name}`);
    return Number(match[1]);
  };
  return {
    changes: value('ordergate_commit_batch_size_sum'),
    transactions: value('ordergate_commit_batch_size_count'),
    seconds: value('ordergate_commit_seconds_sum'),
  };
}

function commitActivity(before: CommitCounters, after: CommitCounters, runSeconds: number): CommitActivity {
  const transactions = after.transactions - before.transactions;
  const changes = after.changes - before.changes;
  const seconds = after.seconds - before.seconds;
  return {
    transactions,
    changes,
    meanBatchSize: transactions === 0 ? 0 : changes / transactions,
    meanTransactionMs: transactions === 0 ? 0 : (1000 * seconds) / transactions,
    shareOfWallTime: seconds / runSeconds,
  };
}

async function storedOrders(gateway: Child, tokens: readonly string[]): Promise<number> {
  let total = 0;
  for (const token of tokens) {
    const response = await fetch(`${gateway.url}/api/v1/orders?limit=1`, { headers: { authorization: `Bearer ${token}` } });
    if (response.status !== 200) throw new Error(`listing orders answered ${response.status}: ${await response.text()}`);
    total += ((await response.json()) as { total: number }).total;
  }
  return total;
}

/**
 * Each connection count gets its own gateway on an empty store (`prepare` makes the data
 * folder and database), so a later run does not inherit the tables of an earlier one.
 */
export async function measureGatewayIntake(
  plan: LoadPlan,
  prepare: () => Promise<GatewayOptions>,
  log: (line: string) => void,
): Promise<GatewayIntakeRun[]> {
  const runs: GatewayIntakeRun[] = [];
  for (const connections of plan.connections) {
    const options = await prepare();
    const gateway = await startGatewayProcess(options);
    try {
      const tokens = await tokensFor(options.jwtSecret, traderIds(plan.traders));
      const requests = orderRequests(tokens);
      let answered = plan.warmupSeconds > 0 ? (await runLoad(gateway.url, requests, connections, plan.warmupSeconds)).completed : 0;
      const measured = await measureQuietly(plan.noise, gateway.pid, `gateway at ${connections} connections`, log, async () => {
        const before = await commitCounters(gateway);
        const load = await runLoad(gateway.url, requests, connections, plan.seconds);
        answered += load.completed;
        return { load, commits: commitActivity(before, await commitCounters(gateway), load.seconds) };
      });
      const { load, commits } = measured.result;
      const run = { ...load, ...cpuShare(measured) };
      const rssKiBAfter = rssKiB(gateway.pid);
      const stored = await storedOrders(gateway, tokens);
      if (stored < answered) throw new Error(`the gateway answered 201 to ${answered} orders but stores only ${stored}`);
      runs.push({ ...run, storedOrders: stored, rssKiBAfter, commits });
      log(`  gateway  ${String(connections).padStart(3)} conn: ${run.perSecond.toFixed(0)} orders/s, p50 ${run.latencyMs.p50.toFixed(2)} ms, ` +
        `p99 ${run.latencyMs.p99.toFixed(2)} ms; gateway CPU ${run.serverCpuPercent.toFixed(0)} %, ${commits.meanBatchSize.toFixed(1)} changes/commit`);
    } finally {
      await gateway.stop();
    }
  }
  return runs;
}

/** Baseline A at the same connection counts, with the same bodies and headers. */
export async function measureBareIntake(plan: LoadPlan, secret: string, log: (line: string) => void): Promise<ServerLoadRun[]> {
  const server = await startBareServer();
  try {
    const requests = orderRequests(await tokensFor(secret, traderIds(plan.traders)));
    const runs: ServerLoadRun[] = [];
    for (const connections of plan.connections) {
      if (plan.warmupSeconds > 0) await runLoad(server.url, requests, connections, plan.warmupSeconds);
      const measured = await measureQuietly(plan.noise, server.pid, `bare server at ${connections} connections`, log,
        () => runLoad(server.url, requests, connections, plan.seconds));
      const run = { ...measured.result, ...cpuShare(measured) };
      runs.push(run);
      log(`  bare     ${String(connections).padStart(3)} conn: ${run.perSecond.toFixed(0)} req/s, p50 ${run.latencyMs.p50.toFixed(2)} ms, ` +
        `p99 ${run.latencyMs.p99.toFixed(2)} ms; server CPU ${run.serverCpuPercent.toFixed(0)} %`);
    }
    return runs;
  } finally {
    await server.stop();
  }
}
