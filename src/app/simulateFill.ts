/**
 * SimulateFill: forces executions of an order resting at the simulated exchange, for testing
 * a strategy or a screen. The fills happen at the exchange and come back as execution
 * reports, exactly as organic fills do; the answer is the order after they are recorded.
 */
import { ZERO, type Dec } from '../domain/money.ts';
import { leavesQuantity, type Order } from '../domain/order/order.ts';
import { err, ok, type Result } from '../domain/result.ts';
import type { OrderContext } from './context.ts';
import type { ExecutionReportProcessor } from './executionReports.ts';

export type SimulateFillRejection =
  | { readonly code: 'order_not_found' }
  | { readonly code: 'venue_not_simulated'; readonly venue: string }
  | { readonly code: 'overfill'; readonly leaves: Dec; readonly requested: Dec }
  | { readonly code: 'order_not_working' | 'order_not_at_venue'; readonly message: string };

export async function simulateFill(
  ctx: OrderContext,
  reports: ExecutionReportProcessor,
  traderId: string,
  orderId: string,
  fills: readonly { price: Dec; quantity: Dec }[],
): Promise<Result<Order, SimulateFillRejection>> {
  const order = await ctx.store.findTraderOrder(traderId, orderId);
  if (!order) return err({ code: 'order_not_found' });
  const simulator = ctx.venues.simulator(order.venue);
  if (!simulator) return err({ code: 'venue_not_simulated', venue: order.venue });
  const requested = fills.reduce((sum, f) => sum.plus(f.quantity), ZERO);
  const leaves = leavesQuantity(order);
  if (requested.gt(leaves)) return err({ code: 'overfill', leaves, requested });

  const result = await simulator.simulateFills(order.id, fills);
  if (!result.ok) {
    const e = result.error;
    return e.code === 'overfill' ? err({ code: 'overfill', leaves: e.leaves, requested: e.requested }) : err({ code: e.code, message: e.message });
  }
  for (const report of result.reports) await reports.process(order.venue, report);
  return ok((await ctx.store.findTraderOrder(traderId, orderId)) ?? order);
}
