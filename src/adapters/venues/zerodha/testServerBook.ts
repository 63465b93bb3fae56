/**
 * The order book of the Kite test server: orders with their status history and trades, in the
 * shape of Kite's own samples (kiteconnect-mocks orders.json, postback.json), the checks a place
 * request meets, and the order updates each change pushes. Test support: orders only fill
 * when the test says so; prices and quantities are Decimals, written as bare JSON numbers.
 * Invariants (as Kite keeps them): tags are not unique (two orders may carry one); an order
 * goes through validation (PUT ORDER REQ RECEIVED, VALIDATION PENDING, OPEN PENDING) before it
 * is OPEN or REJECTED by the risk checks; filled_quantity never exceeds quantity.
 */
import { D, ZERO, type Dec } from '../../../domain/money.ts';
import type { Clock } from '../../../ports/clock.ts';

export interface KiteBookOrder {
  placed_by: string;
  order_id: string;
  exchange_order_id: string | null;
  parent_order_id: null;
  status: string;
  status_message: string | null;
  order_timestamp: string;
  exchange_timestamp: string | null;
  variety: 'regular';
  exchange: string;
  tradingsymbol: string;
  order_type: string;
  transaction_type: string;
  validity: string;
  product: string;
  quantity: Dec;
  price: Dec;
  trigger_price: Dec;
  average_price: Dec;
  filled_quantity: Dec;
  pending_quantity: Dec;
  cancelled_quantity: Dec;
  tag: string | null;
  tags: string[];
}

export interface KiteBookTrade {
  trade_id: string;
  order_id: string;
  exchange_order_id: string | null;
  tradingsymbol: string;
  exchange: string;
  transaction_type: string;
  product: string;
  average_price: Dec;
  quantity: Dec;
  fill_timestamp: string;
  order_timestamp: string;
  exchange_timestamp: string;
}

export type KiteBookAnswer = { status: number; body: unknown; updates: KiteBookOrder[] };

const kiteError = (status: number, errorType: string, message: string): KiteBookAnswer => ({
  status, body: { status: 'error', message, data: null, error_type: errorType }, updates: [],
});
const success = (data: unknown, updates: KiteBookOrder[] = []): KiteBookAnswer => ({ status: 200, body: { status: 'success', data }, updates });

const ORDER_TYPES = ['MARKET', 'LIMIT', 'SL', 'SL-M'];
const TAG = /^[A-Za-z0-9]{1,20}$/;
const VALIDATION = ['PUT ORDER REQ RECEIVED', 'VALIDATION PENDING', 'OPEN PENDING'];

export class KiteBook {
  readonly orders: KiteBookOrder[] = [];
  readonly trades: KiteBookTrade[] = [];
  readonly #history = new Map<string, KiteBookOrder[]>();
  #sequence = 0;
  /** While set, placed orders stay in validation until releaseValidation(). */
  holdValidation = false;

  constructor(private readonly instruments: readonly string[], private readonly availableMargin: Dec, private readonly clock: Clock) {}

  place(variety: string, form: URLSearchParams): KiteBookAnswer {
    if (variety !== 'regular') return kiteError(400, 'InputException', 'Invalid `variety`.');
    const field = (name: string) => form.get(name) ?? '';
    const symbol = field('tradingsymbol');
    if (!this.instruments.includes(symbol)) return kiteError(400, 'InputException', 'Invalid `tradingsymbol`.');
    if (!/^[1-9][0-9]*$/.test(field('quantity'))) return kiteError(400, 'InputException', 'Invalid `quantity`.');
    const orderType = field('order_type');
    if (!ORDER_TYPES.includes(orderType)) return kiteError(400, 'InputException', 'Invalid `order_type`.');
    if (!['BUY', 'SELL'].includes(field('transaction_type'))) return kiteError(400, 'InputException', 'Invalid `transaction_type`.');
    if (!['DAY', 'IOC'].includes(field('validity'))) return kiteError(400, 'InputException', 'Invalid `validity`.');
    const tag = form.get('tag');
    if (tag !== null && !TAG.test(tag)) return kiteError(400, 'InputException', 'Tag should be alphanumeric and of length 20 or less.');
    const needsPrice = orderType === 'LIMIT' || orderType === 'SL';
    if (needsPrice !== form.has('price')) return kiteError(400, 'InputException', 'Invalid `price`.');
    const now = istText(this.clock.now());
    const quantity = new D(field('quantity'));
    const order: KiteBookOrder = {
      placed_by: 'AB1234', order_id: `${now.slice(2, 10).replace(/-/g, '')}${String(++this.#sequence).padStart(9, '0')}`,
      exchange_order_id: null, parent_order_id: null, status: VALIDATION[0]!, status_message: null,
      order_timestamp: now, exchange_timestamp: null, variety: 'regular', exchange: field('exchange'), tradingsymbol: symbol,
      order_type: orderType, transaction_type: field('transaction_type'), validity: field('validity'), product: field('product'),
      quantity, price: new D(form.get('price') ?? '0'), trigger_price: new D(form.get('trigger_price') ?? '0'),
      average_price: ZERO, filled_quantity: ZERO, pending_quantity: quantity, cancelled_quantity: ZERO,
      tag, tags: tag === null ? [] : [tag],
    };
    this.orders.push(order);
    this.#history.set(order.order_id, [{ ...order }]);
    for (const status of VALIDATION.slice(1)) this.#record(order, status, null);
    const updates = this.holdValidation ? [] : this.#validate(order);
    return success({ order_id: order.order_id }, updates);
  }

