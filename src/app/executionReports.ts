/**
 * Applies a venue's execution reports to orders: ack, fill, cancel, cancel reject, reject,
 * expiry. Reports may repeat, arrive out of order (a fill before the ack) or race a cancel;
 * the transition table decides. Fills are deduplicated by (venue, venue fill id) in the
 * database; an overfill is refused and reported, never applied.
 */
import { decide, type OrderCommand } from '../domain/order/decide.ts';
import { isOrderId, type VenueFillId, type VenueName, type VenueOrderId } from '../domain/ids.ts';
import type { Order } from '../domain/order/order.ts';
import { StoreConflict } from '../ports/store.ts';
import type { ExecutionReport } from '../ports/venue.ts';
import { secondsSince, type OrderContext } from './context.ts';
import { adjustmentCommand, isAdjustment } from './fillAdjustments.ts';
import { buildChange } from './orderChanges.ts';
import type { IdempotencyWriter } from './submitOrder.ts';

export type ReportOutcome = 'applied' | 'duplicate' | 'ignored' | 'refused';

/** Statuses of an order the gateway no longer wants working at the venue. */
const WITHDRAWN: ReadonlySet<Order['status']> = new Set(['pending_cancel', 'cancelled']);

export class ExecutionReportProcessor {
  constructor(private readonly ctx: OrderContext) {}

  /** Subscribes to a venue's report stream. Errors are logged; the stream goes on. */
  listen(venueName: string, subscribe: (listener: (r: ExecutionReport) => void) => () => void): () => void {
    return subscribe((report) => {
      this.process(venueName, report).catch((error) => {
        this.ctx.log.error({ venue: venueName, report: report.kind, orderId: report.clientOrderId, err: String(error) }, 'execution report not applied');
      });
    });
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
    let withdrawn = false;
    const outcome = await this.ctx.locks.run(report.clientOrderId, () =>
      this.applyLocked(venueName, report, idempotency, 2, () => (withdrawn = true)));
    if (withdrawn) await this.cancelWithdrawn(venueName, report.clientOrderId);
    return outcome;
  }

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

  private async applyLocked(
    venueName: string,
    report: ExecutionReport,
    idempotency: IdempotencyWriter | null,
    triesLeft: number,
    withdrawn: () => void,
  ): Promise<ReportOutcome> {
    const order = await this.ctx.store.findOrder(report.clientOrderId);
    if (!order || order.venue !== venueName) {
      this.ctx.telemetry.anomaly('report_for_unknown_order');
      this.ctx.log.warn({ venue: venueName, orderId: report.clientOrderId, kind: report.kind }, 'report for an unknown order');
      return 'ignored';
    }
    if (report.kind === 'fill' && (await this.ctx.store.fillExists(venueName, report.venueFillId))) return 'duplicate';

    const now = this.ctx.clock.now();
    const adjusted = isAdjustment(report) ? await adjustmentCommand(this.ctx, venueName, order, report) : null;
    if (adjusted === 'duplicate' || adjusted === 'ignored') return adjusted;
    const decision = decide(adjusted ?? commandFor(venueName, report), order, now);
    if (!decision.ok) return this.refused(order, report, decision.error.code);
    if (decision.value.length === 0) return 'duplicate';

    const built = buildChange(this.ctx.ids, order, decision.value, idempotency);
    const account = this.ctx.risk?.settlementFor(order, built.order, decision.value, now) ?? null;
    try {
      await this.ctx.committer.commit(account ? { ...built.change, account } : built.change);
      if (account) this.ctx.risk?.invalidate(order.traderId);
    } catch (error) {
      if (error instanceof StoreConflict && error.kind === 'venue_fill_id') return 'duplicate';
      if (error instanceof StoreConflict && error.kind === 'order_version' && triesLeft > 1) {
        return this.applyLocked(venueName, report, idempotency, triesLeft - 1, withdrawn);
      }
      throw error;
    }
    if (order.venueOrderId === null && built.order.venueOrderId !== null && WITHDRAWN.has(built.order.status)) withdrawn();
    if (report.kind === 'ack') this.ctx.telemetry.orderStage('venue_ack', secondsSince(this.ctx.clock, order.createdAt));
    if (report.kind === 'fill') this.ctx.telemetry.orderStage('fill', secondsSince(this.ctx.clock, order.createdAt));
    return 'applied';
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
