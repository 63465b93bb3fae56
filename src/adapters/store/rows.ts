/**
 * Domain values ↔ table rows. Decimals go through decimalText/fromText only, timestamps
 * through toISOString, so nothing passes through a float. Reading a row that breaks an order
 * invariant (an acked order without a venue order id, filled > quantity) throws: such a row
 * can only come from a bug or a hand edit, and must not be served as if it were fine.
 */
import type { Selectable } from 'kysely';
import { decimalText, fromText } from '../../domain/money.ts';
import {
  asClientOrderId, asOrderId, asSymbol, asTraderId, asVenueFillId, asVenueName, asVenueOrderId,
  type VenueOrderId,
} from '../../domain/ids.ts';
import { reasonOf, type Order } from '../../domain/order/order.ts';
import { assertNever, InvariantViolation } from '../../domain/result.ts';
import type { OutboxEvent } from '../../ports/bus.ts';
import type { AuditRow, IdempotencyRecord, StoredFill } from '../../ports/store.ts';
import type { FillsTable, IdempotencyKeysTable, OrderEventsTable, OrdersTable, OutboxTable } from './schema.ts';

export const toDate = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));
const iso = (value: Date): string => value.toISOString();

export function orderToRow(order: Order): Selectable<OrdersTable> & { created_at: string; updated_at: string } {
  return {
    id: order.id,
    client_order_id: order.clientOrderId,
    trader_id: order.traderId,
    symbol: order.symbol,
    side: order.side,
    type: order.type,
    time_in_force: order.timeInForce,
    quantity: decimalText(order.quantity),
    limit_price: order.limitPrice === null ? null : decimalText(order.limitPrice),
    stop_price: order.stopPrice === null ? null : decimalText(order.stopPrice),
    venue: order.venue,
    batch_id: order.batchId,
    status: order.status,
    venue_order_id: order.venueOrderId,
    filled_quantity: decimalText(order.filledQuantity),
    filled_notional: decimalText(order.filledNotional),
    reason: reasonOf(order),
    version: order.version,
    created_at: iso(order.createdAt),
    updated_at: iso(order.updatedAt),
  };
}

export function orderFromRow(row: Selectable<OrdersTable>): Order {
  const base = {
    id: asOrderId(row.id),
    clientOrderId: asClientOrderId(row.client_order_id),
    traderId: asTraderId(row.trader_id),
    symbol: asSymbol(row.symbol),
    side: row.side,
    type: row.type,
    timeInForce: row.time_in_force,
    quantity: fromText(row.quantity),
    limitPrice: row.limit_price === null ? null : fromText(row.limit_price),
    stopPrice: row.stop_price === null ? null : fromText(row.stop_price),
    venue: asVenueName(row.venue),
    batchId: row.batch_id,
    createdAt: toDate(row.created_at),
    filledQuantity: fromText(row.filled_quantity),
    filledNotional: fromText(row.filled_notional),
    version: Number(row.version),
    updatedAt: toDate(row.updated_at),
  };
  if (base.filledQuantity.isNegative() || base.filledQuantity.gt(base.quantity)) {
    throw new InvariantViolation(`stored order ${row.id} has filled ${row.filled_quantity} of ${row.quantity}`);
  }
  const venueOrderId = row.venue_order_id === null ? null : asVenueOrderId(row.venue_order_id);
  const required = <T>(value: T | null, field: string): T => {
    if (value === null) throw new InvariantViolation(`stored ${row.status} order ${row.id} has no ${field}`);
    return value;
  };
  const status = row.status;
  switch (status) {
    case 'pending':
      if (venueOrderId !== null) throw new InvariantViolation(`stored pending order ${row.id} has a venue order id`);
      return { ...base, status, venueOrderId };
    case 'acked':
    case 'partially_filled':
    case 'filled':
    case 'settled':
      return { ...base, status, venueOrderId: required<VenueOrderId>(venueOrderId, 'venue order id') };
    case 'pending_cancel':
      return { ...base, status, venueOrderId };
    case 'cancelled':
    case 'expired':
      return { ...base, status, venueOrderId, reason: row.reason };
    case 'rejected':
      return { ...base, status, venueOrderId, reason: required(row.reason, 'reason') };
    default:
      return assertNever(status, 'stored order status');
  }
}

export function fillToRow(fill: StoredFill): Selectable<FillsTable> & { filled_at: string } {
  return {
    id: fill.id,
    order_id: fill.orderId,
    venue: fill.venue,
    venue_fill_id: fill.venueFillId,
    venue_order_id: fill.venueOrderId,
    quantity: decimalText(fill.quantity),
    price: decimalText(fill.price),
    commission: decimalText(fill.commission),
    filled_at: iso(fill.filledAt),
  };
}

export function fillFromRow(row: Selectable<FillsTable>): StoredFill {
  return {
    id: row.id,
    orderId: row.order_id,
    venue: asVenueName(row.venue),
    venueFillId: asVenueFillId(row.venue_fill_id),
    venueOrderId: asVenueOrderId(row.venue_order_id),
    quantity: fromText(row.quantity),
    price: fromText(row.price),
    commission: fromText(row.commission),
    filledAt: toDate(row.filled_at),
  };
}

export function auditToRow(row: AuditRow): Selectable<OrderEventsTable> & { at: string } {
  return {
    seq: row.seq,
    id: row.id,
    order_id: row.orderId,
    trader_id: row.traderId,
    kind: row.kind,
    payload: row.payload,
    at: iso(row.at),
    prev_hash: row.prevHash,
    hash: row.hash,
  };
}

export function auditFromRow(row: Selectable<OrderEventsTable>): AuditRow {
  return {
    seq: Number(row.seq),
    id: row.id,
    orderId: row.order_id,
    traderId: row.trader_id,
    kind: row.kind,
    payload: row.payload,
    at: toDate(row.at),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export function idempotencyToRow(record: IdempotencyRecord): Selectable<IdempotencyKeysTable> & { created_at: string; expires_at: string } {
  return {
    trader_id: record.traderId,
    key: record.key,
    request_hash: record.requestHash,
    status_code: record.statusCode,
    body: record.body,
    created_at: iso(record.createdAt),
    expires_at: iso(record.expiresAt),
  };
}

export function idempotencyFromRow(row: Selectable<IdempotencyKeysTable>): IdempotencyRecord {
  return {
    traderId: row.trader_id,
    key: row.key,
    requestHash: row.request_hash,
    statusCode: Number(row.status_code),
    body: row.body,
    createdAt: toDate(row.created_at),
    expiresAt: toDate(row.expires_at),
  };
}

export const streamEventFromRow = (row: Pick<OutboxTable, 'event_id' | 'trader_id' | 'seq' | 'payload'>): OutboxEvent => ({
  id: row.event_id,
  traderId: row.trader_id,
  seq: Number(row.seq),
  payload: row.payload,
});
