/**
 * One turn of one leased dispatch intent: decide from the order and the venue what to do, do
 * it, and record it. The rules, in order:
 * - An order whose fate is already recorded (acked by the stream, cancelled, …) needs nothing:
 *   the intent completes.
 * - An intent with attempts > 0 may have reached the venue: the order is looked up by its
 *   client order id first. Found: its state is adopted and nothing is sent. Absent: sent again
 *   with the same id, or, once the attempts are spent, closed as never accepted.
 * - Every send is preceded by a durable execution_started, fenced on the lease and on the
 *   order's version, so a crash after the send is seen as "maybe sent" on restart. An order
 *   claimed in its own commit carries it already (intents.ts claimedOnCommit) and is sent at
 *   once; if it waited at the rate governor or its lease is half gone, the lease is renewed
 *   first under the same fences.
 * - Unknown outcomes leave the order in doubt with a jittered exponential backoff; rejections
 *   are final, but a rejection of a retry is confirmed by a lookup (it may be the venue refusing
 *   a duplicate of an earlier attempt that it holds).
 * - A send is over only when its request is over: while the adapter's call of an unknown
 *   outcome is still on its way (the guard stopped waiting, the request did not stop), the
 *   order is not looked up, closed or sent again here, and its lease is renewed so that no
 *   other instance claims it. Past the guard's cap it stays in doubt, leased, never closed.
 * - An order withdrawn before the venue acknowledged it (pending_cancel with no venue order id)
 *   is closed unsent if it was never sent; if the venue turns out to hold it, the report that
 *   says so makes the report processor cancel it there (executionReports.ts).
 * Returns when the intent should be looked at again, or null when it is done or not ours.
 */
import { StoreConflict } from '../../ports/store.ts';
import type { DispatchIntent, DispatchIntentWrite } from '../../ports/execution.ts';
import type { ExecutionReport, VenueOrderView } from '../../ports/venue.ts';
import type { Order } from '../../domain/order/order.ts';
import type { OrderContext } from '../context.ts';
import type { ExecutionReportProcessor, RideTicket } from '../executionReports.ts';
import { reportsFromView } from '../reconcileOrder.ts';
import { bookkeeping, executionAudit, retryDelayMs, venueRequest, type ExecutionRecord, type RetryPolicy } from './intents.ts';
import type { VenueGuard } from './venueGuard.ts';

export interface AttemptDeps {
  readonly ctx: OrderContext;
  readonly reports: ExecutionReportProcessor;
  readonly guard: (venue: string) => VenueGuard | undefined;
  readonly policy: RetryPolicy;
  /** The lease the task holds (leaseToken: the instance and its claim); writes are fenced on it. */
  readonly owner: string;
  readonly leaseMs: number;
  readonly random: () => number;
}

const NEVER_REACHED = 'cancelled before it reached the venue';

/** Pending, or cancel-requested before any ack: the submit's outcome is still to be learned. */
const awaitsVenue = (order: Order) => order.status === 'pending' || (order.status === 'pending_cancel' && order.venueOrderId === null);

/** The task's deps with the lease it holds: every write of the task is fenced on that claim. */
const holding = (d: AttemptDeps, intent: DispatchIntent): AttemptDeps => (intent.leaseOwner ? { ...d, owner: intent.leaseOwner } : d);

