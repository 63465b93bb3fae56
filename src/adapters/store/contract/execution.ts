/**
 * Contract section: the execution store. Dispatch intents are created atomically with their
 * order, claimed with a lease (never by two owners at once, also from two instances racing),
 * fenced on the lease owner, released; audit-only changes leave the order row alone; venue
 * configurations, routing rules and reconciliation runs round-trip.
 */
import { describe, expect, it } from 'vitest';
import { asClientOrderId, asVenueName } from '../../../domain/ids.ts';
import type { DispatchIntentWrite, ReconciliationRun } from '../../../ports/execution.ts';
import type { OrderChange } from '../../../ports/store.ts';
import type { Order } from '../../../domain/order/order.ts';
import { useMigratedStore, type MakeStore } from './context.ts';
import { auditEntry, change, later, newTraderId, pendingOrder, plain, submission, T0, withStatus } from './fixtures.ts';
import { rejectsWithConflict } from './orders.ts';

const withIntent = (order: Order, at = T0): OrderChange => ({
  ...submission(order),
  intents: [{ kind: 'create', orderId: order.id, venue: order.venue, at, attempts: 0 }],
});

/** An audit-only change carrying intent writes, as the executor commits one. */
const bookkeeping = (order: Order, kind: string, intents: DispatchIntentWrite[]): OrderChange => ({
  order, expectedVersion: order.version, newFills: [], audit: [auditEntry(order, kind)], stream: [], idempotency: null, intents,
});

const claim = (owner: string, now: Date, limit = 10, leaseMs = 30_000) => ({ owner, now, leaseMs, limit });

function run(venue: string, startedAt: Date, overrides: Partial<ReconciliationRun> = {}): ReconciliationRun {
  return {
    id: `${venue}-${startedAt.getTime()}`, venue, trigger: 'periodic', startedAt, finishedAt: later(5, startedAt), status: 'ok',
    examined: 3, drift: 1, details: [{ kind: 'missed_fill', clientOrderId: 'c-1', detail: 'fill F-1 applied' }], fillsCursor: '7', error: null,
    ...overrides,
  };
}

