/**
 * Brings one order in line with the venue's view of it: the venue's ack, every fill the
 * gateway has not recorded, then its terminal state. Reports are replayed through the same
 * processor as live ones, so fill dedupe and the transition table apply unchanged.
 */
import type { Order } from '../domain/order/order.ts';
import type { ExecutionReport, VenueOrderView } from '../ports/venue.ts';
import type { ExecutionReportProcessor } from './executionReports.ts';

export function reportsFromView(view: VenueOrderView, at: Date): ExecutionReport[] {
  const base = { clientOrderId: view.clientOrderId, venueOrderId: view.venueOrderId, at };
  // A venue that refused the order never acknowledged it.
  if (view.status === 'rejected') return [{ kind: 'rejected', ...base, reason: view.reason ?? 'rejected by the venue' }];
  const reports: ExecutionReport[] = [{ kind: 'ack', ...base }];
  for (const fill of view.fills) {
    reports.push({
      kind: 'fill', clientOrderId: view.clientOrderId, venueOrderId: view.venueOrderId, venueFillId: fill.venueFillId,
      quantity: fill.quantity, price: fill.price, commission: fill.commission, at: fill.at,
    });
  }
  if (view.status === 'cancelled') reports.push({ kind: 'cancelled', ...base, reason: view.reason });
  if (view.status === 'expired') reports.push({ kind: 'expired', ...base, reason: view.reason });
  return reports;
}

export async function adoptVenueView(
  reports: ExecutionReportProcessor,
  venue: string,
  order: Order,
  view: VenueOrderView,
  at: Date,
): Promise<void> {
  if (view.clientOrderId !== order.id) throw new Error(`venue view for ${view.clientOrderId} applied to order ${order.id}`);
  for (const report of reportsFromView(view, at)) await reports.process(venue, report);
}
