/**
 * A venue's bust or correction of a trade, turned into a command for the order: the fill is
 * found by (venue, venue fill id) among what this order recorded, so the domain can take back
 * exactly what was added. A message already applied (by its own id) or a fill already busted
 * is a duplicate; an adjustment of a fill this order never recorded is ignored and reported.
 * The account follows in the same commit (accounts/settlement.ts): the fill's cash, position,
 * realized P&L and reservation are undone or replaced. A fill settled before the fill ledger
 * existed cannot be undone exactly: the order is adjusted, the account is not, and it is
 * reported so that someone adjusts the account by hand.
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
  if (ctx.risk && !(await ctx.store.accounts.fillSettled(venue, report.venueFillId))) {
    ctx.telemetry.anomaly('adjustment_of_unsettled_fill');
    ctx.log.error({ venue, orderId: order.id, traderId: order.traderId, venueFillId: report.venueFillId, kind: report.kind },
      'a bust or correction names a fill that predates the fill ledger: the order is adjusted, its account is not; adjust the account by hand');
  }
  const { adjustmentId } = report;
  return report.kind === 'fill_busted'
    ? { kind: 'record_bust', fill: recorded.fill, adjustmentId }
    : { kind: 'record_correction', fill: recorded.fill, adjustmentId, quantity: report.quantity, price: report.price };
}