export function describeExecutionContract(makeStore: MakeStore): void {
  describe('execution: dispatch intents, venues, routing, reconciliation', () => {
    const ctx = useMigratedStore(makeStore);

    it('given an order committed with its intent, then the intent is due, unleased, not in doubt; a failed commit leaves none', async () => {
      const order = pendingOrder(newTraderId(), { clientOrderId: asClientOrderId('taken') });
      await ctx.store.commit([withIntent(order)]);
      expect(await ctx.store.execution.findDispatchIntent(order.id)).toMatchObject({
        orderId: order.id, venue: 'sim', attempts: 0, leaseOwner: null, leaseExpiresAt: null, inDoubt: false, nextAttemptAt: T0,
      });
      const duplicate = pendingOrder(order.traderId, { clientOrderId: asClientOrderId('taken') });
      await rejectsWithConflict(ctx.store.commit([withIntent(duplicate)]), 'client_order_id');
      expect(await ctx.store.execution.findDispatchIntent(duplicate.id)).toBeNull();
    });

    it('given due intents, when claimed, then each is leased once until the lease expires; intents not yet due wait', async () => {
      const [a, b, c] = [pendingOrder(newTraderId()), pendingOrder(newTraderId()), pendingOrder(newTraderId())];
      await ctx.store.commit([withIntent(a!), withIntent(b!), withIntent(c!, later(60_000))]);
      const first = await ctx.store.execution.claimDispatchIntents(claim('one', later(1_000)));
      expect(first.map((i) => i.orderId).sort()).toEqual([a!.id, b!.id].sort());
      expect(first[0]).toMatchObject({ leaseOwner: 'one', leaseExpiresAt: later(31_000) });
      expect(await ctx.store.execution.claimDispatchIntents(claim('two', later(30_999)))).toEqual([]);
      const takenOver = await ctx.store.execution.claimDispatchIntents(claim('two', later(61_000)));
      expect(takenOver.map((i) => i.orderId).sort()).toEqual([a!.id, b!.id, c!.id].sort());
      expect(takenOver.every((i) => i.leaseOwner === 'two')).toBe(true);
    });

    it('given two instances claiming at once, then no intent is handed to both', async () => {
      const orders = Array.from({ length: 40 }, () => pendingOrder(newTraderId()));
      await ctx.store.commit(orders.map((order) => withIntent(order)));
      const other = await ctx.fixture.openAnother();
      await other.migrate();
      const rounds = await Promise.all([
        ...Array.from({ length: 4 }, () => ctx.store.execution.claimDispatchIntents(claim('one', later(1_000), 7))),
        ...Array.from({ length: 4 }, () => other.execution.claimDispatchIntents(claim('two', later(1_000), 7))),
      ]);
      const claimed = rounds.flat().map((intent) => intent.orderId);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed.length).toBe(40);
    });

    it('given intents of several venues, when claimed for some venues, then only theirs are leased; for no venue, none', async () => {
      const orders = ['sim', 'fix', 'fix', 'alpaca'].map((venue) => pendingOrder(newTraderId(), { venue: asVenueName(venue) }));
      await ctx.store.commit(orders.map((order) => withIntent(order)));
      expect(await ctx.store.execution.claimDispatchIntents({ ...claim('one', later(1)), venues: [] })).toEqual([]);
      const fix = await ctx.store.execution.claimDispatchIntents({ ...claim('one', later(1)), venues: ['fix', 'nowhere'] });
      expect(fix.map((intent) => intent.orderId).sort()).toEqual([orders[1]!.id, orders[2]!.id].sort());
      const rest = await ctx.store.execution.claimDispatchIntents(claim('two', later(1)));
      expect(rest.map((intent) => intent.orderId).sort()).toEqual([orders[0]!.id, orders[3]!.id].sort());
    });

    it('given a single-session venue, then one owner holds its lease until it expires or is released; renewals keep acquiredAt', async () => {
      const session = (owner: string, now: Date) => ctx.store.execution.acquireVenueSession({ venue: 'fix', owner, now, ttlMs: 10_000 });
      expect(await session('one', later(0))).toEqual({ venue: 'fix', owner: 'one', acquiredAt: later(0), expiresAt: later(10_000) });
      expect(await session('two', later(9_999))).toMatchObject({ owner: 'one', expiresAt: later(10_000) });
      expect(await session('one', later(5_000))).toEqual({ venue: 'fix', owner: 'one', acquiredAt: later(0), expiresAt: later(15_000) });
      expect(await session('two', later(15_000))).toEqual({ venue: 'fix', owner: 'two', acquiredAt: later(15_000), expiresAt: later(25_000) });
      // The old holder, back from a pause, gets the lease as it stands: not its own.
      expect(await session('one', later(16_000))).toMatchObject({ owner: 'two' });
      await ctx.store.execution.releaseVenueSession('fix', 'one');
      expect((await ctx.store.execution.listVenueSessions()).map((lease) => lease.owner)).toEqual(['two']);
      await ctx.store.execution.releaseVenueSession('fix', 'two');
      expect(await ctx.store.execution.listVenueSessions()).toEqual([]);
      expect(await session('one', later(17_000))).toMatchObject({ owner: 'one', acquiredAt: later(17_000) });
    });

    it('given an instance name, then one token holds it while seen; a stale one is taken over; only the holder marks it seen or frees it', async () => {
      const claimName = (token: string, now: Date, staleMs = 6_000) =>
        ctx.store.execution.claimInstanceName({ name: 'gw-a', token, now, staleBefore: new Date(now.getTime() - staleMs) });
      expect(await claimName('t1', later(0))).toEqual({ name: 'gw-a', token: 't1', startedAt: later(0), seenAt: later(0) });
      expect(await claimName('t2', later(5_999))).toMatchObject({ token: 't1', seenAt: later(0) });
      expect(await ctx.store.execution.touchInstanceName('gw-a', 't1', later(5_000))).toBe(true);
      expect(await claimName('t2', later(10_999))).toMatchObject({ token: 't1', seenAt: later(5_000) });
      expect(await claimName('t2', later(11_000))).toEqual({ name: 'gw-a', token: 't2', startedAt: later(11_000), seenAt: later(11_000) });
      expect(await ctx.store.execution.touchInstanceName('gw-a', 't1', later(11_001))).toBe(false);
      await ctx.store.execution.releaseInstanceName('gw-a', 't1');
      expect(await claimName('t3', later(11_002))).toMatchObject({ token: 't2' });
      await ctx.store.execution.releaseInstanceName('gw-a', 't2');
      expect(await claimName('t3', later(11_003))).toMatchObject({ token: 't3' });
    });

    it('given two instances taking one free session at once, then exactly one holds it and both are told the same holder', async () => {
      const other = await ctx.fixture.openAnother();
      await other.migrate();
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? ctx.store : other).execution
        .acquireVenueSession({ venue: 'fix-race', owner: `owner-${i}`, now: later(1), ttlMs: 10_000 })));
      const holders = new Set(answers.map((lease) => lease.owner));
      expect(holders.size).toBe(1);
      expect((await ctx.store.execution.listVenueSessions()).map((lease) => lease.owner)).toEqual([...holders]);
    });

    it('given a leased intent, when its owner records an attempt, then the order row is untouched and the audit entry is chained', async () => {
      const order = pendingOrder(newTraderId());
      await ctx.store.commit([withIntent(order)]);
      await ctx.store.execution.claimDispatchIntents(claim('one', later(1)));
      await ctx.store.commit([bookkeeping(order, 'execution_started', [{
        kind: 'update', orderId: order.id, owner: 'one', attempts: 1, nextAttemptAt: later(1), leaseExpiresAt: later(30_001),
        inDoubt: false, lastError: null, at: later(1),
      }])]);
      expect(plain(await ctx.store.findOrder(order.id))).toEqual(plain(order));
      expect((await ctx.store.listAudit(order.id)).map((row) => row.kind)).toEqual(['submitted', 'execution_started']);
      expect(await ctx.store.execution.findDispatchIntent(order.id)).toMatchObject({ attempts: 1, leaseOwner: 'one', leaseExpiresAt: later(30_001) });
    });

    it('given a lease taken over, when the old owner writes, then StoreConflict(dispatch_lease) and nothing of its change is kept', async () => {
      const order = pendingOrder(newTraderId());
      await ctx.store.commit([withIntent(order)]);
      await ctx.store.execution.claimDispatchIntents(claim('one', later(1), 10, 10));
      await ctx.store.execution.claimDispatchIntents(claim('two', later(100)));
      await rejectsWithConflict(ctx.store.commit([bookkeeping(order, 'executed', [{ kind: 'complete', orderId: order.id, owner: 'one' }])]), 'dispatch_lease');
      expect((await ctx.store.listAudit(order.id)).map((row) => row.kind)).toEqual(['submitted']);
      await ctx.store.commit([bookkeeping(order, 'execution_failed', [{
        kind: 'update', orderId: order.id, owner: 'two', attempts: 1, nextAttemptAt: later(5_000), leaseExpiresAt: null,
        inDoubt: true, lastError: 'timed out', at: later(200),
      }])]);
      expect(await ctx.store.execution.findDispatchIntent(order.id)).toMatchObject({ leaseOwner: null, inDoubt: true, lastError: 'timed out', nextAttemptAt: later(5_000) });
      expect(await ctx.store.execution.inDoubtOrderIds([order.id, 'other'])).toEqual(new Set([order.id]));
      expect(await ctx.store.execution.countInDoubt()).toBe(1);
      expect(await ctx.store.execution.listDispatchIntents({ inDoubt: true, limit: 10 })).toHaveLength(1);
      await rejectsWithConflict(ctx.store.commit([bookkeeping(order, 'executed', [{ kind: 'complete', orderId: order.id, owner: 'two' }])]), 'dispatch_lease');
      const [reclaimed] = await ctx.store.execution.claimDispatchIntents(claim('two', later(5_000)));
      expect(reclaimed).toMatchObject({ attempts: 1, inDoubt: true, leaseOwner: 'two' });
      await ctx.store.commit([bookkeeping(order, 'executed', [{ kind: 'complete', orderId: order.id, owner: 'two' }])]);
      expect(await ctx.store.execution.findDispatchIntent(order.id)).toBeNull();
    });

    it('given an order changed since the executor read it, when execution_started is fenced on its version, then StoreConflict(order_version) and nothing is kept', async () => {
      const order = pendingOrder(newTraderId());
      await ctx.store.commit([withIntent(order)]);
      await ctx.store.execution.claimDispatchIntents(claim('one', later(1)));
      const started = (version: number): DispatchIntentWrite => ({
        kind: 'update', orderId: order.id, owner: 'one', attempts: 1, nextAttemptAt: later(2), leaseExpiresAt: later(30_002),
        inDoubt: false, lastError: null, at: later(2), orderVersion: version,
      });
      const cancelRequested = withStatus(order, 'pending_cancel');
      await ctx.store.commit([change(cancelRequested, order.version)]);
      await rejectsWithConflict(ctx.store.commit([bookkeeping(order, 'execution_started', [started(order.version)])]), 'order_version');
      expect((await ctx.store.listAudit(order.id)).map((row) => row.kind)).toEqual(['submitted', 'pending_cancel']);
      expect(await ctx.store.execution.findDispatchIntent(order.id)).toMatchObject({ attempts: 0, leaseOwner: 'one' });
      await ctx.store.commit([bookkeeping(cancelRequested, 'execution_started', [started(cancelRequested.version)])]);
      expect(await ctx.store.execution.findDispatchIntent(order.id)).toMatchObject({ attempts: 1 });
    });

    it('given a cancel relayed to the instance running the session, then an intent left from the submit starts over at 0 attempts, not in doubt, due now; a leased one is left', async () => {
      const [left, leased] = [pendingOrder(newTraderId()), pendingOrder(newTraderId())];
      await ctx.store.commit([withIntent(left), withIntent(leased)]);
      await ctx.store.execution.claimDispatchIntents(claim('one', later(1), 10, 10));
      await ctx.store.commit([bookkeeping(left, 'execution_failed', [{
        kind: 'update', orderId: left.id, owner: 'one', attempts: 2, nextAttemptAt: later(60_000), leaseExpiresAt: null, inDoubt: true, lastError: 'timeout', at: later(2),
      }])]);
      // One's lease of the other ran out; two holds it now (left waits out its backoff, unclaimed).
      expect((await ctx.store.execution.claimDispatchIntents(claim('two', later(20), 10, 30_000))).map((intent) => intent.orderId)).toEqual([leased.id]);
      const relay = (order: Order): OrderChange => bookkeeping(order, 'cancel_requested', [{ kind: 'relay_cancel', orderId: order.id, at: later(25) }]);
      await ctx.store.commit([relay(left), relay(leased)]);
      expect(await ctx.store.execution.findDispatchIntent(left.id)).toMatchObject({ attempts: 0, inDoubt: false, nextAttemptAt: later(25), leaseOwner: null });
      expect(await ctx.store.execution.findDispatchIntent(leased.id)).toMatchObject({ attempts: 0, nextAttemptAt: T0, leaseOwner: 'two' });
    });

    it('given an intent waiting out a backoff, when expedited, then it is due at once; a leased or earlier-due intent is left as it is', async () => {
      const [waiting, leased] = [pendingOrder(newTraderId()), pendingOrder(newTraderId())];
      await ctx.store.commit([withIntent(waiting, later(60_000)), withIntent(leased)]);
      await ctx.store.execution.claimDispatchIntents(claim('one', later(1)));
      const expedite = (order: Order): OrderChange => bookkeeping(order, 'cancel_requested', [{ kind: 'expedite', orderId: order.id, at: later(10) }]);
      await ctx.store.commit([expedite(waiting), expedite(leased)]);
      expect(await ctx.store.execution.findDispatchIntent(waiting.id)).toMatchObject({ nextAttemptAt: later(10), leaseOwner: null });
      expect(await ctx.store.execution.findDispatchIntent(leased.id)).toMatchObject({ nextAttemptAt: T0, leaseOwner: 'one' });
      await ctx.store.commit([bookkeeping(waiting, 'cancel_requested', [{ kind: 'expedite', orderId: waiting.id, at: later(20) }])]);
      expect(await ctx.store.execution.findDispatchIntent(waiting.id)).toMatchObject({ nextAttemptAt: later(10) });
      expect((await ctx.store.execution.claimDispatchIntents(claim('two', later(10)))).map((i) => i.orderId)).toEqual([waiting.id]);
    });

    it('given leases held by an owner, when released, then the intents are claimable at once by anyone', async () => {
      const order = pendingOrder(newTraderId());
      await ctx.store.commit([withIntent(order)]);
      await ctx.store.execution.claimDispatchIntents(claim('one', later(1)));
      expect(await ctx.store.execution.releaseDispatchLeases('one')).toBe(1);
      expect(await ctx.store.execution.claimDispatchIntents(claim('two', later(2)))).toHaveLength(1);
    });

    it('given leases held under claims of an owner (owner/claim), when the owner releases, then those go and no other owner\'s do', async () => {
      const orders = [0, 1, 2, 3].map(() => pendingOrder(newTraderId()));
      await ctx.store.commit(orders.map((order) => withIntent(order)));
      for (const owner of ['a_1/claim-x', 'a_1/claim-y', 'a_10/claim-z', 'ab1/claim-w']) {
        expect(await ctx.store.execution.claimDispatchIntents(claim(owner, later(1), 1))).toHaveLength(1);
      }
      expect(await ctx.store.execution.releaseDispatchLeases('a_1')).toBe(2);
      const left = await ctx.store.execution.listDispatchIntents({ limit: 10 });
      expect(left.map((intent) => intent.leaseOwner ?? 'free').sort()).toEqual(['a_10/claim-z', 'ab1/claim-w', 'free', 'free']);
    });

    it('given venue configurations and routing rules, when written, then they read back; rules replace as a whole', async () => {
      await ctx.store.execution.putVenueConfig({ name: 'sim', kind: 'sim', settings: { seed: 7, faults: { dropAnswerPct: 20 } }, active: true, updatedAt: T0 });
      await ctx.store.execution.putVenueConfig({ name: 'sim', kind: 'sim_http', settings: { url: 'http://x' }, active: false, updatedAt: later(1) });
      await ctx.store.execution.putVenueConfig({ name: 'alpaca', kind: 'alpaca', settings: {}, active: true, updatedAt: T0 });
      expect(await ctx.store.execution.listVenueConfigs()).toEqual([
        { name: 'alpaca', kind: 'alpaca', settings: {}, active: true, updatedAt: T0 },
        { name: 'sim', kind: 'sim_http', settings: { url: 'http://x' }, active: false, updatedAt: later(1) },
      ]);
      await ctx.store.execution.replaceRoutingRules([
        { id: 'r2', priority: 2, symbol: null, traderId: null, venue: 'sim' },
        { id: 'r1', priority: 1, symbol: 'AAPL', traderId: 'alice', venue: 'alpaca' },
      ]);
      await ctx.store.execution.replaceRoutingRules([
        { id: 'r3', priority: 5, symbol: 'MSFT', traderId: null, venue: 'alpaca' },
        { id: 'r4', priority: 1, symbol: null, traderId: null, venue: 'sim' },
      ]);
      expect(await ctx.store.execution.listRoutingRules()).toEqual([
        { id: 'r4', priority: 1, symbol: null, traderId: null, venue: 'sim' },
        { id: 'r3', priority: 5, symbol: 'MSFT', traderId: null, venue: 'alpaca' },
      ]);
    });

    it('given reconciliation runs, then the latest per venue is listed and the cursor comes from the latest successful run', async () => {
      await ctx.store.execution.recordReconciliationRun(run('sim', T0));
      await ctx.store.execution.recordReconciliationRun(run('sim', later(1_000), { status: 'failed', fillsCursor: null, error: 'venue down', trigger: 'stream_restored' }));
      await ctx.store.execution.recordReconciliationRun(run('alpaca', T0, { fillsCursor: null }));
      expect(await ctx.store.execution.lastReconciliationRuns()).toEqual([run('alpaca', T0, { fillsCursor: null }),
        run('sim', later(1_000), { status: 'failed', fillsCursor: null, error: 'venue down', trigger: 'stream_restored' })]);
      expect(await ctx.store.execution.lastFillsCursor('sim')).toBe('7');
      expect(await ctx.store.execution.lastFillsCursor('alpaca')).toBeNull();
    });
  });
}
