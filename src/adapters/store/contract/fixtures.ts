/**
 * Builders for the store contract suite: orders of every variant, fills, and OrderChanges
 * shaped like the ones the app commits. Every call makes fresh UUIDv7 ids (time-ordered, so
 * later orders list first) and each test takes its own trader ids, so tests never see each
 * other's rows. Decimals use awkward values (30 significant digits, 12 places) on purpose.
 */
import { randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { D, decimalText, type Dec } from '../../../domain/money.ts';
import {
  asClientOrderId, asOrderId, asSymbol, asTraderId, asVenueFillId, asVenueName, asVenueOrderId,
} from '../../../domain/ids.ts';
import type { Order, OrderStatus, PendingOrder } from '../../../domain/order/order.ts';
import type { AuditEntry, IdempotencyRecord, OrderChange, StoredFill, StreamEventDraft } from '../../../ports/store.ts';

export const T0 = new Date('2026-11-21T12:00:05.123Z');
export const later = (ms: number, from: Date = T0) => new Date(from.getTime() + ms);
export const newTraderId = () => `trader-${randomUUID().slice(0, 8)}`;

export function pendingOrder(traderId: string, overrides: Partial<Pick<Order, 'symbol' | 'venue' | 'clientOrderId'>> = {}): PendingOrder {
  const id = uuidv7();
  return {
    id: asOrderId(id),
    clientOrderId: asClientOrderId(`client-${id.slice(-12)}`),
    traderId: asTraderId(traderId),
    symbol: asSymbol('AAPL'),
    side: 'buy',
    type: 'limit',
    timeInForce: 'day',
    quantity: new D('123456789012345678.123456789012'),
    limitPrice: new D('0.000000000001'),
    stopPrice: null,
    venue: asVenueName('sim'),
    batchId: null,
    createdAt: T0,
    filledQuantity: new D(0),
    filledNotional: new D(0),
    version: 1,
    updatedAt: T0,
    status: 'pending',
    venueOrderId: null,
    ...overrides,
  };
}

/** The same order moved to `status` with the fields that status requires, one version on. */
export function withStatus(order: Order, status: OrderStatus, reason: string | null = null): Order {
  const venueOrderId = order.venueOrderId ?? asVenueOrderId(`venue-${order.id.slice(-8)}`);
  const next = { ...order, version: order.version + 1, updatedAt: later(order.version * 7 + 1, order.updatedAt) };
  switch (status) {
    case 'pending':
      return { ...next, status, venueOrderId: null };
    case 'acked':
    case 'partially_filled':
    case 'filled':
    case 'settled':
      return { ...next, status, venueOrderId };
    case 'pending_cancel':
      return { ...next, status, venueOrderId: order.venueOrderId };
    case 'cancelled':
    case 'expired':
      return { ...next, status, venueOrderId: order.venueOrderId, reason };
    case 'rejected':
      return { ...next, status, venueOrderId: order.venueOrderId, reason: reason ?? 'rejected by venue' };
  }
}

/** One order in each of the nine statuses, each as it would be first stored (version 1). */
export function everyVariant(traderId: string): Order[] {
  const filled = (o: Order, quantity: Dec): Order => ({
    ...o,
    filledQuantity: quantity,
    filledNotional: quantity.times('150.250000000001'),
  });
  const atVersionOne = (o: Order): Order => ({ ...o, version: 1 });
  const make = (status: OrderStatus, reason: string | null = null) => withStatus(pendingOrder(traderId), status, reason);
  const variants: Order[] = [
    pendingOrder(traderId, { symbol: asSymbol('BRK.B') }),
    make('acked'),
    filled(make('partially_filled'), new D('0.000000000001')),
    filled(make('filled'), new D('123456789012345678.123456789012')),
    filled(make('settled'), new D('123456789012345678.123456789012')),
    make('pending_cancel'),
    withStatus(withStatus(pendingOrder(traderId), 'acked'), 'pending_cancel'),
    make('cancelled', 'asked by the trader'),
    make('cancelled'),
    make('rejected', 'price outside collar: 150.25 vs 100.00 ±10% — “ünïcødé”'),
    make('expired', 'end of day'),
    make('expired'),
  ];
  return variants.map(atVersionOne);
}

export function auditEntry(order: Order, kind: string, payload?: string): AuditEntry {
  return {
    id: uuidv7(),
    orderId: order.id,
    traderId: order.traderId,
    kind,
    payload: payload ?? JSON.stringify({ status: order.status, version: order.version, note: 'é ✓ "quoted"' }),
    at: order.updatedAt,
  };
}

export function streamDraft(order: Order, event: string): StreamEventDraft {
  return {
    id: uuidv7(),
    traderId: order.traderId,
    body: { event, order_id: order.id, status: order.status, total_filled: decimalText(order.filledQuantity) },
    at: order.updatedAt,
  };
}

export function idempotencyRecord(traderId: string, key: string, ttlMs = 86_400_000, createdAt = T0): IdempotencyRecord {
  return {
    traderId,
    key,
    requestHash: `sha256-of-${key}`,
    statusCode: 201,
    body: `{"id":"${key}",  "note":"bytes kept exactly: é\\u00e9 \\n"}\n`,
    createdAt,
    expiresAt: later(ttlMs, createdAt),
  };
}

export function storedFill(order: Order, quantity: string, price: string, venueFillId = `fill-${uuidv7()}`): StoredFill {
  return {
    id: uuidv7(),
    orderId: order.id,
    venue: order.venue,
    venueFillId: asVenueFillId(venueFillId),
    venueOrderId: order.venueOrderId ?? asVenueOrderId('venue-unknown'),
    quantity: new D(quantity),
    price: new D(price),
    commission: new D('0.000000000003'),
    filledAt: later(250, order.updatedAt),
  };
}

/** A new order as the app submits it: one audit entry, one stream event, optionally an idempotency record. */
export function submission(order: Order, idempotency: IdempotencyRecord | null = null): OrderChange {
  return {
    order,
    expectedVersion: null,
    newFills: [],
    audit: [auditEntry(order, 'submitted')],
    stream: [streamDraft(order, 'order.submitted')],
    idempotency,
  };
}

export function change(order: Order, expectedVersion: number, extra: Partial<Omit<OrderChange, 'order' | 'expectedVersion'>> = {}): OrderChange {
  return {
    order,
    expectedVersion,
    newFills: [],
    audit: [auditEntry(order, order.status)],
    stream: [streamDraft(order, `order.${order.status}`)],
    idempotency: null,
    ...extra,
  };
}

/** A comparable copy: decimals as their exact text, dates as ISO text with milliseconds. */
export function plain(value: unknown): unknown {
  if (D.isDecimal(value)) return `decimal:${decimalText(value as Dec)}`;
  if (value instanceof Date) return `date:${value.toISOString()}`;
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, plain(inner)]));
  }
  return value;
}
