/**
 * The PostgreSQL store when its link fails (R3 at the adapter): through a fault proxy, a query
 * on a cut link fails as StoreUnavailable by its deadline instead of waiting for the link, ping
 * answers within its own shorter deadline, a refused or reset link fails at once, and once the
 * link is back the store works again with no reopening (a broken connection is not reused).
 * A commit whose answer comes too late, the link up, fails and leaves nothing committed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TcpProxy } from '../../../../test/support/tcpProxy.ts';
import { dropSchema, freshSchemaName, POSTGRES_URL, storesToTest } from '../../../../test/support/postgres.ts';
import { StoreUnavailable, type OrderStore } from '../../../ports/store.ts';
import { change, newTraderId, pendingOrder, submission, withStatus } from '../contract/fixtures.ts';
import { openPostgresStore } from './postgresStore.ts';

const STORES = (await storesToTest('postgresOutage.int')).filter((store) => store === 'postgres');

/** How long a call took and how it ended. */
async function timed(work: Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = Date.now();
  const error = await work.then(() => null, (e: unknown) => e);
  return { ms: Date.now() - started, error };
}

describe.each(STORES)('PostgreSQL store with its link cut', { timeout: 60_000 }, () => {
  let proxy: TcpProxy;
  let schema: string;
  let store: OrderStore;
  beforeEach(async () => {
    const { hostname, port } = new URL(POSTGRES_URL);
    proxy = await TcpProxy.start({ host: hostname, port: Number(port || 5432) });
    schema = freshSchemaName();
    store = await openPostgresStore({ connectionString: proxy.via(POSTGRES_URL), schema });
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    await proxy.close();
    await dropSchema(schema);
  });

  it('given a blackholed link, then a commit fails as StoreUnavailable by its deadline, ping sooner, and both work once the link is back', async () => {
    const trader = newTraderId();
    await store.commit([submission(pendingOrder(trader))]);
    proxy.blackhole();
    const [commit, ping] = await Promise.all([timed(store.commit([submission(pendingOrder(trader))])), timed(store.ping())]);
    expect(commit.error).toBeInstanceOf(StoreUnavailable);
    expect(commit.ms).toBeGreaterThanOrEqual(4_000);
    expect(commit.ms).toBeLessThan(12_000);
    expect(ping.error).toBeInstanceOf(StoreUnavailable);
    expect(ping.ms).toBeLessThan(3_000);

    proxy.pass();
    await store.ping();
    await store.commit([submission(pendingOrder(trader))]);
    // The commit that missed its deadline never reached COMMIT: one order before the cut, one after.
    expect((await store.listTraderOrders(trader, { limit: 10, offset: 0 })).total).toBe(2);
  });

  it('given a commit held past its deadline by a row lock (the link up), then it fails as StoreUnavailable and nothing of it commits, even once the lock is let go', async () => {
    const trader = newTraderId();
    const order = pendingOrder(trader);
    await store.commit([submission(order)]);
    const locker = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path=${schema}` });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT id FROM orders WHERE id = $1 FOR UPDATE', [order.id]);
      // The update waits on the row; the statements sent behind it, and no COMMIT, wait with it.
      const { ms, error } = await timed(store.commit([change(withStatus(order, 'acked'), order.version)]));
      expect(error).toBeInstanceOf(StoreUnavailable);
      expect(ms).toBeGreaterThanOrEqual(9_000);
      await locker.query('COMMIT');
      await sleep(500);
      const stored = await store.findOrder(order.id);
      expect(stored?.status).toBe('pending');
      expect((await store.listAudit(order.id)).length).toBe(1);
    } finally {
      await locker.end();
    }
    // The store carries on with a new connection.
    await store.commit([change(withStatus(order, 'acked'), order.version)]);
    expect((await store.findOrder(order.id))?.status).toBe('acked');
  });

  it('given connections reset and new ones refused, then calls fail as StoreUnavailable at once, and work again after', async () => {
    const trader = newTraderId();
    await store.commit([submission(pendingOrder(trader))]);
    proxy.refuse();
    for (const call of [store.commit([submission(pendingOrder(trader))]), store.countOrdersByStatus(), store.ping()]) {
      const { ms, error } = await timed(call);
      expect(error).toBeInstanceOf(StoreUnavailable);
      expect(ms).toBeLessThan(2_000);
    }
    proxy.pass();
    await store.commit([submission(pendingOrder(trader))]);
    expect((await store.listTraderOrders(trader, { limit: 10, offset: 0 })).total).toBe(2);
  });
});
