/**
 * The executor on a hand-moved clock: what each submit outcome leads to, when retries happen,
 * that every retry is preceded by a lookup with the same client order id, that an order in
 * doubt stays visible until a lookup settles it, and that leases keep two executors (or a dead
 * one and its successor) from sending one order twice, also while a send outlives the guard's
 * timeout (that test runs on vitest's fake timers: the guard times out on a plain timer).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { asSymbol } from '../../domain/ids.ts';
import { cancelOrder } from '../cancelOrder.ts';
import type { Order } from '../../domain/order/order.ts';
import type { Dispatcher } from '../dispatch.ts';
import { submitOrder } from '../submitOrder.ts';
import { HELD_DISPATCH, limitOrder } from '../testContext.ts';
import { bookkeeping, executionAudit, venueRequest } from './intents.ts';
import { executionKit, submitInDoubt, type ExecutionKit } from './executionTestKit.ts';

let kit: ExecutionKit;
afterEach(async () => {
  await kit.close();
  vi.useRealTimers();
});

/** The venue's journal for one order, as "op:result@ms since the start". */
async function journalOf(orderId: string): Promise<string[]> {
  const start = new Date('2026-11-21T12:00:00.000Z').getTime();
  return kit.sim.journal().filter((e) => e.clientOrderId === orderId).map((e) => `${e.op}:${e.result}@${e.at.getTime() - start}`);
}

describe('executor: one submit, three outcomes', () => {
  it('given an accepted submit, then the order is acked and the attempt recorded; nothing is looked up', async () => {
    kit = await executionKit();
    const order = await kit.submit();
    await kit.settled();
    expect((await kit.store.findOrder(order.id))?.status).toBe('acked');
    expect(await journalOf(order.id)).toEqual(['submit:accepted@0']);
    expect(await kit.auditKinds(order.id)).toEqual(['submitted', 'execution_started', 'acked', 'executed']);
    expect(await kit.store.execution.findDispatchIntent(order.id)).toBeNull();
  });

  it('given a definitive rejection (unknown symbol), then it is not retried', async () => {
    kit = await executionKit();
    const order = await kit.submit({ symbol: asSymbol('XYZ') });
    await kit.advance(60_000);
    expect(await kit.store.findOrder(order.id)).toMatchObject({ status: 'rejected', reason: 'unknown symbol XYZ' });
    expect(await journalOf(order.id)).toEqual(['submit:rejected@0']);
    expect(await kit.auditKinds(order.id)).toEqual(['submitted', 'execution_started', 'executed', 'rejected']);
  });

  it('given a lost answer, then the order is in doubt until the backoff ends, then looked up and adopted, never resent', async () => {
    kit = await executionKit();
    const order = await submitInDoubt(kit);
    await kit.advance(1_099);
    expect(await journalOf(order.id)).toEqual(['submit:accepted@0']);
    await kit.advance(10);
    expect(await journalOf(order.id)).toEqual(['submit:accepted@0', 'lookup:found@1102']);
    expect((await kit.store.findOrder(order.id))?.status).toBe('acked');
    expect(await kit.store.execution.findDispatchIntent(order.id)).toBeNull();
    expect(await kit.auditKinds(order.id)).toEqual(['submitted', 'execution_started', 'execution_failed', 'acked', 'recovered']);
  });

  it('given errors, then retries wait 1 s then 2 s (+jitter), each after a lookup, with the same client order id', async () => {
    kit = await executionKit();
    kit.plan.force('error');
    kit.plan.force('error');
    const order = await kit.submit();
    await kit.advance(10_000);
    // jitter 0.5 · 20%: 1100 ms after attempt 1, 2200 ms after attempt 2 (+2 ms timer slack each).
    expect(await journalOf(order.id)).toEqual(['lookup:not_found@1102', 'lookup:not_found@3304', 'submit:accepted@3304']);
    expect((await kit.store.findOrder(order.id))?.status).toBe('acked');
    expect(await kit.auditKinds(order.id)).toEqual([
      'submitted', 'execution_started', 'execution_failed', 'execution_started', 'execution_failed', 'execution_started', 'acked', 'executed',
    ]);
    const started = (await kit.store.listAudit(order.id)).filter((row) => row.kind === 'execution_started').map((row) => JSON.parse(row.payload));
    expect(started).toEqual([{ attempt: 1, venue: 'sim' }, { attempt: 2, venue: 'sim' }, { attempt: 3, venue: 'sim' }]);
  });

  it('given three unknown outcomes, then the order stays in doubt, visible, until a lookup settles it', async () => {
    kit = await executionKit();
    for (let i = 0; i < 3; i += 1) kit.plan.force('error');
    const order = await kit.submit();
    await kit.advance(3_400);
    expect(await kit.store.execution.findDispatchIntent(order.id)).toMatchObject({ attempts: 3, inDoubt: true, lastError: 'HTTP 503 Service Unavailable' });
    expect(await kit.store.execution.inDoubtOrderIds([order.id])).toEqual(new Set([order.id]));
    expect(kit.anomalies).toContain('order_in_doubt');
    expect((await kit.store.findOrder(order.id))?.status).toBe('pending');
    await kit.advance(4_500);
    expect(await kit.store.findOrder(order.id)).toMatchObject({
      status: 'rejected', reason: 'not accepted by sim after 3 attempts; last error: HTTP 503 Service Unavailable',
    });
    expect(await kit.store.execution.findDispatchIntent(order.id)).toBeNull();
    expect((await journalOf(order.id)).filter((e) => e.startsWith('submit'))).toEqual([]);
  });

  it('given a 429 with Retry-After, then nothing goes to the venue before it passes, and the retry looks up first', async () => {
    kit = await executionKit({ faults: { retryAfterMs: 5_000 } });
    kit.plan.force('throttle');
    const order = await kit.submit();
    await kit.settled();
    const other = await kit.submit();
    await kit.advance(4_990);
    expect(await journalOf(other.id)).toEqual([]);
    await kit.advance(1_000);
    expect(await journalOf(other.id)).toEqual(['submit:accepted@5000']);
    expect(await journalOf(order.id)).toEqual(['lookup:not_found@5002', 'submit:accepted@5002']);
  });
});

