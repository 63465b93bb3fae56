/**
 * The Kite Connect v3 wire format and its mapping to the Venue port. Pure.
 * Facts, from kite.trade/docs/connect/v3 ("Orders", "Postbacks", "WebSocket", "Exceptions") and
 * zerodha's own samples (kiteconnect-mocks orders.json, postback.json; gokiteconnect orders.go):
 * - POST /orders/:variety is form-encoded: tradingsymbol, exchange, transaction_type (BUY|SELL),
 *   order_type (MARKET|LIMIT|SL|SL-M), quantity, product (CNC|NRML|MIS|MTF), price,
 *   trigger_price, validity (DAY|IOC|TTL), tag; the answer is {"status":"success","data":{"order_id"}}.
 * - An order carries order_id, status, status_message, filled_quantity, average_price, tag and
 *   tags, order_timestamp as "YYYY-MM-DD HH:MM:SS" (exchange time, IST); a trade carries
 *   trade_id, order_id, quantity, average_price, fill_timestamp.
 * - Statuses: OPEN, COMPLETE, CANCELLED, REJECTED, TRIGGER PENDING, and transient ones while the
 *   OMS validates (PUT ORDER REQ RECEIVED, VALIDATION PENDING, OPEN PENDING, …).
 * - `tag` is the client's own label: alphanumeric, at most 20 characters (Kite forum, after the
 *   limit was raised from 8). Kite does not keep it unique; see tagFor.
 * Invariants: numbers reach Decimal from their source text (kiteJson); a fill id is unique
 * across days (order ids are); times without a zone are read as IST (UTC+05:30, no DST).
 */
import { createHash } from 'node:crypto';
import { fromText, ZERO, type Dec } from '../../../domain/money.ts';
import type { VenueFillView, VenueOrderRequest, VenueOrderStatus, VenueOrderView } from '../../../ports/venue.ts';

export interface KiteOrder {
  readonly order_id: string;
  readonly status: string;
  readonly status_message: string | null;
  readonly quantity: string;
  readonly filled_quantity: string;
  readonly tag: string | null;
  readonly tags?: readonly string[];
  readonly order_timestamp?: string;
}

export interface KiteTrade {
  readonly trade_id: string;
  readonly order_id: string;
  readonly quantity: string;
  readonly average_price: string;
  readonly fill_timestamp: string | null;
}

export interface KiteSettings {
  readonly exchange: string;
  readonly product: string;
}

export class KiteWireError extends Error {
  override readonly name = 'KiteWireError';
}

const NUMBER = /^-?[0-9]+(\.[0-9]+)?$/;
const TAG_LENGTH = 20;
const TAG_PREFIX = 'og';

export function decimalOf(value: unknown, field: string): Dec {
  if (typeof value !== 'string' || !NUMBER.test(value)) throw new KiteWireError(`${field} is not a number: ${JSON.stringify(value)}`);
  return fromText(value);
}

/**
 * The gateway's order id is a 36-character UUID; Kite's tag holds 20 alphanumerics, so the id
 * cannot travel whole. The tag is "og" and 18 base-36 digits of SHA-256(client order id):
 * stable (the same id always gives the same tag, across retries and restarts), and with 93
 * bits a collision among even a million orders a day has odds near 10^-16. Lookup by client
 * order id therefore reads the day's order book (GET /orders) and matches this tag.
 */
export function tagFor(clientOrderId: string): string {
  const digest = BigInt(`0x${createHash('sha256').update(clientOrderId, 'utf8').digest('hex')}`);
  return `${TAG_PREFIX}${digest.toString(36).padStart(TAG_LENGTH, '0').slice(-(TAG_LENGTH - TAG_PREFIX.length))}`;
}

export function carriesTag(order: KiteOrder, tag: string): boolean {
  return order.tag === tag || (order.tags ?? []).includes(tag);
}

/** The form body of POST /orders/regular, or why Kite cannot take the request at all. */
export function placeForm(request: VenueOrderRequest, settings: KiteSettings): { ok: true; form: URLSearchParams } | { ok: false; reason: string } {
  if (!request.quantity.isInteger()) return { ok: false, reason: `Kite trades whole quantities; got ${request.quantity.toFixed()}` };
  if (request.timeInForce !== 'day' && request.timeInForce !== 'ioc') {
    return { ok: false, reason: `Kite has no ${request.timeInForce} validity (only DAY, IOC, TTL)` };
  }
  const orderType = { market: 'MARKET', limit: 'LIMIT', stop: 'SL-M', stop_limit: 'SL' }[request.type];
  const form = new URLSearchParams({
    tradingsymbol: request.symbol,
    exchange: settings.exchange,
    transaction_type: request.side === 'buy' ? 'BUY' : 'SELL',
    order_type: orderType,
    quantity: request.quantity.toFixed(),
    product: settings.product,
    validity: request.timeInForce.toUpperCase(),
    tag: tagFor(request.clientOrderId),
  });
  if (request.limitPrice !== null) form.set('price', request.limitPrice.toFixed());
  if (request.stopPrice !== null) form.set('trigger_price', request.stopPrice.toFixed());
  return { ok: true, form };
}