export async function runIntent(deps: AttemptDeps, intent: DispatchIntent): Promise<Date | null> {
  const d = holding(deps, intent);
  const { ctx } = d;
  const order = await ctx.store.findOrder(intent.orderId);
  if (!order) {
    ctx.log.error({ orderId: intent.orderId }, 'dispatch intent for an order that does not exist; left for an operator');
    return null;
  }
  // 0 attempts on an order the venue holds: a cancel to send (intents.relay_cancel).
  if (order.status === 'pending_cancel' && order.venueOrderId !== null && intent.attempts === 0) return relayCancel(d, order, intent);
  if (!awaitsVenue(order)) {
    await finish(d, order, { kind: 'recovered', attempt: intent.attempts, via: 'order', found: order.status, resolution: 'none' });
    return null;
  }
  const guard = d.guard(intent.venue);
  if (!guard) {
    ctx.log.error({ orderId: order.id, venue: intent.venue }, 'no adapter for the venue of a dispatch intent; retrying later');
    return reschedule(d, order, intent, `venue ${intent.venue} is not connected`, d.policy.maxDelayMs);
  }

  if (intent.attempts > 0) {
    if (guard.sends.inFlight(order.id)) return holdWhileSending(d, order, intent, guard, d.ctx.clock.now());
    const found = await guard.lookup(order.id);
    if (found.kind === 'failed') {
      return reschedule(d, order, intent, `lookup failed: ${found.reason}`, Math.max(found.retryAfterMs ?? 0, retryDelayMs(d.policy, intent.attempts, d.random)));
    }
    if (found.kind === 'found') return adopt(d, order, intent, found.view);
    if (order.status === 'pending_cancel') return closeUnsent(d, order, intent, 'cancelled');
    if (intent.attempts >= d.policy.maxAttempts) return closeUnsent(d, order, intent, 'rejected');
  } else if (order.status === 'pending_cancel') {
    return closeUnsent(d, order, intent, 'cancelled');
  }
  return send(d, order, intent, guard);
}

/**
 * The first send of an order whose intent was claimed, and its attempt recorded as started, in
 * the order's own commit (intents.ts claimedOnCommit): nothing to read or write before sending.
 */
export async function runClaimedOnCommit(deps: AttemptDeps, intent: DispatchIntent, order: Order): Promise<Date | null> {
  const d = holding(deps, intent);
  const guard = d.guard(intent.venue);
  if (!guard) return runIntent(d, intent);
  return send(d, order, intent, guard, true);
}

/**
 * The intent of a cancel requested on an instance where the venue's session does not run
 * (cancelOrder.ts, relay_cancel): only an instance serving the venue claims it, and sends the
 * cancel. An unknown outcome is tried again after a backoff; the order's next state
 * (cancelled, or back to working on the venue's cancel reject) arrives as an execution report,
 * and a later turn of an order no longer pending_cancel closes the intent.
 */
async function relayCancel(d: AttemptDeps, order: Order, intent: DispatchIntent): Promise<Date | null> {
  const guard = d.guard(intent.venue);
  if (!guard) return reschedule(d, order, intent, `venue ${intent.venue} is not connected`, d.policy.maxDelayMs);
  const outcome = await guard.cancel(order.id);
  if (outcome.outcome === 'unknown') {
    return reschedule(d, order, intent, `cancel outcome unknown: ${outcome.reason}`, Math.max(outcome.retryAfterMs ?? 0, d.policy.baseDelayMs));
  }
  await finish(d, order, {
    kind: 'cancel_relayed', attempt: 1, outcome: outcome.outcome, reason: outcome.outcome === 'rejected' ? outcome.reason : null,
  });
  return null;
}

/** `started`: the attempt is already recorded (claimed on commit), so it is sent as it is. */
async function send(d: AttemptDeps, order: Order, intent: DispatchIntent, guard: VenueGuard, started = false): Promise<Date | null> {
  const attempt = started ? intent.attempts : intent.attempts + 1;
  // The `executed` record rides with whichever ack is applied first: the stream's or the answer's.
  const ride = d.reports.rideOnAck(order.id, (ack) => ({
    audit: executionAudit(d.ctx.ids, order, { kind: 'executed', attempt, outcome: 'accepted', venueOrderId: ack.venueOrderId }, d.ctx.clock.now()),
    intent: { kind: 'complete', orderId: order.id, owner: d.owner },
  }));
  try {
    return await sendRiding(d, order, intent, guard, { started, attempt, ride });
  } finally {
    ride.leave();
  }
}

