/**
 * R5: two gateway instances share PostgreSQL and the exchange; one is paused (SIGSTOP) while
 * it has submits in flight. The other must take over the paused one's work once its leases
 * lapse, and when the paused one wakes, nothing it had started may reach the venue twice.
 * Checked, like R1, against the exchange's journal and books.
 */
import { rmSync } from 'node:fs';
import { openStore } from '../../src/adapters/store/openStore.ts';
import { checkAgainstVenue, type VenueFigures } from '../support/executionChecks.ts';
import { freshSchemaName, POSTGRES_URL } from '../support/postgres.ts';
import { adminQuery, judge } from './crashLoop.ts';
import { LoadGenerator } from './load.ts';
import { freePort, startGatewayProcess, startSimFrontProcess } from './processes.ts';

export interface PauseOptions {
  readonly seed: number;
  readonly pauseMs: number;
  readonly leaseMs: number;
  readonly traders: number;
  readonly orders: number;
}

export interface PauseFigures {
  readonly acknowledged: number;
  /** Intents leased by the paused instance when it stopped. */
  readonly inFlightAtPause: number;
  /** Of those, completed by the other instance while the first was still paused. */
  readonly takenOver: number;
  readonly lost: number;
  readonly unsettled: number;
  readonly stateMismatches: number;
  readonly venue: VenueFigures;
}

export async function runPausedInstance(options: PauseOptions): Promise<PauseFigures> {
  const schema = freshSchemaName();
  const databaseUrl = `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  await adminQuery(`CREATE SCHEMA ${schema}`);
  const front = await startSimFrontProcess({ SIM_FRONT_ACK_LATENCY_MS: '150' });
  const env = (id: string) => ({
    ORDERGATE_DATABASE_URL: databaseUrl, ORDERGATE_DATA_DIR: `/tmp/ordergate-r5-${schema}-${id}`, ORDERGATE_SIM_URL: front.url,
    ORDERGATE_INSTANCE_ID: id, ORDERGATE_RATE_LIMIT_PER_MIN: '1000000', ORDERGATE_DEMO_CASH: '1000000000',
    ORDERGATE_DISPATCH_LEASE_MS: String(options.leaseMs), ORDERGATE_DISPATCH_POLL_MS: '100', ORDERGATE_VENUE_TIMEOUT_MS: '1000',
  });
  const store = await openStore({ databaseUrl, dataDir: '/tmp' });
  const a = await startGatewayProcess(await freePort(), env('instance-a'));
  const b = await startGatewayProcess(await freePort(), env('instance-b'));
  const load = new LoadGenerator({ urls: () => [a.url, b.url], traders: options.traders, orders: options.orders, paceMs: 20, seed: options.seed, requestTimeoutMs: 1_000 });
  try {
    load.start(`r5-${options.seed}`);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    a.pause();
    const leased = (await store.execution.listDispatchIntents({ limit: 100_000 })).filter((i) => i.leaseOwner?.startsWith('instance-a/') ?? false).map((i) => i.orderId);
    await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    const stillOpen = new Set((await store.execution.listDispatchIntents({ limit: 100_000 })).map((i) => i.orderId));
    const takenOver = leased.filter((id) => !stillOpen.has(id)).length;
    a.resume();
    load.stop();
    await load.done();
    for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
      if ((await store.execution.listDispatchIntents({ limit: 1 })).length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Killed, not stopped: the store is durable, and a graceful close can wait a minute on
    // connections that clients abandoned while the instance was paused.
    await Promise.all([a.kill(), b.kill()]);
    const judged = await judge(store, front, load);
    return { acknowledged: load.placed.filter((o) => o.acknowledged).length, inFlightAtPause: leased.length, takenOver, ...judged };
  } finally {
    load.stop();
    await Promise.all([a.kill(), b.kill()]).catch(() => {});
    await store.close();
    await front.stop();
    await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    for (const id of ['instance-a', 'instance-b']) rmSync(env(id).ORDERGATE_DATA_DIR, { recursive: true, force: true });
  }
}

export { checkAgainstVenue };
