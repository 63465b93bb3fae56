/**
 * A send is over only when its request is over. The link to the exchange holds the first submit
 * for 8 s: past the guard's 5 s timeout, inside an adapter's own 10 s deadline. Whatever the
 * backoff, the order is not looked up, closed or sent again until that submit settles, and it
 * ends as the venue has it. vitest's fake timers move the clock (the guard, the executor and the
 * exchange all read Date and setTimeout); the store commits on real turns of the event loop.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cancelOrder } from '../cancelOrder.ts';
import { StoreUnavailable } from '../../ports/store.ts';
import { sendsRecorded } from '../../../test/support/executionChecks.ts';
import { DEFAULT_RETRY_POLICY } from './intents.ts';
import { executionKit, type ExecutionKit, type KitOptions } from './executionTestKit.ts';

const START = new Date('2026-11-21T12:00:00.000Z').getTime();
const SLOW_LINK: KitOptions = { fakeTimers: true, heldSubmits: [8_000] };

let kit: ExecutionKit;
beforeEach(() => {
  vi.useFakeTimers({ now: START, toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
});
afterEach(async () => {
  await kit.close();
  vi.useRealTimers();
});

/** The venue's journal for one order, as "op:result@ms since the start". */
function journalOf(orderId: string): string[] {
  return kit.sim.journal().filter((e) => e.clientOrderId === orderId).map((e) => `${e.op}:${e.result}@${e.at.getTime() - START}`);
}

