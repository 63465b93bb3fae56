/**
 * Applies a venue's execution reports to orders: ack, fill, cancel, cancel reject, reject,
 * expiry. Reports may repeat, arrive out of order (a fill before the ack) or race a cancel;
 * the transition table decides. Fills are deduplicated by (venue, venue fill id) in the
 * database; an overfill is refused and reported, never applied.
 * Two duties come with applying them, because only the report applied under the order's lock
 * knows the moment: the executor's record of a send rides with the change that applies the
 * order's ack (rideOnAck), and an order withdrawn before the venue acknowledged it is
 * cancelled at the venue by the report that first shows the venue holds it.
 */
import { decide, type OrderCommand } from '../domain/order/decide.ts';
import { isOrderId, type VenueFillId, type VenueName, type VenueOrderId } from '../domain/ids.ts';
import type { Order } from '../domain/order/order.ts';
import type { DispatchIntentWrite } from '../ports/execution.ts';
import { StoreConflict, StoreUnavailable, type AuditEntry, type OrderChange } from '../ports/store.ts';
import { bookkeeping } from './execution/intents.ts';
import type { ExecutionReport } from '../ports/venue.ts';
import { secondsSince, type OrderContext } from './context.ts';
import { adjustmentCommand, isAdjustment } from './fillAdjustments.ts';
import { buildChange } from './orderChanges.ts';
import type { IdempotencyWriter } from './submitOrder.ts';

export type ReportOutcome = 'applied' | 'duplicate' | 'ignored' | 'refused';

/** What the executor adds to the change that applies an ack: its `executed` record, and the intent's completion. */
export interface AckRide {
  readonly audit: AuditEntry;
  readonly intent: DispatchIntentWrite;
}

/** The executor's hold on its ride: written (with an ack), lost (its lease was taken over), or still waiting. */
export interface RideTicket {
  state(): PendingRide['state'];
  leave(): void;
}

interface PendingRide {
  readonly writes: (ack: Extract<ExecutionReport, { kind: 'ack' }>) => AckRide;
  state: 'waiting' | 'written' | 'lost';
}

interface ReportCall {
  readonly venueName: string;
  readonly report: ExecutionReport;
  readonly idempotency: IdempotencyWriter | null;
  /** Set when this report showed the venue holds an order already withdrawn here. */
  withdrawn: boolean;
}

const withRide = (change: OrderChange, ride: AckRide): OrderChange => ({
  ...change,
  audit: [...change.audit, ride.audit],
  intents: [...(change.intents ?? []), ride.intent],
});

/**
 * Tries of one report against a changed order version: each reads the order afresh and decides
 * again, so another writer of the same order (another instance applying the same stream, the
 * submit's own answer) is waited out, not lost to.
 */
const REPORT_TRIES = 5;

/** Waits before a report the store could not take is applied again (listen). */
const REPORT_RETRY_DELAYS_MS: readonly number[] = [250, 500, 1_000, 2_000, 4_000, 8_000, 16_000];

/** Statuses of an order the gateway no longer wants working at the venue. */
const WITHDRAWN: ReadonlySet<Order['status']> = new Set(['pending_cancel', 'cancelled']);

export class ExecutionReportProcessor {
  constructor(private readonly ctx: OrderContext) {}

  /**
   * Subscribes to a venue's report stream; the stream goes on whatever one report does. A report
   * the store could not take (StoreUnavailable: the database away, or held by another instance's
   * transaction) is applied again after REPORT_RETRY_DELAYS_MS: the venue will not send it again,
   * and without it the order would stay behind the venue until the next reconciliation. Past
   * those, or on any other error, it is logged and left to reconciliation.
   */
  listen(venueName: string, subscribe: (listener: (r: ExecutionReport) => void) => () => void): () => void {
    let stopped = false;
    const pending = new Set<NodeJS.Timeout>();
    const apply = (report: ExecutionReport, retry: number) => {
      this.process(venueName, report).catch((error: unknown) => {
        const delayMs = REPORT_RETRY_DELAYS_MS[retry];
        if (error instanceof StoreUnavailable && delayMs !== undefined && !stopped) {
          this.ctx.log.warn({ venue: venueName, report: report.kind, orderId: report.clientOrderId, retry: retry + 1, delayMs, err: String(error) },
            'execution report not applied yet; trying again');
          const timer = setTimeout(() => {
            pending.delete(timer);
            apply(report, retry + 1);
          }, delayMs);
          timer.unref();
          pending.add(timer);
          return;
        }
        this.ctx.log.error({ venue: venueName, report: report.kind, orderId: report.clientOrderId, err: String(error) },
          'execution report not applied; reconciliation will catch it up');
      });
    };
    const unsubscribe = subscribe((report) => apply(report, 0));
    return () => {
      stopped = true;
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
      unsubscribe();
    };
  }

