/**
 * R1, the crash loop: traders place orders through a gateway that is killed with SIGKILL at
 * seeded random moments and started again on the same store, while the simulated exchange (its
 * own process) keeps its books. At the end the store is checked against the exchange's journal:
 * no acknowledged order lost, no duplicate at the venue, no order at the venue that was never
 * submitted, every retry after a lookup, every order in doubt settled soon after the last
 * restart, the audit chain intact. Used by crashLoop.chaos.test.ts (a few kills) and
 * `npm run chaos` (100+).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { seededRandom } from '../../src/adapters/venues/sim/faults.ts';
import { openStore } from '../../src/adapters/store/openStore.ts';
import type { OrderStore } from '../../src/ports/store.ts';
import { checkAgainstVenue, sendsRecorded, violations, type GatewayOrder, type VenueFigures } from '../support/executionChecks.ts';
import { freshSchemaName, POSTGRES_URL } from '../support/postgres.ts';
import { LoadGenerator } from './load.ts';
import { freePort, startGatewayProcess, startSimFrontProcess, type GatewayProcess } from './processes.ts';

export interface CrashLoopOptions {
  readonly seed: number;
  readonly kills: number;
  readonly traders: number;
  readonly orders: number;
  /** A kill comes this long (ms, seeded uniform) after the gateway is ready again. */
  readonly killAfterMs: readonly [number, number];
  readonly store: 'sqlite' | 'postgres';
  /** Faults of the exchange's front, e.g. "drop=5,error=2" (faults.ts). */
  readonly venueFaults?: string;
  /** The exchange answers this late, so kills land while submits are in flight. */
  readonly venueLatencyMs?: number;
  /** Each trader's pause between orders; by default spread so the orders last as long as the kills. */
  readonly paceMs?: number;
  readonly log?: (line: string) => void;
}

export interface CrashLoopFigures {
  readonly seed: number;
  readonly store: string;
  readonly kills: number;
  readonly ordersPlaced: number;
  readonly acknowledged: number;
  readonly refused: number;
  readonly httpRequests: number;
  readonly lost: number;
  readonly unsettled: number;
  readonly stateMismatches: number;
  /** From the last kill until no order waits for its venue and none is in doubt. */
  readonly settledAfterLastKillMs: number;
  readonly auditVerified: boolean;
  readonly venue: VenueFigures;
  readonly durationMs: number;
}

/** The figures that must be zero (or true) for R1 to hold. */
export const r1Violations = (f: CrashLoopFigures) => ({
  ...violations(f.venue), lost: f.lost, unsettled: f.unsettled, stateMismatches: f.stateMismatches,
  settledLate: f.settledAfterLastKillMs > 30_000 ? 1 : 0, auditBroken: f.auditVerified ? 0 : 1,
});

