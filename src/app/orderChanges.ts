/**
 * Turns decided events into one store change: the order's new state, its audit entries, the
 * public stream events (API.md "Real-time events") and new fills. Both the audit payload and
 * the stream body are built here, once, so every use case records an event the same way.
 */
import { createOrder, evolve } from '../domain/order/evolve.ts';
import type { OrderEvent } from '../domain/order/events.ts';
import { averageFillPrice, reasonOf, type Order } from '../domain/order/order.ts';
import { decimalText } from '../domain/money.ts';
import { assertNever, InvariantViolation } from '../domain/result.ts';
import type { Ids } from '../ports/clock.ts';
import type { AuditEntry, FillAdjustment, IdempotencyRecord, OrderChange, StoredFill, StreamEventDraft } from '../ports/store.ts';

/** The stream event names of API.md, plus order.cancel_rejected so a trader learns its cancel failed. */
export type StreamEventName =
  | 'order.submitted' | 'order.acked' | 'order.partial' | 'order.filled' | 'order.cancel_requested'
  | 'order.cancelled' | 'order.cancel_rejected' | 'order.rejected' | 'order.expired' | 'order.settled'
  | 'order.fill_busted' | 'order.fill_corrected';

export function streamEventName(event: OrderEvent, after: Order): StreamEventName {
  switch (event.kind) {
    case 'submitted': return 'order.submitted';
    case 'acked': return 'order.acked';
    case 'fill': return after.status === 'filled' ? 'order.filled' : 'order.partial';
    case 'cancel_requested': return 'order.cancel_requested';
    case 'cancelled': return 'order.cancelled';
    case 'cancel_rejected': return 'order.cancel_rejected';
    case 'rejected': return 'order.rejected';
    case 'expired': return 'order.expired';
    case 'settled': return 'order.settled';
    case 'fill_busted': return 'order.fill_busted';
    case 'fill_corrected': return 'order.fill_corrected';
    default: return assertNever(event, 'order event');
  }
}

const ERROR_CODES: Partial<Record<OrderEvent['kind'], string>> = {
  rejected: 'venue_rejected',
  cancel_rejected: 'cancel_rejected',
};

function streamBody(event: OrderEvent, after: Order): Record<string, unknown> {
  const fill = event.kind === 'fill' ? event.fill : null;
  return {
    event: streamEventName(event, after),
    order_id: after.id,
    client_order_id: after.clientOrderId,
    trader_id: after.traderId,
    symbol: after.symbol,
    side: after.side,
    status: after.status,
    quantity_filled: fill ? decimalText(fill.quantity) : null,
    price_at_fill: fill ? decimalText(fill.price) : null,
    total_filled: decimalText(after.filledQuantity),
    average_fill_price: nullableText(averageFillPrice(after)),
    venue: after.venue,
    reason: 'reason' in event ? event.reason : reasonOf(after),
    error_code: ERROR_CODES[event.kind] ?? null,
    timestamp: event.at.toISOString(),
  };
}

function auditPayload(event: OrderEvent): Record<string, unknown> {
  switch (event.kind) {
    case 'submitted': {
      const t = event.terms;
      return {
        client_order_id: t.clientOrderId, symbol: t.symbol, side: t.side, type: t.type,
        time_in_force: t.timeInForce, quantity: decimalText(t.quantity), limit_price: nullableText(t.limitPrice),
        stop_price: nullableText(t.stopPrice), venue: t.venue, batch_id: t.batchId,
      };
    }
    case 'acked': return { venue_order_id: event.venueOrderId };
    case 'fill': {
      const f = event.fill;
      return {
        venue: f.venue, venue_fill_id: f.venueFillId, venue_order_id: f.venueOrderId, quantity: decimalText(f.quantity),
        price: decimalText(f.price), commission: decimalText(f.commission), filled_at: f.filledAt.toISOString(),
      };
    }
    case 'cancel_requested':
    case 'cancelled':
    case 'cancel_rejected':
    case 'rejected':
    case 'expired':
      return { reason: event.reason };
    case 'settled': return {};
    case 'fill_busted':
      return {
        venue: event.fill.venue, adjustment_id: event.adjustmentId, venue_fill_id: event.fill.venueFillId,
        quantity: decimalText(event.fill.quantity), price: decimalText(event.fill.price),
      };
    case 'fill_corrected':
      return {
        venue: event.fill.venue, adjustment_id: event.adjustmentId, venue_fill_id: event.fill.venueFillId, previous_quantity: decimalText(event.fill.quantity),
        previous_price: decimalText(event.fill.price), quantity: decimalText(event.quantity), price: decimalText(event.price),
      };
    default: return assertNever(event, 'order event');
  }
}

const nullableText = (d: Parameters<typeof decimalText>[0] | null) => (d === null ? null : decimalText(d));

export interface BuiltChange {
  readonly order: Order;
  readonly change: OrderChange;
}

/**
 * Applies `events` to `before` (null for a new order) and describes the result as one change.
 * `respond` renders the answer an idempotent request will replay; it sees the final order.
 */
export function buildChange(
  ids: Ids,
  before: Order | null,
  events: readonly OrderEvent[],
  idempotency: ((order: Order) => IdempotencyRecord) | null = null,
): BuiltChange {
  if (events.length === 0) throw new InvariantViolation('a change needs at least one event');
  let order = before;
  const audit: AuditEntry[] = [];
  const stream: StreamEventDraft[] = [];
  const newFills: StoredFill[] = [];
  const fillAdjustments: FillAdjustment[] = [];
  for (const event of events) {
    order = order === null
      ? event.kind === 'submitted' ? createOrder(event) : invariant(`first event of an order must be submitted, got ${event.kind}`)
      : evolve(order, event);
    audit.push({
      id: ids.next(), orderId: order.id, traderId: order.traderId, kind: event.kind,
      payload: JSON.stringify(auditPayload(event)), at: event.at,
    });
    stream.push({ id: ids.next(), traderId: order.traderId, body: streamBody(event, order), at: event.at });
    if (event.kind === 'fill') newFills.push({ ...event.fill, id: ids.next(), orderId: order.id });
    if (event.kind === 'fill_busted' || event.kind === 'fill_corrected') {
      const busted = event.kind === 'fill_busted';
      fillAdjustments.push({
        venue: event.fill.venue, adjustmentId: event.adjustmentId, venueFillId: event.fill.venueFillId, busted, at: event.at,
        quantity: busted ? event.fill.quantity : event.quantity, price: busted ? event.fill.price : event.price,
      });
    }
  }
  const final = order!;
  return {
    order: final,
    change: {
      order: final,
      expectedVersion: before === null ? null : before.version,
      newFills,
      audit,
      stream,
      idempotency: idempotency ? idempotency(final) : null,
      ...(fillAdjustments.length > 0 ? { fillAdjustments } : {}),
    },
  };
}

function invariant(message: string): never {
  throw new InvariantViolation(message);
}