describe('executor: leases', () => {
  it('given two executors on one store, when both are woken for the same orders, then each order is sent once', async () => {
    kit = await executionKit();
    const other = kit.dispatcherFor('instance-b');
    const orders = await Promise.all(Array.from({ length: 40 }, () => kit.submit()));
    other.dispatch(orders[0]!);
    await kit.settled();
    const submits = kit.sim.journal().filter((e) => e.op === 'submit');
    expect(submits).toHaveLength(40);
    expect(new Set(submits.map((e) => e.clientOrderId)).size).toBe(40);
  });

  it('given an instance that died after recording an attempt, when its lease lapses, then another looks up before sending', async () => {
    kit = await executionKit({ executor: { leaseMs: 15_000, pollMs: 1_000 } });
    const lost = await submitHeld();
    // The dead instance: claimed, wrote execution_started, sent; its answer never recorded.
    const [claimed] = await kit.store.execution.claimDispatchIntents({ owner: 'dead', now: kit.time.now(), leaseMs: 15_000, limit: 10 });
    expect(claimed?.orderId).toBe(lost.id);
    const now = kit.time.now();
    await kit.ctx.committer.commit(bookkeeping(lost, [executionAudit(kit.ctx.ids, lost, { kind: 'execution_started', attempt: 1, venue: 'sim' }, now)], [{
      kind: 'update', orderId: lost.id, owner: 'dead', attempts: 1, nextAttemptAt: now, leaseExpiresAt: new Date(now.getTime() + 15_000),
      inDoubt: false, lastError: null, at: now,
    }]));
    kit.venue.breakStream();
    await kit.sim.submit(venueRequest(lost));
    kit.venue.restoreStream();

    await kit.dispatcher.start();
    await kit.advance(14_000);
    expect(await journalOf(lost.id)).toEqual(['submit:accepted@0']);
    await kit.advance(1_000);
    expect(await journalOf(lost.id)).toEqual(['submit:accepted@0', 'lookup:found@15000']);
    expect((await kit.store.findOrder(lost.id))?.status).toBe('acked');
    expect(await kit.auditKinds(lost.id)).toEqual(['submitted', 'execution_started', 'acked', 'recovered']);
  });

  it('given an order claimed in its own commit by an instance that died before sending, then the next owner looks it up first and sends it once', async () => {
    kit = await executionKit();
    const dying = kit.dispatcherFor('instance-dead');
    const dead = { prepare: dying.prepare.bind(dying), dispatch() {} };
    const placed = await submitOrder(kit.ctx, dead, limitOrder('trader-x'), null);
    if (!placed.ok) throw new Error(placed.error.code);
    const order = placed.value;
    expect(await kit.store.execution.findDispatchIntent(order.id)).toMatchObject({ attempts: 1, leaseOwner: expect.stringMatching(/^instance-dead\//) });
    expect(await kit.auditKinds(order.id)).toEqual(['submitted', 'execution_started']);
    dying.stop();

    await kit.dispatcher.start();
    await kit.advance(14_000);
    expect(await journalOf(order.id)).toEqual([]);
    await kit.advance(1_100);
    expect(await journalOf(order.id)).toEqual(['lookup:not_found@15000', 'submit:accepted@15000']);
    expect((await kit.store.findOrder(order.id))?.status).toBe('acked');
    expect(await kit.auditKinds(order.id)).toEqual(['submitted', 'execution_started', 'execution_started', 'acked', 'executed']);
  });

  it('given an order claimed on commit that waits at its paused governor past its lease, then the instance that took it over sends it and the first one never does', async () => {
    kit = await executionKit();
    kit.dispatcher.guards.get('sim')!.governor.pauseFor(20_000);
    const order = await kit.submit();
    expect(await kit.store.execution.findDispatchIntent(order.id)).toMatchObject({ attempts: 1, leaseOwner: expect.stringMatching(/^instance-a\//) });
    const other = kit.dispatcherFor('instance-b');
    await other.start();

    await kit.advance(16_000);
    expect(kit.sim.journal().filter((e) => e.clientOrderId === order.id).map((e) => `${e.op}:${e.result}`)).toEqual(['lookup:not_found', 'submit:accepted']);
    await kit.advance(10_000);
    expect(kit.sim.journal().filter((e) => e.clientOrderId === order.id).map((e) => `${e.op}:${e.result}`)).toEqual(['lookup:not_found', 'submit:accepted']);
    expect((await kit.store.findOrder(order.id))?.status).toBe('acked');
    expect(await kit.store.execution.findDispatchIntent(order.id)).toBeNull();
  });

  it('given a stale task of an instance that claims the order again after another instance sent it, then the stale task sends nothing', async () => {
    kit = await executionKit({ muteDroppedOrders: true });
    // A's task (claimed on commit) waits at its paused governor past its lease.
    kit.dispatcher.guards.get('sim')!.governor.pauseFor(20_000);
    const order = await kit.submit();
    const other = kit.dispatcherFor('instance-b');
    await other.start();
    // B takes the order over and sends it; the venue takes it, its answer is lost: in doubt.
    kit.plan.force('drop');
    await kit.advance(16_000);
    expect(kit.sim.journal().filter((e) => e.clientOrderId === order.id).map((e) => `${e.op}:${e.result}`)).toEqual(['lookup:not_found', 'submit:accepted']);
    // B stops; A claims the order again while its first task still waits at the governor.
    other.stop();
    await kit.dispatcher.start();
    await kit.advance(10_000);

    // A's stale task is fenced out by the new claim; the new one looks the order up and adopts it.
    const submits = kit.sim.journal().filter((e) => e.clientOrderId === order.id && e.op === 'submit');
    expect(submits).toHaveLength(1);
    expect((await kit.store.findOrder(order.id))?.status).toBe('acked');
    expect((await kit.sim.lookup(order.id))?.status).toBe('working');
  });

  it('given a submit still on its way after the guard timed out, then no other instance can claim the order until that request is over, past its lease', async () => {
    vi.useFakeTimers({ now: new Date('2026-11-21T12:00:00.000Z'), toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    // Guard timeout 5 s, backoff 1.1 s, lease 3 s: all shorter than the 8 s the submit takes.
    kit = await executionKit({ fakeTimers: true, heldSubmits: [8_000], executor: { leaseMs: 3_000 } });
    const other = kit.dispatcherFor('instance-b', { leaseMs: 3_000 });
    await other.start();
    const order = await kit.submit();

    await kit.advance(7_900);
    expect(await journalOf(order.id)).toEqual([]);
    const intent = await kit.store.execution.findDispatchIntent(order.id);
    expect(intent).toMatchObject({ attempts: 1, inDoubt: true, leaseOwner: expect.stringMatching(/^instance-a\//) });
    expect(intent!.leaseExpiresAt!.getTime()).toBeGreaterThan(Date.now());
    expect(await kit.store.execution.claimDispatchIntents({ owner: 'instance-b', now: new Date(), leaseMs: 3_000, limit: 10 })).toEqual([]);

    await kit.advance(5_000);
    expect(await journalOf(order.id)).toEqual(['submit:accepted@8000']);
    expect((await kit.store.findOrder(order.id))?.status).toBe('acked');
    expect(await kit.store.execution.findDispatchIntent(order.id)).toBeNull();
  });

  it('given a restart under the same instance name, then its own leases are released and the work resumes at once', async () => {
    kit = await executionKit();
    const order = await submitHeld();
    await kit.store.execution.claimDispatchIntents({ owner: 'stable-name', now: kit.time.now(), leaseMs: 15_000, limit: 10 });
    const restarted = kit.dispatcherFor('stable-name');
    await restarted.start();
    await kit.settled();
    expect((await kit.store.findOrder(order.id))?.status).toBe('acked');
  });

  it('given an order cancelled before the executor reached it, then it is never sent and is closed here', async () => {
    kit = await executionKit();
    const order = await submitHeld();
    const cancelled = await cancelOrder(kit.ctx, kit.dispatcher, 'trader-x', order.id, null);
    expect(cancelled.ok).toBe(true);
    await kit.settled();
    expect(kit.sim.journal().filter((e) => e.op === 'submit' || e.op === 'cancel')).toEqual([]);
    expect(await kit.store.findOrder(order.id)).toMatchObject({ status: 'cancelled', reason: 'cancelled before it reached the venue' });
    expect(await kit.store.execution.findDispatchIntent(order.id)).toBeNull();
  });

  it('given an order in doubt when the trader cancels, then it is looked up at once (not after the backoff) and cancelled at the venue exactly once', async () => {
    kit = await executionKit();
    const order = await submitInDoubt(kit);

    await kit.advance(100);
    const requested = await cancelOrder(kit.ctx, kit.dispatcher, 'trader-x', order.id, null);
    expect(requested.ok).toBe(true);
    await kit.settled();
    expect(await journalOf(order.id)).toEqual(['submit:accepted@0', 'lookup:found@100', 'cancel:requested@100']);
    expect((await kit.store.findOrder(order.id))?.status).toBe('cancelled');
    await kit.advance(60_000);
    expect(kit.sim.journal().filter((e) => e.clientOrderId === order.id && e.op !== 'lookup').map((e) => e.op)).toEqual(['submit', 'cancel']);
  });

  it('given a cancel committed after the executor read the order, then the send is withheld by the version fence and the order closed unsent', async () => {
    kit = await executionKit();
    const order = await submitHeld();
    const [intent] = await kit.store.execution.claimDispatchIntents({ owner: 'instance-a', now: kit.time.now(), leaseMs: 15_000, limit: 1 });
    const stale = { ...intent!, leaseOwner: 'instance-a' };
    // The cancel lands between the executor's read of the order and its execution_started.
    await cancelOrder(kit.ctx, { dispatch() {} }, 'trader-x', order.id, null);
    await expect(kit.ctx.committer.commit(bookkeeping(order, [], [{
      kind: 'update', orderId: order.id, owner: 'instance-a', attempts: 1, nextAttemptAt: kit.time.now(),
      leaseExpiresAt: new Date(kit.time.now().getTime() + 15_000), inDoubt: false, lastError: null, at: kit.time.now(), orderVersion: order.version,
    }]))).rejects.toMatchObject({ name: 'StoreConflict', kind: 'order_version' });
    expect(await kit.store.execution.findDispatchIntent(order.id)).toMatchObject({ attempts: 0 });
    expect(stale.attempts).toBe(0);
  });
});


/** Commits an order and its intent without waking any executor, as if the instance died at once. */
async function submitHeld(): Promise<Order> {
  const result = await submitOrder(kit.ctx, HELD_DISPATCH, limitOrder('trader-x'), null);
  if (!result.ok) throw new Error(result.error.code);
  return result.value;
}