export async function runCrashLoop(options: CrashLoopOptions): Promise<CrashLoopFigures> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const random = seededRandom(options.seed);
  const dataDir = mkdtempSync(join(tmpdir(), 'ordergate-chaos-'));
  const schema = options.store === 'postgres' ? freshSchemaName() : null;
  const databaseUrl = schema ? `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}` : null;
  if (schema) await adminQuery(`CREATE SCHEMA ${schema}`);
  const front = await startSimFrontProcess({
    ...(options.venueFaults ? { SIM_FRONT_FAULTS: options.venueFaults } : {}), SIM_FRONT_ACK_LATENCY_MS: String(options.venueLatencyMs ?? 0),
  });
  const port = await freePort();
  const env = {
    ORDERGATE_DATA_DIR: dataDir, ORDERGATE_SIM_URL: front.url, ORDERGATE_INSTANCE_ID: 'chaos-gateway',
    ORDERGATE_RATE_LIMIT_PER_MIN: '1000000', ORDERGATE_DEMO_CASH: '1000000000', ORDERGATE_DISPATCH_POLL_MS: '200',
    ORDERGATE_RECONCILE_INTERVAL_MS: '5000', ORDERGATE_RETRY_BASE_MS: '200', ORDERGATE_VENUE_TIMEOUT_MS: '2000',
    ...(databaseUrl ? { ORDERGATE_DATABASE_URL: databaseUrl } : {}),
  };
  let gateway: GatewayProcess | null = await startGatewayProcess(port, env);
  const averageCycleMs = (options.killAfterMs[0] + options.killAfterMs[1]) / 2 + 2_000;
  // The same address throughout: while the gateway is down, clients meet refused connections and retry.
  const url = gateway.url;
  const load = new LoadGenerator({
    urls: () => [url], traders: options.traders, orders: options.orders, seed: options.seed,
    paceMs: options.paceMs ?? Math.max(5, (options.kills * averageCycleMs * options.traders) / options.orders),
  });
  load.start(String(options.seed));
  let loadDone = false;
  void load.done().then(() => (loadDone = true));

  let kills = 0;
  let lastKill = Date.now();
  try {
    // At least the kills asked for, and on until every order is placed: the last kill comes
    // after the last order, so what is settled afterwards is exactly what the kills left.
    while (kills < options.kills || !loadDone) {
      const [low, high] = options.killAfterMs;
      await new Promise((resolve) => setTimeout(resolve, low + random() * (high - low)));
      await gateway!.kill();
      gateway = null;
      kills += 1;
      lastKill = Date.now();
      gateway = await startGatewayProcess(port, env);
      if (kills % 10 === 0) log(`kill ${kills}/${options.kills}: ${load.placed.length} orders placed, ${load.placed.filter((o) => o.acknowledged).length} acknowledged`);
    }

    const store = await openStore(databaseUrl ? { databaseUrl, dataDir } : { dataDir });
    try {
      let settledAt = Date.now();
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; settledAt = Date.now()) {
        const open = await store.execution.listDispatchIntents({ limit: 1 });
        if (open.length === 0 && (await store.countOrdersByStatus()).pending === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // Killed, not stopped: everything is settled and durable; a graceful close would only wait on idle clients.
      await gateway.kill();
      gateway = null;
      const figures = await judge(store, front, load);
      const verify = spawnSync(join('node_modules', '.bin', 'tsx'), ['src/cli/verifyAudit.ts'], {
        env: { ...process.env, ORDERGATE_DATA_DIR: dataDir, ...(databaseUrl ? { ORDERGATE_DATABASE_URL: databaseUrl } : {}) }, encoding: 'utf8',
      });
      return {
        seed: options.seed, store: options.store, kills, ordersPlaced: load.placed.length,
        acknowledged: load.placed.filter((o) => o.acknowledged).length, refused: load.placed.filter((o) => o.refusal !== null).length,
        httpRequests: load.placed.reduce((sum, o) => sum + o.requests, 0), ...figures,
        settledAfterLastKillMs: settledAt - lastKill, auditVerified: verify.status === 0, durationMs: Date.now() - started,
      };
    } finally {
      await store.close();
    }
  } finally {
    load.stop();
    await gateway?.kill();
    await front.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (schema) await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }
}

/** The store after the run, against the clients' acknowledgements and the exchange's journal and books. */
export async function judge(store: OrderStore, front: Awaited<ReturnType<typeof startSimFrontProcess>>, load: LoadGenerator) {
  const traders = [...new Set(load.placed.map((o) => o.traderId))];
  const orders = [];
  for (const trader of traders) {
    for (let offset = 0; ; offset += 100) {
      const page = await store.listTraderOrders(trader, { limit: 100, offset });
      orders.push(...page.orders);
      if (page.orders.length < 100) break;
    }
  }
  const byClientId = new Map(orders.map((o) => [`${o.traderId}/${o.clientOrderId}`, o]));
  const lost = load.placed.filter((p) => p.acknowledged && !byClientId.has(`${p.traderId}/${p.clientOrderId}`)).length;
  const gateway: GatewayOrder[] = [];
  for (const order of orders) {
    const attempts = sendsRecorded((await store.listAudit(order.id)).map((row) => row.kind));
    gateway.push({ id: order.id, status: order.status, attempts });
  }
  const venue = checkAgainstVenue(await front.journal(), gateway);
  let stateMismatches = 0;
  for (const order of orders) {
    const view = await front.lookup(order.id);
    const expected = view === null ? 'rejected' : view.status === 'working'
      ? (view.filled_quantity === '0' ? 'acked' : 'partially_filled') : String(view.status);
    if (order.status !== expected || (view && order.filledQuantity.toFixed() !== view.filled_quantity)) stateMismatches += 1;
  }
  const unsettled = orders.filter((o) => o.status === 'pending').length + (await store.execution.listDispatchIntents({ limit: 100_000 })).length;
  return { lost, unsettled, stateMismatches, venue };
}

export async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