const PRE_ACK = new Set(['PUT ORDER REQ RECEIVED', 'VALIDATION PENDING', 'OPEN PENDING']);

export function statusOf(kiteStatus: string): VenueOrderStatus {
  switch (kiteStatus) {
    case 'COMPLETE': return 'filled';
    // Kite has no expiry status: a DAY order left at the close, or an IOC remainder, is CANCELLED.
    case 'CANCELLED': return 'cancelled';
    case 'REJECTED': return 'rejected';
    default: return 'working';
  }
}

/** Whether the OMS has taken the order on (past validation): the gateway's ack. */
export function isAcknowledged(kiteStatus: string): boolean {
  return kiteStatus !== 'REJECTED' && !PRE_ACK.has(kiteStatus);
}

export function fillIdOf(orderId: string, tradeId: string): string {
  // Exchange trade ids repeat across days and segments; the order id makes the pair unique.
  return `${orderId}/${tradeId}`;
}

/** "2022-03-03 09:24:25" (IST, as Kite writes it) to an instant. */
export function istTime(text: string | null | undefined, fallback: Date): Date {
  if (!text || !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(text)) return fallback;
  return new Date(`${text.replace(' ', 'T')}+05:30`);
}

export function orderOf(raw: unknown): KiteOrder {
  const order = (raw ?? {}) as Record<string, unknown>;
  for (const field of ['order_id', 'status'] as const) {
    if (typeof order[field] !== 'string' || order[field] === '') throw new KiteWireError(`order.${field} is missing`);
  }
  decimalOf(order.quantity, 'order.quantity');
  decimalOf(order.filled_quantity, 'order.filled_quantity');
  return order as unknown as KiteOrder;
}

export function tradesOf(raw: unknown): KiteTrade[] {
  if (!Array.isArray(raw)) throw new KiteWireError('trades are not a list');
  return raw.map((trade: Record<string, unknown>) => {
    if (typeof trade.trade_id !== 'string' || typeof trade.order_id !== 'string') throw new KiteWireError('trade ids are missing');
    decimalOf(trade.quantity, 'trade.quantity');
    decimalOf(trade.average_price, 'trade.average_price');
    return trade as unknown as KiteTrade;
  });
}

export function viewOf(clientOrderId: string, order: KiteOrder, trades: readonly KiteTrade[], now: Date): VenueOrderView {
  const status = statusOf(order.status);
  const fills = [...trades]
    .sort((a, b) => istTime(a.fill_timestamp, now).getTime() - istTime(b.fill_timestamp, now).getTime() || a.trade_id.localeCompare(b.trade_id))
    .map((trade) => fillViewOf(trade, now));
  return {
    clientOrderId,
    venueOrderId: order.order_id,
    status,
    quantity: decimalOf(order.quantity, 'order.quantity'),
    filledQuantity: decimalOf(order.filled_quantity, 'order.filled_quantity'),
    fills,
    reason: reasonOf(order),
  };
}

/** One trade as the port's fill; `now` stands in for a trade without a fill time. */
export function fillViewOf(trade: KiteTrade, now: Date): VenueFillView {
  return {
    venueFillId: fillIdOf(trade.order_id, trade.trade_id),
    quantity: decimalOf(trade.quantity, 'trade.quantity'),
    price: decimalOf(trade.average_price, 'trade.average_price'),
    // Kite's trade book carries no charges; brokerage and taxes come in the contract note.
    commission: ZERO,
    at: istTime(trade.fill_timestamp, now),
  };
}

/** Kite's status_message for a rejected or cancelled order (an RMS refusal reads "Insufficient funds…"). */
export function reasonOf(order: KiteOrder): string | null {
  const status = statusOf(order.status);
  if (status === 'rejected') return order.status_message || 'rejected by Kite';
  if (status === 'cancelled') return order.status_message || null;
  return null;
}

/**
 * The instant a UUIDv7 was made (its first 48 bits, in ms), or null for another kind of id.
 * Lookup uses it to tell "not in today's order book" from "not at Kite".
 */
export function uuidV7Time(id: string): Date | null {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(id)) return null;
  return new Date(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16));
}

/** Midnight IST of the day `now` falls in: Kite's order book holds that day's orders only. */
export function istDayStart(now: Date): Date {
  const ist = new Date(now.getTime() + 330 * 60_000);
  return new Date(Date.UTC(ist.getUTCFullYear(), ist.getUTCMonth(), ist.getUTCDate()) - 330 * 60_000);
}
