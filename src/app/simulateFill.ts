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
import type { IdempotencyWriter } from './submitOrder.ts';

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
  idempotency: IdempotencyWriter | null = null,
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
  // The request's idempotency record commits with the last fill, so a retry replays the answer.
  let recorded = false;
  const writer = idempotency && ((o: Order) => ((recorded = true), idempotency(o)));
  const last = result.reports.length - 1;
  for (const [i, report] of result.reports.entries()) await reports.process(order.venue, report, i === last ? writer : null);
  const after = (await ctx.store.findTraderOrder(traderId, orderId)) ?? order;
  if (idempotency && !recorded) {
    // The exchange's stream applied the last fill first; record the answer on its own.
    await ctx.committer.commit({ order: after, expectedVersion: after.version, newFills: [], audit: [], stream: [], idempotency: idempotency(after) });
  }
  return ok(after);
}