  /** Ends validation of every held order, as the risk checks would. */
  releaseValidation(): KiteBookOrder[] {
    this.holdValidation = false;
    return this.orders.filter((order) => VALIDATION.includes(order.status)).flatMap((order) => this.#validate(order));
  }

  cancel(variety: string, orderId: string): KiteBookAnswer {
    const order = this.orders.find((entry) => entry.order_id === orderId);
    if (variety !== 'regular' || !order) return kiteError(400, 'InputException', 'Invalid `order_id`.');
    if (order.status !== 'OPEN' && order.status !== 'TRIGGER PENDING') {
      return kiteError(400, 'InputException', `Order cannot be cancelled as it is ${order.status.toLowerCase()}.`);
    }
    order.cancelled_quantity = order.pending_quantity;
    order.pending_quantity = ZERO;
    this.#record(order, 'CANCELLED', null);
    return success({ order_id: order.order_id }, [{ ...order }]);
  }

  history(orderId: string): KiteBookAnswer {
    const history = this.#history.get(orderId);
    return history ? success(history) : kiteError(400, 'InputException', "Couldn't find that `order_id`.");
  }

  tradesOf(orderId: string): KiteBookAnswer {
    return success(this.trades.filter((trade) => trade.order_id === orderId));
  }

  byTag(tag: string): KiteBookOrder[] {
    return this.orders.filter((order) => order.tag === tag);
  }

  /** An execution at the exchange; the update Kite pushes for it (UPDATE for a partial fill). */
  fill(tag: string, quantity: string, price: string): KiteBookOrder {
    const order = this.byTag(tag)[0];
    if (!order || order.status !== 'OPEN') throw new Error(`no open order tagged ${tag} at the test server`);
    const executed = new D(quantity);
    if (executed.gt(order.pending_quantity)) throw new Error(`a fill of ${quantity} overfills order ${order.order_id}`);
    const now = istText(this.clock.now());
    const filled = order.filled_quantity.plus(executed);
    order.average_price = order.average_price.times(order.filled_quantity).plus(executed.times(price)).div(filled);
    order.filled_quantity = filled;
    order.pending_quantity = order.quantity.minus(filled);
    this.trades.push({
      trade_id: String(50_000_000 + this.trades.length + 1), order_id: order.order_id, exchange_order_id: order.exchange_order_id,
      tradingsymbol: order.tradingsymbol, exchange: order.exchange, transaction_type: order.transaction_type, product: order.product,
      average_price: new D(price), quantity: executed, fill_timestamp: now, order_timestamp: order.order_timestamp, exchange_timestamp: now,
    });
    const complete = order.pending_quantity.isZero();
    this.#record(order, complete ? 'COMPLETE' : 'OPEN', null);
    return { ...order, status: complete ? 'COMPLETE' : 'UPDATE' };
  }

  #validate(order: KiteBookOrder): KiteBookOrder[] {
    const notional = order.quantity.times(order.price.isZero() ? order.trigger_price : order.price);
    if (order.transaction_type === 'BUY' && notional.gt(this.availableMargin)) {
      // Kite's own sample of an RMS refusal (kiteconnect-mocks orders.json).
      const message = `Insufficient funds. Required margin is ${notional.toFixed(2)} but available margin is ${this.availableMargin.toFixed(2)}. Check the orderbook for open orders.`;
      this.#record(order, 'REJECTED', message);
      return [{ ...order }];
    }
    order.exchange_order_id = `1000000${order.order_id.slice(-9)}`;
    order.exchange_timestamp = istText(this.clock.now());
    this.#record(order, order.order_type.startsWith('SL') ? 'TRIGGER PENDING' : 'OPEN', null);
    // Postbacks, and so the stream, cover COMPLETE, CANCEL, REJECTED and UPDATE: not the opening.
    return [];
  }

  #record(order: KiteBookOrder, status: string, message: string | null): void {
    order.status = status;
    order.status_message = message;
    this.#history.get(order.order_id)!.push({ ...order });
  }
}

/** "YYYY-MM-DD HH:MM:SS" in IST, as Kite writes its timestamps. */
export function istText(at: Date): string {
  return new Date(at.getTime() + 330 * 60_000).toISOString().slice(0, 19).replace('T', ' ');
}
