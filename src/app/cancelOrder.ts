/**
 * CancelOrder: records the trader's cancel request, then asks the venue. The venue's answer
 * (cancelled, or cancel rejected because a fill won the race) arrives as an execution report.
 */
import { decide, type Rejection } from '../domain/order/decide.ts';
import type { Order } from '../domain/order/order.ts';
import { err, ok, type Result } from '../domain/result.ts';
import type { OrderContext } from './context.ts';
import type { ExecutionReportProcessor } from './executionReports.ts';
import { buildChange } from './orderChanges.ts';
import type { IdempotencyWriter } from './submitOrder.ts';

export type CancelRejection = Extract<Rejection, { code: 'order_not_cancelable' | 'order_not_found' }>;

export async function cancelOrder(
  ctx: OrderContext,
  reports: ExecutionReportProcessor,
  traderId: string,
  orderId: string,
  idempotency: IdempotencyWriter | null,
  reason = 'requested by the trader',
): Promise<Result<Order, CancelRejection>> {
  const requested = await ctx.locks.run(orderId, async () => {
    const order = await ctx.store.findTraderOrder(traderId, orderId);
    const decision = decide({ kind: 'request_cancel', reason }, order, ctx.clock.now());
    if (!decision.ok) {
      const e = decision.error;
      if (e.code === 'order_not_found' || e.code === 'order_not_cancelable') return err(e);
      throw new Error(`unexpected cancel refusal: ${e.code}`);
    }
    const built = buildChange(ctx.ids, order, decision.value, idempotency);
    await ctx.committer.commit(built.change);
    return ok(built.order);
  });
  if (!requested.ok) return requested;

  const order = requested.value;
  const venue = ctx.venues.get(order.venue);
  if (!venue) return requested;
  const outcome = await venue.cancel(order.id);
  if (outcome.outcome === 'rejected' && outcome.reason === 'unknown order' && order.venueOrderId === null) {
    // The venue never received the order: nothing can trade, so the cancel is complete here.
    await reports.process(order.venue, { kind: 'cancelled', clientOrderId: order.id, venueOrderId: null, reason: 'cancelled before it reached the venue', at: ctx.clock.now() });
  } else if (outcome.outcome === 'unknown') {
    ctx.telemetry.anomaly('cancel_outcome_unknown');
    ctx.log.warn({ orderId: order.id, reason: outcome.reason }, 'cancel outcome unknown; the order stays pending_cancel until the venue reports');
  }
  return ok((await ctx.store.findTraderOrder(traderId, orderId)) ?? order);
}
