/**
 * CancelOrder: records the trader's cancel request, then asks the venue. The venue's answer
 * (cancelled, or cancel rejected because a fill won the race) arrives as an execution report.
 *
 * Who sends the cancel: while the venue has not acknowledged the order (no venue order id),
 * its submit is not yet sent, in flight or in doubt, and the executor owns it: it closes the
 * order unsent (attempt.ts), or, once a report shows the venue holds it, the report processor
 * cancels it there (executionReports.ts). A cancel sent from here could overtake the submit and
 * be refused, or reach the venue twice.
 * So here the cancel goes to the venue only for an acknowledged order; for the rest the
 * request commits with an `expedite` of the dispatch intent and wakes the executor.
 * An acknowledged order at a venue whose session runs on another instance (Venue.serving)
 * cannot be cancelled from here: its request commits with a new dispatch intent, which only
 * that instance claims, and its executor sends the cancel (attempt.ts relayCancel).
 */
import { decide, type Rejection } from '../domain/order/decide.ts';
import type { Order } from '../domain/order/order.ts';
import { err, ok, type Result } from '../domain/result.ts';
import type { OrderChange } from '../ports/store.ts';
import { standsBy, type OrderContext } from './context.ts';
import { buildChange } from './orderChanges.ts';
import type { IdempotencyWriter } from './submitOrder.ts';

export type CancelRejection = Extract<Rejection, { code: 'order_not_cancelable' | 'order_not_found' }>;

/** Wakes the executor, so an expedited intent is run now rather than at its next poll. */
export interface ExecutionWake {
  dispatch(order: Order): void;
}

export async function cancelOrder(
  ctx: OrderContext,
  execution: ExecutionWake,
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
    await ctx.committer.commit(cancelChange(ctx, built.order, built.change));
    return ok(built.order);
  });
  if (!requested.ok) return requested;
  await sendCancel(ctx, execution, requested.value);
  return ok((await ctx.store.findTraderOrder(traderId, orderId)) ?? requested.value);
}

/**
 * The change that records a cancel request: with the expedite of the intent when the executor
 * still owns the submit, or an intent to relay the cancel when the venue's session runs elsewhere.
 */
export function cancelChange(ctx: OrderContext, requested: Order, change: OrderChange): OrderChange {
  const intents = change.intents ?? [];
  if (requested.venueOrderId === null) return { ...change, intents: [...intents, { kind: 'expedite', orderId: requested.id, at: ctx.clock.now() }] };
  if (!standsBy(ctx.venues, requested.venue)) return change;
  // A submit's intent may still be there (its ack came by the stream after the answer was lost):
  // the create then keeps it, and relay_cancel turns it into the cancel's.
  const now = ctx.clock.now();
  return {
    ...change,
    intents: [...intents, { kind: 'create', orderId: requested.id, venue: requested.venue, at: now, attempts: 0 }, { kind: 'relay_cancel', orderId: requested.id, at: now }],
  };
}


/** After the cancel request of `requested` is committed: ask its venue, or leave it to the executor (see above). */
export async function sendCancel(ctx: OrderContext, execution: ExecutionWake, requested: Order): Promise<void> {
  if (requested.venueOrderId === null || standsBy(ctx.venues, requested.venue)) {
    execution.dispatch(requested);
    return;
  }
  const venue = ctx.venues.get(requested.venue);
  if (!venue) return;
  const outcome = await venue.cancel(requested.id);
  if (outcome.outcome === 'unknown') {
    ctx.telemetry.anomaly('cancel_outcome_unknown');
    ctx.log.warn({ orderId: requested.id, reason: outcome.reason }, 'cancel outcome unknown; the order stays pending_cancel until the venue reports');
  }
}