async function sendRiding(
  d: AttemptDeps, order: Order, intent: DispatchIntent, guard: VenueGuard,
  { started, attempt, ride }: { readonly started: boolean; readonly attempt: number; readonly ride: RideTicket },
): Promise<Date | null> {
  const { ctx } = d;
  let changed = false;
  // The lease outlasts the guard's wait for the answer with room to record it; after that wait,
  // a submit still on its way is covered by holdWhileSending.
  const neededLeaseMs = guard.options.timeoutMs + d.leaseMs / 2;
  const outcome = await guard.submit(venueRequest(order), async (waited) => {
    const now = ctx.clock.now();
    // Claimed on commit and sent straight away, the attempt is recorded and the order is as it
    // was committed. After a wait at the governor, or late in its lease, it is not taken on
    // trust: the lease is renewed first, fenced like any other write (another instance may
    // have taken it over, a cancel may have been committed meanwhile).
    const leaseLeftMs = (intent.leaseExpiresAt?.getTime() ?? 0) - now.getTime();
    if (started && !waited && leaseLeftMs > neededLeaseMs) return true;
    // Fenced on the order's version too: a cancel committed since the order was read stops the send.
    return writeIntent(d, order, started ? [] : [{ kind: 'execution_started', attempt, venue: guard.name }], {
      kind: 'update', orderId: order.id, owner: d.owner, attempts: attempt, nextAttemptAt: now,
      leaseExpiresAt: new Date(now.getTime() + Math.max(d.leaseMs, neededLeaseMs)), inDoubt: intent.inDoubt, lastError: intent.lastError, at: now,
      orderVersion: order.version,
    }).catch((error: unknown) => {
      if (!(error instanceof StoreConflict && error.kind === 'order_version')) throw error;
      changed = true;
      return false;
    });
  });
  const now = ctx.clock.now();
  switch (outcome.outcome) {
    case 'not_sent':
      // The order changed before anything was sent: decide again from what it is now (a claim
      // on commit recorded its attempt as started, but this attempt never left).
      if (changed) return runIntent(d, started ? { ...intent, attempts: intent.attempts - 1 } : intent);
      // Withheld: the lease is another instance's now, or the store failed and the lease will lapse.
      if (outcome.cause === 'withheld') return null;
      if (outcome.cause === 'venue') return notSent(d, order, intent, attempt, outcome.reason, outcome.retryAfterMs);
      return reschedule(d, order, intent, outcome.reason, outcome.retryAfterMs ?? d.policy.baseDelayMs);
    case 'accepted':
      await apply(d, order.venue, { kind: 'ack', clientOrderId: order.id, venueOrderId: outcome.venueOrderId, at: now });
      // Not ridden: the order was acked before this send (the ack was not new), so record it apart.
      if (ride.state() === 'waiting') await finish(d, order, { kind: 'executed', attempt, outcome: 'accepted', venueOrderId: outcome.venueOrderId });
      return null;
    case 'rejected': {
      if (attempt > 1) {
        const found = await guard.lookup(order.id);
        if (found.kind === 'found') return adopt(d, order, { ...intent, attempts: attempt }, found.view);
        if (found.kind === 'failed') {
          return reschedule(d, order, { ...intent, attempts: attempt }, `rejected (${outcome.reason}), unconfirmed: lookup failed`, retryDelayMs(d.policy, attempt, d.random));
        }
      }
      // Ours first (fenced): a paused instance whose lease was taken over must not record a
      // refusal that may only be the venue refusing its late duplicate.
      if (!(await finish(d, order, { kind: 'executed', attempt, outcome: 'rejected', reason: outcome.reason }))) return null;
      await apply(d, order.venue, { kind: 'rejected', clientOrderId: order.id, venueOrderId: null, reason: outcome.reason, at: now });
      return null;
    }
    case 'unknown': {
      ctx.telemetry.anomaly('submit_outcome_unknown');
      // The venue's stream acked the order meanwhile: the attempt is recorded, nothing is in doubt.
      if (ride.state() !== 'waiting') return null;
      const wait = Math.max(retryDelayMs(d.policy, attempt, d.random), outcome.retryAfterMs ?? 0);
      const retryAt = new Date(now.getTime() + wait);
      const left = Math.max(0, d.policy.maxAttempts - attempt);
      if (left === 0) {
        ctx.telemetry.anomaly('order_in_doubt');
        ctx.log.error({ orderId: order.id, attempt, reason: outcome.reason }, 'submit attempts spent; the order stays in doubt until a lookup settles it');
      } else {
        ctx.log.warn({ orderId: order.id, attempt, reason: outcome.reason, retryAt }, 'submit outcome unknown; the order is looked up before any retry');
      }
      // Still on its way: the lease stays ours until the request is over (holdWhileSending).
      const sending = guard.sends.inFlight(order.id);
      const ok = await fenced(d, order, { kind: 'execution_failed', attempt, reason: outcome.reason, retryAt, attemptsLeft: left }, {
        kind: 'update', orderId: order.id, owner: d.owner, attempts: attempt, nextAttemptAt: sending ? notDueWhileSending(guard, order.id, now) : retryAt,
        leaseExpiresAt: sending ? new Date(now.getTime() + d.leaseMs) : null, inDoubt: true, lastError: outcome.reason, at: now,
      });
      if (!ok) return null;
      if (!sending) return retryAt;
      return holdWhileSending(d, order, { ...intent, attempts: attempt, lastError: outcome.reason }, guard, retryAt, ride);
    }
  }
}

