/**
 * The Alpaca Trading API v2 wire format and its mapping to the Venue port. Pure.
 * Facts, from Alpaca's reference (alpacahq/alpaca-docs: data/webapi/endpoints/orders.yaml,
 * entities/order-v2.yaml, content/trading/orders.md, trading-api/streaming.md,
 * trading-api/account-activities.md):
 * - POST /v2/orders takes JSON: symbol, qty, side, type (market|limit|stop|stop_limit|…),
 *   time_in_force (day|gtc|opg|cls|ioc|fok), limit_price, stop_price, client_order_id (≤ 48
 *   characters, unique per account). Quantities and prices travel as decimal strings.
 * - Order statuses: new, partially_filled, filled, done_for_day, canceled, expired, replaced,
 *   pending_cancel, pending_replace, and rarely accepted, pending_new, accepted_for_bidding,
 *   stopped, rejected, suspended, calculated.
 * - trade_updates events carry `event` and the full `order`; fill and partial_fill add `qty`
 *   and `price` of that execution (per-execution since the change in alpacahq/Alpaca-API#103),
 *   `timestamp` and `execution_id`.
 * - FILL account activities carry order_id, qty, price, cum_qty and transaction_time.
 * Invariants: numbers are read from decimal strings only, never from JSON floats; one execution
 * has the same venue fill id whichever way it reaches us (stream or lookup): see fillIdOf.
 */
import { fromText, type Dec } from '../../../domain/money.ts';
import type { ExecutionReport, VenueFillView, VenueOrderRequest, VenueOrderStatus, VenueOrderView } from '../../../ports/venue.ts';

export interface AlpacaOrder {
  readonly id: string;
  readonly client_order_id: string;
  readonly status: string;
  readonly qty: string;
  readonly filled_qty: string;
  readonly created_at: string;
  readonly submitted_at?: string;
  readonly symbol?: string;
}

export interface AlpacaTradeUpdate {
  readonly event: string;
  readonly order: AlpacaOrder;
  readonly execution_id?: string;
  readonly qty?: string;
  readonly price?: string;
  readonly timestamp?: string;
}

export interface AlpacaFillActivity {
  readonly id: string;
  readonly order_id: string;
  readonly qty: string;
  readonly price: string;
  readonly cum_qty: string;
  readonly transaction_time: string;
}

/** A body the venue sent that does not have the documented shape. */
export class AlpacaWireError extends Error {
  override readonly name = 'AlpacaWireError';
}

const CLIENT_ORDER_ID_MAX = 48;
const DECIMAL = /^-?[0-9]+(\.[0-9]+)?$/;

export function decimalOf(value: unknown, field: string): Dec {
  if (typeof value !== 'string' || !DECIMAL.test(value)) throw new AlpacaWireError(`${field} is not a decimal string: ${JSON.stringify(value)}`);
  return fromText(value);
}

function textOf(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new AlpacaWireError(`${field} is missing`);
  return value;
}

export function orderOf(body: unknown): AlpacaOrder {
  const record = (body ?? {}) as Record<string, unknown>;
  textOf(record.id, 'order.id');
  textOf(record.client_order_id, 'order.client_order_id');
  textOf(record.status, 'order.status');
  decimalOf(record.qty, 'order.qty');
  decimalOf(record.filled_qty, 'order.filled_qty');
  return record as unknown as AlpacaOrder;
}

export function fillActivitiesOf(body: unknown): AlpacaFillActivity[] {
  if (!Array.isArray(body)) throw new AlpacaWireError('account activities are not a list');
  return body.map((entry: Record<string, unknown>) => {
    for (const field of ['id', 'order_id', 'transaction_time'] as const) textOf(entry[field], `activity.${field}`);
    for (const field of ['qty', 'price', 'cum_qty'] as const) decimalOf(entry[field], `activity.${field}`);
    return entry as unknown as AlpacaFillActivity;
  });
}