  /**
   * `idempotency`, when given, writes the answer of the request that caused this report in the
   * same transaction as the report's effect (simulate_fill's last fill).
   */
  async process(venueName: string, report: ExecutionReport, idempotency: IdempotencyWriter | null = null): Promise<ReportOutcome> {
    if (!isOrderId(report.clientOrderId)) {
      this.ctx.log.warn({ venue: venueName, clientOrderId: report.clientOrderId }, 'report for an order this gateway did not send');
      return 'ignored';
    }
    const call: ReportCall = { venueName, report, idempotency, withdrawn: false };
    const outcome = await this.ctx.locks.run(report.clientOrderId, () => this.applyLocked(call, REPORT_TRIES));
    if (call.withdrawn) await this.cancelWithdrawn(venueName, report.clientOrderId);
    return outcome;
  }

  /**
   * The executor's record of a submit it is sending rides with the change that applies the
   * order's ack, whether the ack comes on the venue's stream or as the submit's own answer, so
   * an accepted submit costs one commit, not two. The ride is settled by the first ack applied
   * (or found to be a duplicate) while it waits; its writes are fenced on the executor's lease.
   */
  rideOnAck(orderId: string, writes: (ack: Extract<ExecutionReport, { kind: 'ack' }>) => AckRide): RideTicket {
    const ride: PendingRide = { writes, state: 'waiting' };
    this.#rides.set(orderId, ride);
    return {
      state: () => ride.state,
      leave: () => {
        if (this.#rides.get(orderId) === ride) this.#rides.delete(orderId);
      },
    };
  }

  readonly #rides = new Map<string, PendingRide>();

  /**
   * The venue has just shown it holds an order the gateway had already withdrawn while the venue
   * had not acknowledged it (see cancelOrder.ts): this report is the one moment that is known,
   * once, under the order's lock, so the cancel is sent from here, and only from here.
   */
  private async cancelWithdrawn(venueName: string, orderId: string): Promise<void> {
    const venue = this.ctx.venues.get(venueName);
    if (!venue) return;
    const outcome = await venue.cancel(orderId);
    this.ctx.log.warn({ orderId, venue: venueName, outcome: outcome.outcome }, 'the venue holds an order withdrawn before it was acknowledged; cancel sent');
    if (outcome.outcome === 'unknown') this.ctx.telemetry.anomaly('cancel_outcome_unknown');
  }

  private async applyLocked(call: ReportCall, triesLeft: number): Promise<ReportOutcome> {
    const { venueName, report, idempotency } = call;
    // Both reads at once: on PostgreSQL each is a round trip, and a fill waits for both.
    const [order, seen] = await Promise.all([
      this.ctx.store.findOrder(report.clientOrderId),
      report.kind === 'fill' ? this.ctx.store.fillExists(venueName, report.venueFillId) : false,
    ]);
    if (!order || order.venue !== venueName) {
      this.ctx.telemetry.anomaly('report_for_unknown_order');
      this.ctx.log.warn({ venue: venueName, orderId: report.clientOrderId, kind: report.kind }, 'report for an unknown order');
      return 'ignored';
    }
    if (seen) return 'duplicate';

    const now = this.ctx.clock.now();
    const adjusted = isAdjustment(report) ? await adjustmentCommand(this.ctx, venueName, order, report) : null;
    if (adjusted === 'duplicate' || adjusted === 'ignored') return adjusted;
    const decision = decide(adjusted ?? commandFor(venueName, report), order, now);
    if (!decision.ok) return this.refused(order, report, decision.error.code);
    const ride = report.kind === 'ack' ? this.#rides.get(order.id) : undefined;
    const riding = report.kind === 'ack' && ride?.state === 'waiting' ? { ride, writes: ride.writes(report) } : null;
    if (decision.value.length === 0) {
      if (riding) await this.settleRide(riding, bookkeeping(order, [riding.writes.audit], [riding.writes.intent]));
      return 'duplicate';
    }

    const built = buildChange(this.ctx.ids, order, decision.value, idempotency);
    const account = this.ctx.risk?.settlementFor(order, built.order, decision.value, now) ?? null;
    const change: OrderChange = account ? { ...built.change, account } : built.change;
    try {
      if (!riding) await this.ctx.committer.commit(change);
      else if (!(await this.settleRide(riding, withRide(change, riding.writes)))) return this.applyLocked(call, triesLeft);
      if (account) this.ctx.risk?.invalidate(order.traderId);
    } catch (error) {
      if (error instanceof StoreConflict && error.kind === 'venue_fill_id') return 'duplicate';
      if (error instanceof StoreConflict && error.kind === 'order_version' && triesLeft > 1) return this.applyLocked(call, triesLeft - 1);
      throw error;
    }
    if (order.venueOrderId === null && built.order.venueOrderId !== null && WITHDRAWN.has(built.order.status)) call.withdrawn = true;
    if (report.kind === 'ack') this.ctx.telemetry.orderStage('venue_ack', secondsSince(this.ctx.clock, order.createdAt));
    if (report.kind === 'fill') this.ctx.telemetry.orderStage('fill', secondsSince(this.ctx.clock, order.createdAt));
    return 'applied';
  }

  /** Commits a change carrying a ride; false when the executor's lease was lost (the ride is then off). */
  private async settleRide(riding: { ride: PendingRide }, change: OrderChange): Promise<boolean> {
    try {
      await this.ctx.committer.commit(change);
      riding.ride.state = 'written';
      return true;
    } catch (error) {
      if (!(error instanceof StoreConflict && error.kind === 'dispatch_lease')) throw error;
      riding.ride.state = 'lost';
      return false;
    }
  }

  private refused(order: Order, report: ExecutionReport, code: string): ReportOutcome {
    // A repeated terminal report (a second "cancelled") is the venue repeating itself.
    const repeated = order.status === terminalStatusOf(report.kind);
    if (repeated) return 'duplicate';
    this.ctx.telemetry.anomaly(code === 'overfill' ? 'overfill_refused' : `report_${code}`);
    this.ctx.log.error({ orderId: order.id, status: order.status, report: report.kind, code }, 'venue report refused by the order state machine');
    return 'refused';
  }
}

function terminalStatusOf(kind: ExecutionReport['kind']): Order['status'] | null {
  return kind === 'cancelled' ? 'cancelled' : kind === 'rejected' ? 'rejected' : kind === 'expired' ? 'expired' : null;
}

function commandFor(venue: string, report: ExecutionReport): OrderCommand {
  switch (report.kind) {
    case 'ack':
      return { kind: 'record_ack', venueOrderId: report.venueOrderId as VenueOrderId };
    case 'fill':
      return {
        kind: 'record_fill',
        fill: {
          venueFillId: report.venueFillId as VenueFillId,
          venue: venue as VenueName,
          venueOrderId: report.venueOrderId as VenueOrderId,
          quantity: report.quantity,
          price: report.price,
          commission: report.commission,
          filledAt: report.at,
        },
      };
    case 'cancelled':
      return { kind: 'record_cancel', reason: report.reason };
    case 'cancel_rejected':
      return { kind: 'record_cancel_reject', reason: report.reason };
    case 'rejected':
      return { kind: 'record_reject', reason: report.reason };
    case 'expired':
      return { kind: 'record_expiry', reason: report.reason };
    case 'fill_busted':
    case 'fill_corrected':
      throw new Error('busts and corrections are decided with the recorded fill (fillAdjustments.ts)');
  }
}
