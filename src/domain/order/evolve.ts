/**
 * evolve(order, event) → order: applies an event that decide() produced. It trusts the event
 * (decide checked it) but still refuses states that can only come from a bug.
 */
import { ZERO } from '../money.ts';
import { assertNever, InvariantViolation } from '../result.ts';
import type { OrderEvent } from './events.ts';
import { reasonOf, type Order, type OrderStatus, type PendingOrder } from './order.ts';
import { RESTORE, targetOf, type Target } from './transitions.ts';

const BUST_REASON = 'a busted or corrected trade left the order incomplete; the rest will not trade';

export function createOrder(event: Extract<OrderEvent, { kind: 'submitted' }>): PendingOrder {
  return {
    ...event.terms,
    status: 'pending',
    venueOrderId: null,
    filledQuantity: ZERO,
    filledNotional: ZERO,
    version: 1,
    updatedAt: event.at,
  };
}

export function evolve(order: Order, event: OrderEvent): Order {
  if (event.kind === 'submitted') throw new InvariantViolation(`order ${order.id} submitted twice`);
  const target = targetOf(order.status, event.kind);
  if (target === undefined) throw new InvariantViolation(`no transition from ${order.status} on ${event.kind}`);
  const lifecycle = { version: order.version + 1, updatedAt: event.at };

  switch (event.kind) {
    case 'acked':
      return withStatus({ ...order, ...lifecycle, venueOrderId: order.venueOrderId ?? event.venueOrderId }, resolve(target, order));
    case 'fill': {
      if (!event.fill.quantity.gt(0)) {
        throw new InvariantViolation(`order ${order.id} given a fill of ${event.fill.quantity}: fills are positive`);
      }
      const filledQuantity = order.filledQuantity.plus(event.fill.quantity);
      if (filledQuantity.gt(order.quantity)) {
        throw new InvariantViolation(`order ${order.id} would be overfilled: ${filledQuantity} > ${order.quantity}`);
      }
      const next = {
        ...order,
        ...lifecycle,
        venueOrderId: order.venueOrderId ?? event.fill.venueOrderId,
        filledQuantity,
        filledNotional: order.filledNotional.plus(event.fill.quantity.times(event.fill.price)),
      };
      return withStatus(next, resolve(target, next));
    }
    case 'cancel_requested':
    case 'cancel_rejected': // its reason explains the refused cancel, not the order: keep the order's own
    case 'settled':
      return withStatus({ ...order, ...lifecycle }, resolve(target, order));
    case 'cancelled':
    case 'rejected':
    case 'expired':
      return withStatus({ ...order, ...lifecycle, reason: event.reason }, resolve(target, order));
    case 'fill_busted':
    case 'fill_corrected': {
      const quantity = event.kind === 'fill_corrected' ? event.quantity : ZERO;
      const price = event.kind === 'fill_corrected' ? event.price : ZERO;
      const filledQuantity = order.filledQuantity.minus(event.fill.quantity).plus(quantity);
      if (filledQuantity.isNegative() || filledQuantity.gt(order.quantity)) {
        throw new InvariantViolation(`order ${order.id} would have filled ${filledQuantity} of ${order.quantity} after a ${event.kind}`);
      }
      const next = {
        ...order,
        ...lifecycle,
        filledQuantity,
        filledNotional: order.filledNotional.minus(event.fill.quantity.times(event.fill.price)).plus(quantity.times(price)),
        reason: reasonOf(order) ?? (order.status === 'filled' ? BUST_REASON : null),
      };
      return withStatus(next, resolve(target, next));
    }
    default:
      return assertNever(event, 'order event');
  }
}

function resolve(target: Target, order: Pick<Order, 'filledQuantity' | 'quantity' | 'venueOrderId'>): OrderStatus {
  if (target === RESTORE) {
    if (order.filledQuantity.gt(0)) return 'partially_filled';
    return order.venueOrderId === null ? 'pending' : 'acked';
  }
  if (typeof target === 'string') return target;
  return order.filledQuantity.eq(order.quantity) ? target.complete : target.partial;
}

/** Re-tags a record with a status, checking the variant's required data is present. */
function withStatus(o: Omit<Order, 'status'> & { reason?: string | null }, status: OrderStatus): Order {
  const { reason = null, ...rest } = o as typeof o & { reason?: string | null };
  const needsVenueId = status === 'acked' || status === 'partially_filled' || status === 'filled' || status === 'settled';
  if (needsVenueId && rest.venueOrderId === null) {
    throw new InvariantViolation(`order ${rest.id} cannot be ${status} without a venue order id`);
  }
  switch (status) {
    case 'pending':
      return { ...rest, status, venueOrderId: null };
    case 'acked':
    case 'partially_filled':
    case 'filled':
    case 'settled':
      return { ...rest, status, venueOrderId: rest.venueOrderId! };
    case 'pending_cancel':
      return { ...rest, status };
    case 'cancelled':
    case 'expired':
      return { ...rest, status, reason };
    case 'rejected':
      return { ...rest, status, reason: reason ?? 'rejected by the venue' };
    default:
      return assertNever(status, 'order status');
  }
}