/** The JSON body of POST /v2/orders, or why the request cannot be sent to Alpaca at all. */
export function orderBody(request: VenueOrderRequest): { ok: true; body: Record<string, string> } | { ok: false; reason: string } {
  if (request.clientOrderId.length > CLIENT_ORDER_ID_MAX) {
    return { ok: false, reason: `client order id is longer than Alpaca's ${CLIENT_ORDER_ID_MAX} characters` };
  }
  const body: Record<string, string> = {
    symbol: request.symbol,
    qty: request.quantity.toFixed(),
    side: request.side,
    type: request.type,
    time_in_force: request.timeInForce,
    client_order_id: request.clientOrderId,
  };
  if (request.limitPrice !== null) body.limit_price = request.limitPrice.toFixed();
  if (request.stopPrice !== null) body.stop_price = request.stopPrice.toFixed();
  return { ok: true, body };
}

export function statusOf(alpacaStatus: string): VenueOrderStatus {
  switch (alpacaStatus) {
    case 'filled': return 'filled';
    case 'canceled': return 'cancelled';
    // The gateway never replaces; an order replaced by someone else is off the book for us.
    case 'replaced': return 'cancelled';
    case 'expired': return 'expired';
    case 'rejected': return 'rejected';
    default: return 'working';
  }
}

/**
 * The stream names an execution by `execution_id`, but the FILL activity a lookup reads has its
 * own `id`, with no documented link between the two. Both carry the order's cumulative filled
 * quantity after the execution (order.filled_qty / cum_qty), which only grows: so that is the key.
 */
export function fillIdOf(venueOrderId: string, cumulativeQuantity: Dec): string {
  return `${venueOrderId}@${cumulativeQuantity.toFixed()}`;
}

export function viewOf(order: AlpacaOrder, activities: readonly AlpacaFillActivity[]): VenueOrderView {
  const status = statusOf(order.status);
  return {
    clientOrderId: order.client_order_id,
    venueOrderId: order.id,
    status,
    quantity: decimalOf(order.qty, 'order.qty'),
    filledQuantity: decimalOf(order.filled_qty, 'order.filled_qty'),
    fills: activities.map((activity) => fillViewOf(activity)),
    reason: status === 'rejected' ? 'rejected by Alpaca' : order.status === 'replaced' ? 'replaced at Alpaca' : null,
  };
}

/** One FILL activity as the port's fill, under the id the stream gives the same execution. */
export function fillViewOf(activity: AlpacaFillActivity): VenueFillView {
  return {
    venueFillId: fillIdOf(activity.order_id, decimalOf(activity.cum_qty, 'activity.cum_qty')),
    quantity: decimalOf(activity.qty, 'activity.qty'),
    price: decimalOf(activity.price, 'activity.price'),
    // Alpaca charges no per-trade commission on the Trading API; regulatory fees come as FEE activities.
    commission: fromText('0'),
    at: new Date(activity.transaction_time),
  };
}

/** A list of orders (GET /v2/orders), each checked like a single one. */
export function ordersOf(body: unknown): AlpacaOrder[] {
  if (!Array.isArray(body)) throw new AlpacaWireError('the order list is not a list');
  return body.map(orderOf);
}

/** The port's report for one trade update, or null for events the gateway does not act on. */
export function reportOf(update: AlpacaTradeUpdate, receivedAt: Date): ExecutionReport | null {
  const order = orderOf(update.order);
  const at = update.timestamp ? new Date(update.timestamp) : receivedAt;
  const base = { clientOrderId: order.client_order_id, venueOrderId: order.id, at };
  switch (update.event) {
    case 'new':
      return { kind: 'ack', ...base };
    case 'fill':
    case 'partial_fill':
      return {
        kind: 'fill', ...base,
        venueFillId: fillIdOf(order.id, decimalOf(order.filled_qty, 'order.filled_qty')),
        quantity: decimalOf(update.qty, 'qty'),
        price: decimalOf(update.price, 'price'),
        commission: fromText('0'),
      };
    case 'canceled':
      return { kind: 'cancelled', ...base, reason: null };
    case 'replaced':
      return { kind: 'cancelled', ...base, reason: 'replaced at Alpaca' };
    case 'expired':
      return { kind: 'expired', ...base, reason: null };
    case 'rejected':
      return { kind: 'rejected', ...base, reason: 'rejected by Alpaca' };
    case 'order_cancel_rejected':
      return { kind: 'cancel_rejected', ...base, reason: 'cancel rejected by Alpaca' };
    default:
      // pending_new, accepted, done_for_day, pending_cancel, stopped, calculated, …: nothing the
      // order state machine records; an event name Alpaca adds later is skipped the same way.
      return null;
  }
}