describe('attempt: a submit still on its way when the guard stops waiting', () => {
  it('given the last attempt, when the venue takes it after the guard timed out, then the order is acked at the venue\'s answer, never closed as rejected', async () => {
    kit = await executionKit({ ...SLOW_LINK, executor: { policy: { ...DEFAULT_RETRY_POLICY, maxAttempts: 1 } } });
    // The stream is down too: only a lookup can tell the gateway what the venue did.
    kit.venue.breakStream();
    const order = await kit.submit();

    await kit.advance(7_900);
    expect(await kit.store.execution.findDispatchIntent(order.id)).toMatchObject({ attempts: 1, inDoubt: true, leaseOwner: expect.stringMatching(/^instance-a\//) });
    expect((await kit.store.findOrder(order.id))?.status).toBe('pending');
    expect(journalOf(order.id)).toEqual([]);

    await kit.advance(1_000);
    expect(journalOf(order.id)).toEqual(['submit:accepted@8000', 'lookup:found@8002']);
    expect((await kit.store.findOrder(order.id))?.status).toBe('acked');
    expect((await kit.sim.lookup(order.id))?.status).toBe('working');
    expect(await kit.store.execution.findDispatchIntent(order.id)).toBeNull();
  });

  it('given attempts left, when the backoff ends before the submit settles, then nothing is sent again and the late answer stands', async () => {
    kit = await executionKit(SLOW_LINK);
    kit.venue.breakStream();
    const order = await kit.submit();

    await kit.advance(20_000);
    expect(journalOf(order.id)).toEqual(['submit:accepted@8000', 'lookup:found@8002']);
    expect((await kit.store.findOrder(order.id))?.status).toBe('acked');
    expect(await kit.auditKinds(order.id)).toEqual(['submitted', 'execution_started', 'execution_failed', 'acked', 'recovered']);
  });

  it('given a cancel while the submit is on its way, when the venue takes it late, then it is cancelled there too, not closed here as never sent', async () => {
    kit = await executionKit(SLOW_LINK);
    const order = await kit.submit();
    await kit.advance(6_000);
    const requested = await cancelOrder(kit.ctx, kit.dispatcher, 'trader-x', order.id, null);
    expect(requested.ok).toBe(true);

    await kit.advance(1_900);
    expect(journalOf(order.id)).toEqual([]);
    expect((await kit.store.findOrder(order.id))?.status).toBe('pending_cancel');

    await kit.advance(10_000);
    expect(journalOf(order.id).map((entry) => entry.replace(/@\d+$/, ''))).toEqual(['submit:accepted', 'cancel:requested']);
    expect((await kit.sim.lookup(order.id))?.status).toBe('cancelled');
    expect((await kit.store.findOrder(order.id))?.status).toBe('cancelled');
  });

  it('given a submit whose call never settles, then past the guard\'s cap the order stays in doubt and leased, never closed or sent again here', async () => {
    kit = await executionKit({
      ...SLOW_LINK, heldSubmits: [600_000], guard: { sendCapMs: 12_000 },
      executor: { leaseMs: 6_000, policy: { ...DEFAULT_RETRY_POLICY, maxAttempts: 1 } },
    });
    const order = await kit.submit();

    await kit.advance(30_000);
    expect(journalOf(order.id)).toEqual([]);
    expect((await kit.store.findOrder(order.id))?.status).toBe('pending');
    expect(await kit.store.execution.findDispatchIntent(order.id)).toMatchObject({
      attempts: 1, inDoubt: true, leaseOwner: expect.stringMatching(/^instance-a\//), lastError: 'the submit of attempt 1 has not settled',
    });
    expect(kit.anomalies).toContain('submit_unsettled');
  });

  it('given the task holding a submit on its way dies (a store error), then no other instance claims the order before the send cap, so it is sent once', async () => {
    // The submit takes 15 s: the failed task's lease lapses long before it lands.
    kit = await executionKit({ ...SLOW_LINK, heldSubmits: [15_000], executor: { leaseMs: 3_000 } });
    const other = kit.dispatcherFor('instance-b', { leaseMs: 3_000 });
    await other.start();
    // The first renewal of the lease while the submit is on its way fails: the task ends there.
    const committer = kit.ctx.committer;
    const commit = committer.commit.bind(committer);
    let failed = 0;
    committer.commit = async (change) => {
      const write = change.intents?.[0];
      if (failed === 0 && change.audit.length === 0 && write?.kind === 'update' && write.inDoubt && write.leaseExpiresAt !== null) {
        failed += 1;
        throw new StoreUnavailable('the database went away for a moment');
      }
      return commit(change);
    };
    const order = await kit.submit();

    await kit.advance(30_000);
    expect(failed).toBe(1);
    expect(journalOf(order.id).filter((entry) => entry.startsWith('submit'))).toEqual(['submit:accepted@15000']);
    expect((await kit.store.findOrder(order.id))?.status).toBe('acked');
    expect(await kit.store.execution.findDispatchIntent(order.id)).toMatchObject({ inDoubt: true, nextAttemptAt: expect.any(Date) });
    other.stop();
  });

  it('given the adapter sends nothing (no session), then the attempt is given back and the order goes out once the venue takes it, never rejected', async () => {
    kit = await executionKit({ fakeTimers: true, executor: { policy: { ...DEFAULT_RETRY_POLICY, maxAttempts: 1 } } });
    const venue = kit.dispatcher.guards.get('sim')!.raw;
    const submit = venue.submit.bind(venue);
    let refusals = 0;
    venue.submit = async (request) => (refusals < 5 ? (refusals += 1, { outcome: 'not_sent', reason: 'not sent: no session', retryAfterMs: 1_000 }) : submit(request));
    const order = await kit.submit();

    await kit.advance(60_000);
    expect(refusals).toBe(5);
    // Nothing reached the venue before it was sent: no lookup was owed, one submit went out.
    expect(journalOf(order.id).map((entry) => entry.replace(/@\d+$/, ''))).toEqual(['submit:accepted']);
    expect((await kit.store.findOrder(order.id))?.status).toBe('acked');
    expect(await kit.store.execution.findDispatchIntent(order.id)).toBeNull();
    // The trail says which tries never left: six started, five not sent, one send.
    const kinds = await kit.auditKinds(order.id);
    expect(kinds.filter((kind) => kind === 'execution_not_sent')).toHaveLength(5);
    expect(sendsRecorded(kinds)).toBe(1);
  });
});