/**
 * While a submit may be on its way the intent is not due before the send's cap has passed,
 * whatever happens to the lease: should this task die (a store error, a crash, a stop), the
 * lease lapses but no instance claims the order, and looks it up too early, before then. Past
 * the cap (the call still unsettled) it is not due for another cap from now.
 */
const notDueWhileSending = (guard: VenueGuard, orderId: string, now: Date) =>
  new Date(guard.sends.overdueAt(orderId) ?? now.getTime() + guard.sends.capMs);

/**
 * The order's last submit is still on its way: the venue not holding it yet proves nothing,
 * and a second request beside it could make a second order. The lease is renewed, and the
 * intent kept not due (notDueWhileSending), until the request settles; then the lease is
 * given up with the intent due at `dueAt` (or now, if later), when a lookup decides. A stream
 * ack meanwhile (`ride`) completes the intent itself. Past the guard's cap the order stays in
 * doubt and not due for another cap: the executor is not held by a call that never ends, the
 * claim after it finds the send still on its way here and holds again, and nothing closes the
 * order while it is unsettled.
 */
async function holdWhileSending(
  d: AttemptDeps, order: Order, intent: DispatchIntent, guard: VenueGuard, dueAt: Date, ride?: RideTicket,
): Promise<Date | null> {
  const renewEveryMs = Math.max(1, Math.floor(d.leaseMs / 3));
  // In doubt throughout: whatever the venue does with the request is not known yet.
  const lease = (now: Date, nextAttemptAt: Date, leaseExpiresAt: Date | null, lastError = intent.lastError) => writeIntent(d, order, [], {
    kind: 'update', orderId: order.id, owner: d.owner, attempts: intent.attempts, nextAttemptAt, leaseExpiresAt, inDoubt: true, lastError, at: now,
  });
  for (;;) {
    const state = await guard.sends.settled(order.id, renewEveryMs);
    if (ride && ride.state() !== 'waiting') return null;
    const now = d.ctx.clock.now();
    const leaseEnd = new Date(now.getTime() + d.leaseMs);
    if (state === 'settled') {
      const due = new Date(Math.max(dueAt.getTime(), now.getTime()));
      return (await lease(now, due, null)) ? due : null;
    }
    if (state === 'overdue') {
      d.ctx.telemetry.anomaly('submit_unsettled');
      d.ctx.log.error({ orderId: order.id, attempt: intent.attempts }, 'a submit has not settled within the cap; the order stays in doubt, unresolved here');
      const later = new Date(now.getTime() + guard.sends.capMs);
      return (await lease(now, later, leaseEnd, `the submit of attempt ${intent.attempts} has not settled`)) ? later : null;
    }
    if (!(await lease(now, notDueWhileSending(guard, order.id, now), leaseEnd))) return null;
  }
}

/** The venue holds the order: its state becomes ours, nothing is sent. */
async function adopt(d: AttemptDeps, order: Order, intent: DispatchIntent, view: VenueOrderView): Promise<null> {
  for (const report of reportsFromView(view, d.ctx.clock.now())) await apply(d, order.venue, report);
  await finish(d, order, { kind: 'recovered', attempt: intent.attempts, via: 'lookup', found: view.status, resolution: 'adopted' });
  return null;
}

