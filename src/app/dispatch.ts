/**
 * Hands committed orders to their venue and records what the venue answered. A submit ends
 * accepted, rejected (definitive) or unknown; unknown is never treated as failed: the order
 * stays pending and is looked up at the venue before anything is sent again.
 */
import type { Order } from '../domain/order/order.ts';
import type { Venue, VenueOrderRequest } from '../ports/venue.ts';
import type { OrderContext } from './context.ts';
import type { ExecutionReportProcessor } from './executionReports.ts';
import { adoptVenueView } from './reconcileOrder.ts';

export interface DispatchOptions {
  /** How long to wait before looking up an order whose submit outcome is unknown. */
  readonly inDoubtLookupMs: number;
  readonly maxLookups: number;
}

export function venueRequest(order: Order): VenueOrderRequest {
  return {
    clientOrderId: order.id,
    account: order.traderId,
    symbol: order.symbol,
    side: order.side,
    type: order.type,
    timeInForce: order.timeInForce,
    quantity: order.quantity,
    limitPrice: order.limitPrice,
    stopPrice: order.stopPrice,
  };
}

export class Dispatcher {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly ctx: OrderContext,
    private readonly reports: ExecutionReportProcessor,
    private readonly options: DispatchOptions = { inDoubtLookupMs: 1000, maxLookups: 5 },
  ) {}

  dispatch(order: Order): void {
    const venue = this.ctx.venues.get(order.venue);
    if (!venue) {
      this.ctx.log.error({ orderId: order.id, venue: order.venue }, 'order committed for a venue that is not configured');
      return;
    }
    const work = this.send(venue, order).catch((error) => {
      this.ctx.log.error({ orderId: order.id, err: String(error) }, 'dispatch failed; the order stays pending');
    });
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /** Resolves when every submit started so far has been answered and recorded. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async send(venue: Venue, order: Order, attempt = 1): Promise<void> {
    const outcome = await venue.submit(venueRequest(order));
    const at = this.ctx.clock.now();
    switch (outcome.outcome) {
      case 'accepted':
        await this.reports.process(venue.name, { kind: 'ack', clientOrderId: order.id, venueOrderId: outcome.venueOrderId, at });
        return;
      case 'rejected':
        await this.reports.process(venue.name, { kind: 'rejected', clientOrderId: order.id, venueOrderId: null, reason: outcome.reason, at });
        return;
      case 'unknown':
        this.ctx.telemetry.anomaly('submit_outcome_unknown');
        this.ctx.log.warn({ orderId: order.id, reason: outcome.reason, attempt }, 'submit outcome unknown; looking the order up at the venue');
        await this.resolveInDoubt(venue, order, attempt);
        return;
    }
  }

  /** Looks the order up before anything is resent: adopts the venue's state if it has the order, else resends (same id). */
  private async resolveInDoubt(venue: Venue, order: Order, attempt: number): Promise<void> {
    for (let lookup = 1; lookup <= this.options.maxLookups; lookup++) {
      await new Promise((resolve) => setTimeout(resolve, this.options.inDoubtLookupMs * 2 ** (lookup - 1)));
      const view = await venue.lookup(order.id).catch(() => undefined);
      if (view) return adoptVenueView(this.reports, venue.name, order, view, this.ctx.clock.now());
      if (view === null && attempt < this.options.maxLookups) return this.send(venue, order, attempt + 1);
      if (view === null) break;
    }
    this.ctx.telemetry.anomaly('order_in_doubt');
    this.ctx.log.error({ orderId: order.id }, 'order still in doubt after every lookup; left pending for reconciliation');
  }
}
