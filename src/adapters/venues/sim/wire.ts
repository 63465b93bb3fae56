/**
 * The JSON the simulated exchange's HTTP front and its client (simHttpVenue) exchange:
 * requests, order views, fills and execution reports, with decimals as exact strings and
 * times as ISO 8601. Both sides use these functions, so a value survives the round trip exactly.
 */
import { D, decimalText } from '../../../domain/money.ts';
import type { ExecutionReport, VenueFillRecord, VenueFillView, VenueOrderRequest, VenueOrderView } from '../../../ports/venue.ts';

type Json = Record<string, unknown>;

const text = (value: unknown, field: string): string => {
  if (typeof value !== 'string') throw new Error(`sim wire: ${field} must be a string`);
  return value;
};
const nullableDecimal = (value: unknown, field: string) => (value === null || value === undefined ? null : new D(text(value, field)));

export function requestToJson(r: VenueOrderRequest): Json {
  return {
    client_order_id: r.clientOrderId, account: r.account, symbol: r.symbol, side: r.side, type: r.type, time_in_force: r.timeInForce,
    quantity: decimalText(r.quantity), limit_price: r.limitPrice && decimalText(r.limitPrice), stop_price: r.stopPrice && decimalText(r.stopPrice),
  };
}

export function requestFromJson(j: Json): VenueOrderRequest {
  return {
    clientOrderId: text(j.client_order_id, 'client_order_id'),
    account: text(j.account, 'account'),
    symbol: text(j.symbol, 'symbol'),
    side: text(j.side, 'side') as VenueOrderRequest['side'],
    type: text(j.type, 'type') as VenueOrderRequest['type'],
    timeInForce: text(j.time_in_force, 'time_in_force') as VenueOrderRequest['timeInForce'],
    quantity: new D(text(j.quantity, 'quantity')),
    limitPrice: nullableDecimal(j.limit_price, 'limit_price'),
    stopPrice: nullableDecimal(j.stop_price, 'stop_price'),
  };
}

export function fillToJson(f: VenueFillView): Json {
  return { venue_fill_id: f.venueFillId, quantity: decimalText(f.quantity), price: decimalText(f.price), commission: decimalText(f.commission), at: f.at.toISOString() };
}

export function fillFromJson(j: Json): VenueFillView {
  return {
    venueFillId: text(j.venue_fill_id, 'venue_fill_id'), quantity: new D(text(j.quantity, 'quantity')), price: new D(text(j.price, 'price')),
    commission: new D(text(j.commission, 'commission')), at: new Date(text(j.at, 'at')),
  };
}

export function viewToJson(v: VenueOrderView): Json {
  return {
    client_order_id: v.clientOrderId, venue_order_id: v.venueOrderId, status: v.status, quantity: decimalText(v.quantity),
    filled_quantity: decimalText(v.filledQuantity), fills: v.fills.map(fillToJson), reason: v.reason,
  };
}

export function viewFromJson(j: Json): VenueOrderView {
  return {
    clientOrderId: text(j.client_order_id, 'client_order_id'), venueOrderId: text(j.venue_order_id, 'venue_order_id'),
    status: text(j.status, 'status') as VenueOrderView['status'], quantity: new D(text(j.quantity, 'quantity')),
    filledQuantity: new D(text(j.filled_quantity, 'filled_quantity')), fills: (j.fills as Json[]).map(fillFromJson),
    reason: j.reason === null ? null : text(j.reason, 'reason'),
  };
}

export function fillRecordToJson(r: VenueFillRecord): Json {
  return { client_order_id: r.clientOrderId, venue_order_id: r.venueOrderId, fill: fillToJson(r.fill) };
}

export function fillRecordFromJson(j: Json): VenueFillRecord {
  return { clientOrderId: text(j.client_order_id, 'client_order_id'), venueOrderId: text(j.venue_order_id, 'venue_order_id'), fill: fillFromJson(j.fill as Json) };
}

export function reportToJson(r: ExecutionReport): Json {
  const base = { kind: r.kind, client_order_id: r.clientOrderId, venue_order_id: r.venueOrderId, at: r.at.toISOString() };
  switch (r.kind) {
    case 'fill':
      return { ...base, venue_fill_id: r.venueFillId, quantity: decimalText(r.quantity), price: decimalText(r.price), commission: decimalText(r.commission) };
    case 'ack':
      return base;
    case 'fill_busted':
      return { ...base, venue_fill_id: r.venueFillId, adjustment_id: r.adjustmentId };
    case 'fill_corrected':
      return { ...base, venue_fill_id: r.venueFillId, adjustment_id: r.adjustmentId, quantity: decimalText(r.quantity), price: decimalText(r.price) };
    default:
      return { ...base, reason: r.reason };
  }
}

export function reportFromJson(j: Json): ExecutionReport {
  const clientOrderId = text(j.client_order_id, 'client_order_id');
  const venueOrderId = j.venue_order_id === null ? null : text(j.venue_order_id, 'venue_order_id');
  const at = new Date(text(j.at, 'at'));
  const reason = j.reason === null || j.reason === undefined ? null : text(j.reason, 'reason');
  const kind = text(j.kind, 'kind') as ExecutionReport['kind'];
  const known = (): string => {
    if (venueOrderId === null) throw new Error(`sim wire: a ${kind} report needs a venue order id`);
    return venueOrderId;
  };
  switch (kind) {
    case 'ack':
      return { kind, clientOrderId, venueOrderId: known(), at };
    case 'fill':
      return {
        kind, clientOrderId, venueOrderId: known(), venueFillId: text(j.venue_fill_id, 'venue_fill_id'), quantity: new D(text(j.quantity, 'quantity')),
        price: new D(text(j.price, 'price')), commission: new D(text(j.commission, 'commission')), at,
      };
    case 'expired':
      return { kind, clientOrderId, venueOrderId: known(), reason, at };
    case 'cancelled':
      return { kind, clientOrderId, venueOrderId, reason, at };
    case 'cancel_rejected':
    case 'rejected':
      return { kind, clientOrderId, venueOrderId, reason: reason ?? kind, at };
    case 'fill_busted':
      return { kind, clientOrderId, venueOrderId: known(), venueFillId: text(j.venue_fill_id, 'venue_fill_id'), adjustmentId: text(j.adjustment_id, 'adjustment_id'), at };
    case 'fill_corrected':
      return {
        kind, clientOrderId, venueOrderId: known(), venueFillId: text(j.venue_fill_id, 'venue_fill_id'), adjustmentId: text(j.adjustment_id, 'adjustment_id'),
        quantity: new D(text(j.quantity, 'quantity')), price: new D(text(j.price, 'price')), at,
      };
    default:
      throw new Error(`sim wire: unknown report kind ${String(kind)}`);
  }
}
