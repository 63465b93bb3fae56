/**
 * The PostgreSQL store when its link fails (R3 at the adapter): through a fault proxy, a query
 * on a cut link fails as StoreUnavailable by its deadline instead of waiting for the link, ping
 * answers within its own shorter deadline, a refused or reset link fails at once, and once the
 * link is back the store works again with no reopening (a broken connection is not reused).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TcpProxy } from '../../../../test/support/tcpProxy.ts';
import { dropSchema, freshSchemaName, POSTGRES_URL, storesToTest } from '../../../../test/support/postgres.ts';
import { StoreUnavailable, type OrderStore } from '../../../ports/store.ts';
import { newTraderId, pendingOrder, submission } from '../contract/fixtures.ts';
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