/** The venue does not hold the order after the last attempt (or the trader withdrew it): it is closed here. */
async function closeUnsent(d: AttemptDeps, order: Order, intent: DispatchIntent, resolution: 'rejected' | 'cancelled'): Promise<null> {
  const reason = resolution === 'cancelled'
    ? NEVER_REACHED
    : `not accepted by ${order.venue} after ${intent.attempts} attempts; last error: ${intent.lastError ?? 'none'}`;
  const record: ExecutionRecord = { kind: 'recovered', attempt: intent.attempts, via: intent.attempts > 0 ? 'lookup' : 'order', found: intent.attempts > 0 ? 'absent' : order.status, resolution };
  if (!(await finish(d, order, record))) return null;
  const at = d.ctx.clock.now();
  await apply(d, order.venue, resolution === 'cancelled'
    ? { kind: 'cancelled', clientOrderId: order.id, venueOrderId: null, reason, at }
    : { kind: 'rejected', clientOrderId: order.id, venueOrderId: null, reason, at });
  return null;
}

/** The longest an order the adapter could not send waits before it is tried again. */
const NOT_SENT_MAX_WAIT_MS = 5_000;

/**
 * The adapter sent nothing (a FIX session down): the attempt, recorded as started, never left,
 * so it is given back (no lookup is owed for it) and the order is tried again soon. The wait
 * is a quarter of the order's age up to NOT_SENT_MAX_WAIT_MS, never less than the venue's
 * Retry-After: a long outage does not rewrite every waiting order every second, and an order
 * goes out within a few seconds of the session's return.
 */
async function notSent(d: AttemptDeps, order: Order, intent: DispatchIntent, attempt: number, reason: string, retryAfterMs: number): Promise<Date | null> {
  const now = d.ctx.clock.now();
  const ageMs = now.getTime() - order.createdAt.getTime();
  const retryAt = new Date(now.getTime() + Math.max(retryAfterMs, Math.min(ageMs / 4, NOT_SENT_MAX_WAIT_MS)));
  const ok = await fenced(d, order, { kind: 'execution_not_sent', attempt, reason, retryAt }, {
    kind: 'update', orderId: order.id, owner: d.owner, attempts: attempt - 1, nextAttemptAt: retryAt, leaseExpiresAt: null,
    inDoubt: intent.inDoubt, lastError: reason, at: now,
  });
  return ok ? retryAt : null;
}

async function reschedule(d: AttemptDeps, order: Order, intent: DispatchIntent, reason: string, waitMs: number): Promise<Date | null> {
  const now = d.ctx.clock.now();
  const retryAt = new Date(now.getTime() + waitMs);
  const ok = await writeIntent(d, order, [], {
    kind: 'update', orderId: order.id, owner: d.owner, attempts: intent.attempts, nextAttemptAt: retryAt, leaseExpiresAt: null,
    inDoubt: intent.inDoubt, lastError: reason, at: now,
  });
  return ok ? retryAt : null;
}

/** Records `record` and completes the intent. False when the lease is no longer ours. */
function finish(d: AttemptDeps, order: Order, record: ExecutionRecord): Promise<boolean> {
  return fenced(d, order, record, { kind: 'complete', orderId: order.id, owner: d.owner });
}

function fenced(d: AttemptDeps, order: Order, record: ExecutionRecord, write: DispatchIntentWrite): Promise<boolean> {
  return writeIntent(d, order, [record], write);
}

async function writeIntent(d: AttemptDeps, order: Order, records: readonly ExecutionRecord[], write: DispatchIntentWrite): Promise<boolean> {
  // The audit entry carries the time of the decision it records (a retry_at is relative to it).
  const at = write.kind === 'update' ? write.at : d.ctx.clock.now();
  const audit = records.map((record) => executionAudit(d.ctx.ids, order, record, at));
  try {
    await d.ctx.committer.commit(bookkeeping(order, audit, [write]));
    return true;
  } catch (error) {
    if (error instanceof StoreConflict && error.kind === 'dispatch_lease') {
      d.ctx.log.warn({ orderId: order.id, owner: d.owner }, 'dispatch lease taken over by another instance; leaving the order to it');
      return false;
    }
    throw error;
  }
}

async function apply(d: AttemptDeps, venue: string, report: ExecutionReport): Promise<void> {
  await d.reports.process(venue, report);
}
