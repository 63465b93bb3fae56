/**
 * The order book of the Alpaca test server: accounts' orders and FILL activities as Alpaca's
 * documented entities, the checks POST /v2/orders makes, and the trade_updates events each
 * change produces. Test support: orders only fill when the test says so.
 * Invariants (as Alpaca keeps them): client_order_id is unique per account forever, also
 * after the order is done; filled_qty never exceeds qty; decimals travel as strings.
 */
import { randomUUID } from 'node:crypto';
import { D, type Dec } from '../../../domain/money.ts';
import type { Clock } from '../../../ports/clock.ts';

export interface BookOrder {
  id: string;
  client_order_id: string;
  created_at: string;
  updated_at: string;
  submitted_at: string;
  filled_at: string | null;
  canceled_at: string | null;
  symbol: string;
  asset_class: 'us_equity';
  qty: string;
  filled_qty: string;
  filled_avg_price: string | null;
  order_class: '';
  type: string;
  order_type: string;
  side: string;
  time_in_force: string;
  limit_price: string | null;
  stop_price: string | null;
  status: string;
  extended_hours: false;
}

export interface BookActivity {
  id: string;
  activity_type: 'FILL';
  transaction_time: string;
  type: 'fill' | 'partial_fill';
  price: string;
  qty: string;
  side: string;
  symbol: string;
  leaves_qty: string;
  order_id: string;
  cum_qty: string;
}

export type TradeUpdate = Record<string, unknown> & { event: string; order: BookOrder };

export type BookAnswer = { status: number; body: unknown; updates: TradeUpdate[] };

const error = (status: number, code: number, message: string): BookAnswer => ({ status, body: { code, message }, updates: [] });

const TYPES = ['market', 'limit', 'stop', 'stop_limit'];
const TIMES_IN_FORCE = ['day', 'gtc', 'opg', 'cls', 'ioc', 'fok'];
const DECIMAL = /^[0-9]+(\.[0-9]+)?$/;

export class AlpacaBook {
  readonly orders: BookOrder[] = [];
  readonly activities: BookActivity[] = [];
  #buyingPower: Dec;

  constructor(private readonly symbols: readonly string[], buyingPower: string, private readonly clock: Clock) {
    this.#buyingPower = new D(buyingPower);
  }

  byClientOrderId(clientOrderId: string): BookOrder | undefined {
    return this.orders.find((order) => order.client_order_id === clientOrderId);
  }

  byId(id: string): BookOrder | undefined {
    return this.orders.find((order) => order.id === id);
  }

