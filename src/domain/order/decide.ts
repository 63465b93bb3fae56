/**
 * decide(command, order, now) → the events to record, or a rejection. Pure: time is an input.
 * Expected refusals (cancel a filled order, a venue overfill) are values, not exceptions.
 */
import type { Dec } from '../money.ts';
import type { VenueOrderId } from '../ids.ts';
import { assertNever, err, ok, type Result } from '../result.ts';
import type { OrderEvent, OrderEventKind } from './events.ts';
import { CANCELABLE_STATUSES, leavesQuantity, type Fill, type Order, type OrderStatus, type OrderTerms } from './order.ts';
import { targetOf } from './transitions.ts';

export type OrderCommand =
  | { readonly kind: 'submit'; readonly terms: OrderTerms }
  | { readonly kind: 'request_cancel'; readonly reason: string | null }
  | { readonly kind: 'record_ack'; readonly venueOrderId: VenueOrderId }
  | { readonly kind: 'record_fill'; readonly fill: Fill }
  | { readonly kind: 'record_cancel'; readonly reason: string | null }
  | { readonly kind: 'record_cancel_reject'; readonly reason: string }
  | { readonly kind: 'record_reject'; readonly reason: string }
  | { readonly kind: 'record_expiry'; readonly reason: string | null }
  | { readonly kind: 'settle' }
  /** A bust of `fill`, the fill as this order recorded it. */
  | { readonly kind: 'record_bust'; readonly fill: Fill; readonly adjustmentId: string }
  /** A correction of `fill` (as recorded) to a new quantity and price. */
  | { readonly kind: 'record_correction'; readonly fill: Fill; readonly adjustmentId: string; readonly quantity: Dec; readonly price: Dec };

export type Rejection =
  | { readonly code: 'order_exists' }
  | { readonly code: 'order_not_found' }
  | { readonly code: 'order_not_cancelable'; readonly status: OrderStatus }
  | { readonly code: 'overfill'; readonly leaves: Dec; readonly requested: Dec }
  | { readonly code: 'invalid_transition'; readonly from: OrderStatus; readonly event: OrderEventKind }
  | { readonly code: 'venue_order_id_mismatch'; readonly known: VenueOrderId; readonly reported: VenueOrderId };

export type Decision = Result<readonly OrderEvent[], Rejection>;

const NOTHING: Decision = ok([]);

export function decide(command: OrderCommand, order: Order | null, now: Date): Decision {
  if (command.kind === 'submit') {
    return order === null ? ok([{ kind: 'submitted', at: now, terms: command.terms }]) : err({ code: 'order_exists' });
  }
  if (order === null) return err({ code: 'order_not_found' });

  switch (command.kind) {
    case 'request_cancel':
      if (!CANCELABLE_STATUSES.includes(order.status)) return err({ code: 'order_not_cancelable', status: order.status });
      return transition(order, { kind: 'cancel_requested', at: now, reason: command.reason });
    case 'record_ack':
      if (order.venueOrderId === command.venueOrderId) return NOTHING; // a repeated ack
      if (order.venueOrderId !== null) {
        return err({ code: 'venue_order_id_mismatch', known: order.venueOrderId, reported: command.venueOrderId });
      }
      return transition(order, { kind: 'acked', at: now, venueOrderId: command.venueOrderId });
    case 'record_fill': {
      if (order.venueOrderId !== null && order.venueOrderId !== command.fill.venueOrderId) {
        return err({ code: 'venue_order_id_mismatch', known: order.venueOrderId, reported: command.fill.venueOrderId });
      }
      const leaves = leavesQuantity(order);
      if (command.fill.quantity.gt(leaves)) return err({ code: 'overfill', leaves, requested: command.fill.quantity });
      return transition(order, { kind: 'fill', at: now, fill: command.fill });
    }
    case 'record_cancel':
      return transition(order, { kind: 'cancelled', at: now, reason: command.reason });
    case 'record_cancel_reject':
      return transition(order, { kind: 'cancel_rejected', at: now, reason: command.reason });
    case 'record_reject':
      // Only an order the venue never took can be refused: once acked or filled, it was taken.
      if (order.venueOrderId !== null || order.filledQuantity.gt(0)) return err({ code: 'invalid_transition', from: order.status, event: 'rejected' });
      return transition(order, { kind: 'rejected', at: now, reason: command.reason });
    case 'record_expiry':
      return transition(order, { kind: 'expired', at: now, reason: command.reason });
    case 'settle':
      return transition(order, { kind: 'settled', at: now });
    case 'record_bust':
    case 'record_correction': {
      // Only a fill this order has can be adjusted: never more than it has filled, never to nothing.
      const corrected = command.kind === 'record_correction' ? command.quantity : null;
      if (command.fill.quantity.gt(order.filledQuantity) || (corrected !== null && !corrected.gt(0))) {
        return err({ code: 'invalid_transition', from: order.status, event: command.kind === 'record_bust' ? 'fill_busted' : 'fill_corrected' });
      }
      const { fill, adjustmentId } = command;
      if (command.kind === 'record_bust') return transition(order, { kind: 'fill_busted', at: now, fill, adjustmentId });
      const allowed = transition(order, { kind: 'fill_corrected', at: now, fill, adjustmentId, quantity: command.quantity, price: command.price });
      const leaves = leavesQuantity(order).plus(command.fill.quantity);
      if (allowed.ok && command.quantity.gt(leaves)) return err({ code: 'overfill', leaves, requested: command.quantity });
      return allowed;
    }
    default:
      return assertNever(command, 'order command');
  }
}

function transition(order: Order, event: Exclude<OrderEvent, { kind: 'submitted' }>): Decision {
  return targetOf(order.status, event.kind) === undefined
    ? err({ code: 'invalid_transition', from: order.status, event: event.kind })
    : ok([event]);
}
