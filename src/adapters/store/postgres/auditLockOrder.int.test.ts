/**
 * The lock order of the PostgreSQL store on the real server: every transaction that writes the
 * audit trail (order commits, control writes) locks the audit head first, then rows, so control
 * writes and order commits from several instances never deadlock. A commit that the server
 * aborts anyway (a deadlock with some other lock holder, a serialisation failure) rolled back,
 * and runs again: it commits exactly once, or, past its retries, fails saying it was not recorded.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dropSchema, freshSchemaName, POSTGRES_URL, storesToTest } from '../../../../test/support/postgres.ts';
import { D } from '../../../domain/money.ts';
import type { AccountEffect, ControlMeta } from '../../../ports/accounts.ts';
import { StoreUnavailable, type OrderChange, type OrderStore } from '../../../ports/store.ts';
import { newTraderId, pendingOrder, submission } from '../contract/fixtures.ts';
import { verifyAuditChain } from '../verifyAuditChain.ts';
import { ABORTED_RETRIES } from './commitOutcome.ts';
import { openPostgresStore } from './postgresStore.ts';

const usable = (await storesToTest('auditLockOrder.int')).includes('postgres');

const OPENING_CASH = new D(1_000_000);
const meta = (): ControlMeta => ({ auditId: randomUUID(), actor: 'admin', reason: null, at: new Date() });

/** A new buy order of 1 at 1 that reserves 1 of the trader's cash, as the app submits it. */
function reservingOrder(traderId: string): OrderChange {
  const order = { ...pendingOrder(traderId), quantity: new D(1), limitPrice: new D(1) };
  const account: AccountEffect = {
    traderId, orderId: order.id, symbol: order.symbol, side: 'buy', openingCash: OPENING_CASH,
    reserve: { quantity: new D(1), unitPrice: new D(1), cash: new D(1), positionQuantity: new D(0) },
    fills: [], releaseRest: false, tradingDay: '2026-11-21', at: new Date(),
  };
  return { ...submission(order), account };
}