  place(body: Record<string, unknown>): BookAnswer {
    const text = (field: string) => (typeof body[field] === 'string' ? (body[field] as string) : null);
    const [symbol, qty, side, type, tif] = [text('symbol'), text('qty'), text('side'), text('type'), text('time_in_force')];
    const clientOrderId = text('client_order_id') ?? randomUUID();
    if (!symbol || !qty || !DECIMAL.test(qty) || !side || !['buy', 'sell'].includes(side) || !type || !TYPES.includes(type) || !tif || !TIMES_IN_FORCE.includes(tif)) {
      return error(422, 40010001, 'invalid order request');
    }
    if (clientOrderId.length > 48) return error(422, 40010001, 'client_order_id must be no more than 48 characters');
    if (this.byClientOrderId(clientOrderId)) return error(422, 40010001, 'client_order_id must be unique');
    if (!this.symbols.includes(symbol)) return error(422, 40010001, `asset "${symbol}" not found`);
    const limitPrice = text('limit_price');
    const stopPrice = text('stop_price');
    const notional = new D(qty).times(limitPrice ?? stopPrice ?? '0');
    if (side === 'buy' && notional.gt(this.#buyingPower)) return error(403, 40310000, 'insufficient buying power');
    const now = this.clock.now().toISOString();
    const order: BookOrder = {
      id: randomUUID(), client_order_id: clientOrderId, created_at: now, updated_at: now, submitted_at: now,
      filled_at: null, canceled_at: null, symbol, asset_class: 'us_equity', qty, filled_qty: '0', filled_avg_price: null,
      order_class: '', type, order_type: type, side, time_in_force: tif, limit_price: limitPrice, stop_price: stopPrice,
      status: 'new', extended_hours: false,
    };
    this.orders.push(order);
    return { status: 200, body: order, updates: [this.#event('new', order)] };
  }

  cancel(id: string): BookAnswer {
    const order = this.byId(id);
    if (!order) return error(404, 40410000, 'order not found');
    if (['filled', 'canceled', 'expired', 'rejected'].includes(order.status)) return error(422, 42210000, `order is already in "${order.status}" state`);
    order.status = 'canceled';
    order.canceled_at = order.updated_at = this.clock.now().toISOString();
    return { status: 204, body: null, updates: [this.#event('canceled', order)] };
  }

  /** An execution at the market; returns the trade update it produces. */
  fill(clientOrderId: string, quantity: string, price: string): TradeUpdate {
    const order = this.byClientOrderId(clientOrderId);
    if (!order || !['new', 'partially_filled'].includes(order.status)) throw new Error(`order ${clientOrderId} is not working at the test server`);
    const before = new D(order.filled_qty);
    const cumulative = before.plus(quantity);
    if (cumulative.gt(order.qty)) throw new Error(`a fill of ${quantity} overfills order ${clientOrderId}`);
    const previousNotional = before.times(order.filled_avg_price ?? '0');
    const now = this.clock.now();
    order.filled_qty = cumulative.toFixed();
    order.filled_avg_price = previousNotional.plus(new D(quantity).times(price)).div(cumulative).toFixed();
    const complete = cumulative.eq(order.qty);
    order.status = complete ? 'filled' : 'partially_filled';
    order.updated_at = now.toISOString();
    if (complete) order.filled_at = order.updated_at;
    this.activities.push({
      id: `${activityTime(now)}::${String(this.activities.length).padStart(8, '0')}-${randomUUID().slice(9)}`, activity_type: 'FILL', transaction_time: now.toISOString(),
      type: complete ? 'fill' : 'partial_fill', price, qty: new D(quantity).toFixed(), side: order.side, symbol: order.symbol,
      leaves_qty: new D(order.qty).minus(cumulative).toFixed(), order_id: order.id, cum_qty: cumulative.toFixed(),
    });
    return {
      ...this.#event(complete ? 'fill' : 'partial_fill', order),
      execution_id: randomUUID(), price, qty: new D(quantity).toFixed(), position_qty: cumulative.toFixed(), timestamp: now.toISOString(),
    };
  }

  /** GET /v2/orders: status (open, closed, all), after (submitted_at, exclusive), direction, limit (≤ 500). */
  list(query: URLSearchParams): BookOrder[] {
    const status = query.get('status') ?? 'open';
    const after = query.get('after') ? new Date(query.get('after')!).getTime() : -Infinity;
    const limit = Math.min(Number(query.get('limit') ?? 50), 500);
    const open = (order: BookOrder) => !['filled', 'canceled', 'expired', 'rejected', 'replaced', 'done_for_day'].includes(order.status);
    let list = this.orders
      .filter((order) => status === 'all' || (status === 'open') === open(order))
      .filter((order) => new Date(order.submitted_at).getTime() > after);
    if (query.get('direction') !== 'asc') list = list.reverse();
    return list.slice(0, limit).map((order) => ({ ...order }));
  }

  /** GET /v2/account/activities/FILL with after, direction, page_size (≤ 100) and page_token (the last id of the previous page). */
  fillActivities(query: URLSearchParams): BookActivity[] {
    const after = query.get('after') ? new Date(query.get('after')!).getTime() : 0;
    const pageSize = Math.min(Number(query.get('page_size') ?? 100), 100);
    const token = query.get('page_token');
    const ascending = query.get('direction') === 'asc';
    let list = this.activities.filter((activity) => new Date(activity.transaction_time).getTime() > after);
    if (!ascending) list = list.reverse();
    // Activity ids sort in time order: the page starts past the token in the listing's direction.
    if (token) list = list.filter((activity) => (ascending ? activity.id > token : activity.id < token));
    return list.slice(0, pageSize);
  }

  #event(event: string, order: BookOrder): TradeUpdate {
    return { event, timestamp: order.updated_at, order: { ...order } };
  }
}

/** Alpaca's activity ids start with the transaction time as yyyymmddhhmmssSSS. */
function activityTime(at: Date): string {
  return at.toISOString().replace(/[-:TZ.]/g, '');
}
