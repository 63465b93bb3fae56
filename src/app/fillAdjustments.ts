/**
 * A venue's bust or correction of a trade, turned into a command for the order: the fill is
 * found by (venue, venue fill id) among what this order recorded, so the domain can take back
 * exactly what was added. A message already applied (by its own id) or a fill already busted
 * is a duplicate; an adjustment of a fill this order never recorded is ignored and reported.
 */
import type { OrderCommand } from '../domain/order/decide.ts';
import type { Order } from '../domain/order/order.ts';
import type { ExecutionReport } from '../ports/venue.ts';
import type { OrderContext } from './context.ts';

type Adjustment = Extract<ExecutionReport, { kind: 'fill_busted' | 'fill_corrected' }>;

export const isAdjustment = (report: ExecutionReport): report is Adjustment => report.kind === 'fill_busted' || report.kind === 'fill_corrected';

export async function adjustmentCommand(ctx: OrderContext, venue: string, order: Order, report: Adjustment): Promise<OrderCommand | 'duplicate' | 'ignored'> {
  if (await ctx.store.execution.fillAdjustmentSeen(venue, report.adjustmentId)) return 'duplicate';
  const recorded = await ctx.store.execution.findFill(venue, report.venueFillId);
  if (!recorded || recorded.fill.orderId !== order.id) {
    ctx.telemetry.anomaly('adjustment_for_unknown_fill');
    ctx.log.error({ venue, orderId: order.id, venueFillId: report.venueFillId, kind: report.kind }, 'a bust or correction names a fill this order never recorded');
    return 'ignored';
  }
  if (recorded.busted) return 'duplicate';
  const { adjustmentId } = report;
  return report.kind === 'fill_busted'
    ? { kind: 'record_bust', fill: recorded.fill, adjustmentId }
    : { kind: 'record_correction', fill: recorded.fill, adjustmentId, quantity: report.quantity, price: report.price };
}
