/**
 * Baseline B: what the store can commit one row at a time, with nothing batched, on the same
 * disk and server as the gateway. The gateway's orders/s divided by this is what group commit
 * (and everything else in the gateway) turns one durable commit into.
 * - SQLite: the gateway's pragmas (WAL, synchronous=FULL, busy_timeout, foreign_keys) and its
 *   BEGIN IMMEDIATE, one single-row INSERT per transaction, in a tight loop.
 * - PostgreSQL: one INSERT per autocommit statement, from one client, then from N clients at
 *   once (the server may flush several clients' commits with one WAL write).
 * The row has the shape and size of an order row, so the page and WAL traffic are alike.
 */
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { measureQuietly, type NoisePolicy } from './cpu.ts';
import { summarize, type LatencySummary } from './stats.ts';

export interface CommitLoop {
  readonly clients: number;
  readonly seconds: number;
  readonly commits: number;
  readonly perSecond: number;
  readonly commitLatencyMs: LatencySummary;
  /** The bench process (the loop itself; on SQLite also the commits). */
  readonly benchCpuPercent?: number;
  readonly databaseCpuPercent?: number;
  readonly kernelCpuPercent?: number;
  readonly otherCpuPercent?: number;
  readonly attempts?: number;
}

const COLUMNS = `id text PRIMARY KEY, trader_id text NOT NULL, symbol text NOT NULL, side text NOT NULL,
  quantity text NOT NULL, limit_price text, status text NOT NULL, created_at text NOT NULL, payload text NOT NULL`;

function orderRow(): unknown[] {
  const id = randomUUID();
  const createdAt = new Date().toISOString();
  const payload = JSON.stringify({ event: 'order.submitted', order_id: id, trader_id: 'bench-trader-001', symbol: 'AAPL', side: 'buy', quantity: '10', timestamp: createdAt });
  return [id, 'bench-trader-001', 'AAPL', 'buy', '10', '100.00', 'pending', createdAt, payload];
}

const INSERT_PLACEHOLDERS = (dollar: boolean) =>
  Array.from({ length: 9 }, (_, i) => (dollar ? `$${i + 1}` : '?')).join(', ');

export function sqliteCommitLoop(dataDir: string, seconds: number): CommitLoop {
  const sqlite = new Database(join(dataDir, 'commit-loop.db'));
  try {
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    sqlite.exec(`CREATE TABLE IF NOT EXISTS bench_commits (${COLUMNS}) STRICT`);
    const begin = sqlite.prepare('BEGIN IMMEDIATE');
    const insert = sqlite.prepare(`INSERT INTO bench_commits VALUES (${INSERT_PLACEHOLDERS(false)})`);
    const commit = sqlite.prepare('COMMIT');
    const latencies: number[] = [];
    const started = performance.now();
    const deadline = started + seconds * 1000;
    for (let now = started; now < deadline;) {
      begin.run();
      insert.run(...orderRow());
      commit.run();
      const after = performance.now();
      latencies.push(after - now);
      now = after;
    }
    const elapsed = (performance.now() - started) / 1000;
    return { clients: 1, seconds: elapsed, commits: latencies.length, perSecond: latencies.length / elapsed, commitLatencyMs: summarize(latencies) };
  } finally {
    sqlite.close();
  }
}

async function connectClients(url: string, count: number): Promise<pg.Client[]> {
  const clients = await Promise.all(Array.from({ length: count }, async () => {
    const client = new pg.Client({ connectionString: url, application_name: 'ordergate-bench' });
    await client.connect();
    return client;
  }));
  await clients[0]!.query(`CREATE TABLE IF NOT EXISTS bench_commits (${COLUMNS})`);
  return clients;
}

/** Autocommit INSERTs from every client at once; the clients are connected (and closed) by the caller. */
export async function postgresCommitLoop(connections: readonly pg.Client[], seconds: number): Promise<CommitLoop> {
  const text = `INSERT INTO bench_commits VALUES (${INSERT_PLACEHOLDERS(true)})`;
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(connections.map(async (client) => {
    for (let now = performance.now(); now < deadline;) {
      await client.query({ name: 'bench-insert', text, values: orderRow() });
      const after = performance.now();
      latencies.push(after - now);
      now = after;
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  return { clients: connections.length, seconds: elapsed, commits: latencies.length, perSecond: latencies.length / elapsed, commitLatencyMs: summarize(latencies) };
}

/**
 * The loops for one store: SQLite from one connection; PostgreSQL from one client and from
 * as many clients as each intake connection count. Each is taken again if other programs
 * disturbed it (see cpu.ts).
 */
export async function measureCommitLoops(
  store: { readonly kind: 'sqlite'; readonly dataDir: string } | { readonly kind: 'postgres'; readonly url: string; readonly clients: readonly number[] },
  seconds: number,
  noise: NoisePolicy,
  log: (line: string) => void,
): Promise<CommitLoop[]> {
  const counts = store.kind === 'sqlite' ? [1] : [...new Set([1, ...store.clients])];
  const loops: CommitLoop[] = [];
  for (const clients of counts) {
    // PostgreSQL backends are started before and stopped after the measurement, so the CPU
    // they use is all inside it and none of it leaves with an exiting process.
    const connections = store.kind === 'postgres' ? await connectClients(store.url, clients) : [];
    const run = store.kind === 'sqlite' ? async () => sqliteCommitLoop(store.dataDir, seconds) : () => postgresCommitLoop(connections, seconds);
    const measured = await measureQuietly(noise, null, `${store.kind} commit loop, ${clients} client(s)`, log, run)
      .finally(() => Promise.all(connections.map((client) => client.end())));
    const loop: CommitLoop = {
      ...measured.result,
      benchCpuPercent: measured.self,
      databaseCpuPercent: measured.database,
      kernelCpuPercent: measured.kernel,
      otherCpuPercent: measured.others,
      attempts: measured.attempts,
    };
    log(`  ${loop.clients} client(s): ${loop.perSecond.toFixed(0)} commits/s, p50 ${loop.commitLatencyMs.p50.toFixed(2)} ms, p99 ${loop.commitLatencyMs.p99.toFixed(2)} ms`);
    loops.push(loop);
  }
  return loops;
}
