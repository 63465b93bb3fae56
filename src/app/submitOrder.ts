/**
 * SubmitOrder: decide, commit durably (group commit), then hand the order to its venue.
 * The caller's answer is produced only after the commit: a 201 means the order is on disk.
 */
import { decide } from '../domain/order/decide.ts';
import type { Order, OrderTerms } from '../domain/order/order.ts';
import { err, ok, type Result } from '../domain/result.ts';
import type { Denial } from '../domain/risk/denials.ts';
import { RiskRefused } from '../ports/accounts.ts';
import { StoreConflict, StoreUnavailable, type IdempotencyRecord, type OrderChange } from '../ports/store.ts';
import { secondsSince, type OrderContext } from './context.ts';
import type { Dispatcher } from './dispatch.ts';
import { submitIntent } from './execution/intents.ts';
import { buildChange } from './orderChanges.ts';

export type SubmitOrderInput = Omit<OrderTerms, 'id' | 'createdAt' | 'clientOrderId' | 'venue'> & {
  readonly clientOrderId: OrderTerms['clientOrderId'] | null;
  readonly venue: OrderTerms['venue'] | null;
};

export type SubmitRejection =
  | { readonly code: 'duplicate_client_order_id'; readonly existingOrderId: string; readonly clientOrderId: string }
  | { readonly code: 'venue_unavailable'; readonly venue: string; readonly available: string[] }
  /** The venue is being reconciled after a start; nothing was stored. */
  | { readonly code: 'venue_reconciling'; readonly venue: string }
  /** A pre-trade risk check denied the order; nothing was stored. */
  | { readonly code: 'risk_denied'; readonly denial: Denial }
  /** Another request with the same idempotency key committed first (another instance). */
  | { readonly code: 'idempotency_conflict' };

export type IdempotencyWriter = (order: Order) => IdempotencyRecord;

/**
 * The store failed while committing a new order. Usually nothing was recorded, but a commit
 * whose answer was lost may have been, so the error carries the ids the order would be found
 * under: without them, a client that sent no client order id could not look it up.
 */
export class SubmitUnavailable extends StoreUnavailable {
  constructor(readonly orderId: string, readonly clientOrderId: string, cause: StoreUnavailable) {
    super(cause.message, { cause });
  }
}

/** How a committed order reaches its executor: Dispatcher, or a test's stand-in that holds orders back. */
export type OrderDispatch = Pick<Dispatcher, 'prepare' | 'dispatch'>;

export async function submitOrder(
  ctx: OrderContext,
  dispatcher: OrderDispatch,
  input: SubmitOrderInput,
  idempotency: IdempotencyWriter | null,
): Promise<Result<Order, SubmitRejection>> {
  const routing = ctx.venues.route({ traderId: input.traderId, symbol: input.symbol, venue: input.venue });
  const routed = routing instanceof Promise ? await routing : routing;
  if (!routed.ok) return err(routed);
  const venue = routed.venue;

  const now = ctx.clock.now();
  const id = ctx.ids.next() as OrderTerms['id'];
  const terms: OrderTerms = {
    ...input,
    id,
    clientOrderId: input.clientOrderId ?? (id as string as OrderTerms['clientOrderId']),
    venue: venue as OrderTerms['venue'],
    createdAt: now,
  };
  const decision = decide({ kind: 'submit', terms }, null, now);
  if (!decision.ok) throw new Error(`a new order cannot be refused by the state machine: ${decision.error.code}`);
  const built = buildChange(ctx.ids, null, decision.value, idempotency);
  const order = built.order;
  const admitting = ctx.risk?.admit(terms) ?? null;
  const admission = admitting instanceof Promise ? await admitting : admitting;
  if (admission && !admission.ok) return err({ code: 'risk_denied', denial: admission.denial });
  // The intent to send commits with the order: a crash after the 201 cannot lose the send. Its
  // lease, when this instance claims it, starts now, after every wait before the commit.
  const claimedAt = ctx.clock.now();
  const claimed = dispatcher.prepare(order, claimedAt);
  const change: OrderChange = claimed
    ? { ...built.change, audit: [...built.change.audit, claimed.audit], intents: [claimed.write] }
    : { ...built.change, intents: [submitIntent(order, claimedAt)] };

  try {
    await ctx.committer.commit(admission ? { ...change, account: admission.effect } : change);
    admission?.settle(true);
  } catch (error) {
    admission?.settle(false);
    if (error instanceof RiskRefused) {
      ctx.risk?.invalidate(terms.traderId);
      return err({ code: 'risk_denied', denial: error.denial });
    }
    if (error instanceof StoreConflict && error.kind === 'client_order_id') {
      const existing = await ctx.store.findTraderOrderByClientId(terms.traderId, terms.clientOrderId);
      if (existing) {
        return err({ code: 'duplicate_client_order_id', existingOrderId: existing.id, clientOrderId: terms.clientOrderId });
      }
    }
    if (error instanceof StoreConflict && error.kind === 'idempotency_key') return err({ code: 'idempotency_conflict' });
    if (error instanceof StoreUnavailable) throw new SubmitUnavailable(order.id, order.clientOrderId, error);
    throw error;
  }
  ctx.telemetry.orderStage('committed', secondsSince(ctx.clock, order.createdAt));
  dispatcher.dispatch(order, claimed);
  return ok(order);
}
