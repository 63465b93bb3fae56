/**
 * At start, before new orders are taken: every order still working in the store is looked up
 * at its venue. What the venue has is adopted; a pending order the venue never received is
 * sent (same client order id); an order the venue no longer holds (an exchange that
 * restarted) is recorded as cancelled with that reason. Nothing is sent twice.
 */
import type { OrderContext } from './context.ts';
import type { Dispatcher } from './dispatch.ts';
import type { ExecutionReportProcessor } from './executionReports.ts';
import { adoptVenueView } from './reconcileOrder.ts';

export interface RecoverySummary {
  readonly examined: number;
  readonly adopted: number;
  readonly resent: number;
  readonly closed: number;
  readonly unresolved: number;
}

export async function recoverWorkingOrders(
  ctx: OrderContext,
  dispatcher: Dispatcher,
  reports: ExecutionReportProcessor,
): Promise<RecoverySummary> {
  const summary = { examined: 0, adopted: 0, resent: 0, closed: 0, unresolved: 0 };
  for (const order of await ctx.store.listWorkingOrders()) {
    summary.examined++;
    const venue = ctx.venues.get(order.venue);
    const view = venue ? await venue.lookup(order.id).catch(() => undefined) : undefined;
    if (view === undefined) {
      summary.unresolved++;
      ctx.log.warn({ orderId: order.id, venue: order.venue }, 'venue unreachable at recovery; order left as it is');
      continue;
    }
    if (view) {
      await adoptVenueView(reports, order.venue, order, view, ctx.clock.now());
      summary.adopted++;
    } else if (order.status === 'pending') {
      dispatcher.dispatch(order);
      summary.resent++;
    } else {
      const reason = order.venueOrderId === null ? 'cancelled before it reached the venue' : 'the venue no longer holds this order';
      await reports.process(order.venue, { kind: 'cancelled', clientOrderId: order.id, venueOrderId: order.venueOrderId, reason, at: ctx.clock.now() });
      summary.closed++;
    }
  }
  await dispatcher.settled();
  return summary;
}