describe.skipIf(!usable)('PostgreSQL: one lock order for every writer of the audit trail', { timeout: 120_000 }, () => {
  let schema: string;
  let stores: OrderStore[];
  const open = async () => {
    const store = await openPostgresStore({ connectionString: POSTGRES_URL, schema });
    stores.push(store);
    return store;
  };
  beforeEach(async () => {
    schema = freshSchemaName();
    stores = [];
    await (await open()).migrate();
  });
  afterEach(async () => {
    for (const store of stores) await store.close();
    await dropSchema(schema);
  });

  it('given control writes and order commits on one trader from two instances at once, then none of them fails', async () => {
    const [a, b] = [stores[0]!, await open()];
    const trader = newTraderId();
    const ROUNDS = 25;
    const failures: string[] = [];
    const repeat = (what: string, work: () => Promise<unknown>) => (async () => {
      for (let i = 0; i < ROUNDS; i += 1) await work().catch((error: unknown) => void failures.push(`${what}: ${String(error)}`));
    })();

    // When each instance commits orders and credits cash, and one also writes a setting and an instrument
    await Promise.all([
      repeat('commit on a', () => a.commit([reservingOrder(trader)])),
      repeat('commit on b', () => b.commit([reservingOrder(trader)])),
      repeat('credit on a', () => a.accounts.creditCash(trader, new D(1), OPENING_CASH, meta())),
      repeat('credit on b', () => b.accounts.creditCash(trader, new D(1), OPENING_CASH, meta())),
      repeat('setting on b', () => b.accounts.writeSetting<Record<string, unknown>>(
        { key: `limits:${trader}`, update: (before) => ({ ...before, max_order_quantity: '10' }) }, meta(),
        { traderIds: [trader], body: { type: 'limits.changed' }, newId: randomUUID })),
      repeat('instrument on a', () => a.accounts.putInstrument(
        { symbol: 'AAPL', lotSize: new D(1), tickSize: new D('0.01'), referencePrice: new D(100), tradable: true }, meta())),
    ]);

    // Then every one of them committed, once, on one linear audit chain
    expect(failures).toEqual([]);
    const { account } = await a.accounts.loadTrader(trader);
    expect(account?.cash.toString()).toBe(OPENING_CASH.plus(2 * ROUNDS).toString());
    expect(account?.reserved.toString()).toBe(String(2 * ROUNDS));
    expect((await a.auditHead()).seq).toBe(6 * ROUNDS);
    expect(await verifyAuditChain(a)).toEqual({ ok: true, rows: 6 * ROUNDS });
  });

  describe('a commit the server aborts as a deadlock', () => {
    let locker: pg.Client;
    /** Watches the locker from outside its transaction, which sees pg_stat_activity as it was when the transaction began. */
    let watcher: pg.Client;
    let lockerPid: number;
    let trader: string;
    beforeEach(async () => {
      trader = newTraderId();
      await stores[0]!.accounts.creditCash(trader, new D(0), OPENING_CASH, meta());
      locker = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path=${schema}` });
      watcher = new pg.Client({ connectionString: POSTGRES_URL });
      await Promise.all([locker.connect(), watcher.connect()]);
      lockerPid = (await locker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      // The commit, waiting since before the locker, checks for a deadlock first and is its victim.
      await locker.query("SET deadlock_timeout = '60s'");
      await locker.query('BEGIN');
      await locker.query('SELECT cash FROM accounts WHERE trader_id = $1 FOR UPDATE', [trader]);
    });
    afterEach(async () => {
      await Promise.all([locker.end(), watcher.end()]);
    });

    /** Resolves true once a commit holds the audit head and waits for the account row the locker holds; false if `stop` first. */
    async function commitWaitsForTheAccount(stop: () => boolean): Promise<boolean> {
      while (!stop()) {
        const { rows } = await watcher.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid)) AND query LIKE '%accounts%'", [lockerPid]);
        if (rows[0]!.n > 0) return true;
        await sleep(10);
      }
      return false;
    }

    /**
     * Takes the audit head while a commit holds it and waits for the locker's account row: a
     * deadlock, which the server ends by aborting the commit. The head read returning at all
     * shows it: the commit held the head until its transaction ended.
     */
    async function deadlockTheCommit(stop: () => boolean = () => false): Promise<boolean> {
      if (!(await commitWaitsForTheAccount(stop))) return false;
      await locker.query('SAVEPOINT head');
      await locker.query('SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE');
      // The commit's next try waits for the head; let it take it, the account row still held.
      await locker.query('ROLLBACK TO SAVEPOINT head');
      return true;
    }

    it('given an order commit deadlocked once with a transaction locking in the opposite order, then it is retried and commits exactly once', async () => {
      const store = stores[0]!;
      const change = reservingOrder(trader);

      // When the commit takes the head and waits for the account, and the locker then waits for the head
      let settled = false;
      const seqs = store.commit([change]).then((events) => events.map((event) => event.seq), (error: unknown) => error)
        .finally(() => (settled = true));
      expect(await deadlockTheCommit()).toBe(true);
      expect(settled).toBe(false);
      await locker.query('COMMIT');

      // Then the server aborted the commit once, and its retry committed it, once
      expect(await seqs).toEqual([1]);
      expect((await store.listTraderOrders(trader, { limit: 10, offset: 0 })).total).toBe(1);
      expect((await store.listAudit(change.order.id)).length).toBe(1);
      expect((await store.accounts.loadTrader(trader)).account?.reserved.toString()).toBe('1');
      expect(await verifyAuditChain(store)).toEqual({ ok: true, rows: 2 });
    });

    it('given an order commit deadlocked on every try, then it fails as StoreUnavailable saying it was not recorded, and nothing of it is', async () => {
      const store = stores[0]!;
      const change = reservingOrder(trader);

      // When every try of the commit ends in a deadlock
      let settled = false;
      const outcome = store.commit([change]).then(() => null, (error: unknown) => error).finally(() => (settled = true));
      let tries = 0;
      while (await deadlockTheCommit(() => settled)) tries += 1;
      await locker.query('ROLLBACK');

      // Then it tried a bounded number of times, gave up, and said nothing was recorded
      const error = await outcome;
      expect(tries).toBe(1 + ABORTED_RETRIES);
      expect(error).toBeInstanceOf(StoreUnavailable);
      expect((error as Error).message).toMatch(/NOT recorded/);
      expect((error as Error).message).toMatch(/deadlock/);
      expect(await store.findOrder(change.order.id)).toBeNull();
      expect((await store.auditHead()).seq).toBe(1);
      expect((await store.accounts.loadTrader(trader)).account?.reserved.toString()).toBe('0');
    });
  });
});
