/**
 * The reads the Zerodha connector makes of Kite: the day's order book (GET /orders), one
 * order's latest state (the last entry of GET /orders/:order_id, its history), an order's
 * view with its executions (GET /orders/:order_id/trades), and the day's trade book (GET /trades).
 * Invariants: a read either returns what Kite said or throws (KiteUnavailable when Kite could
 * not tell, KiteRefused when it refused the read): never a guess; a view's trades add up to the
 * order's filled quantity, or the read throws, because a short list would lose executions.
 */
import { ZERO } from '../../../domain/money.ts';
import type { Clock } from '../../../ports/clock.ts';
import type { VenueOrderView } from '../../../ports/venue.ts';
import type { BrokerHttp } from '../broker/brokerHttp.ts';
import { dataOf, KiteUnavailable } from './kiteHttp.ts';
import { carriesTag, decimalOf, KiteWireError, orderOf, tagFor, tradesOf, viewOf, type KiteOrder, type KiteTrade } from './kiteWire.ts';

export class KiteReads {
  constructor(private readonly http: BrokerHttp, private readonly clock: Clock) {}

  async orderBook(): Promise<KiteOrder[]> {
    const data = dataOf(await this.http.request('GET', '/orders'), 'order book');
    if (!Array.isArray(data)) throw new KiteWireError('the order book is not a list');
    return data.map(orderOf);
  }

  /** Today's order carrying the client order id's tag, or null when the book has none. */
  async bookEntry(clientOrderId: string): Promise<KiteOrder | null> {
    const tag = tagFor(clientOrderId);
    const matches = (await this.orderBook()).filter((order) => carriesTag(order, tag));
    // Two orders under one tag: another client reused it, or the hash collided; either way no pick is safe.
    if (matches.length > 1) throw new KiteUnavailable(`Kite holds ${matches.length} orders under tag ${tag}; resolve by hand`);
    return matches[0] ?? null;
  }

  async currentState(orderId: string): Promise<KiteOrder> {
    const history = dataOf(await this.http.request('GET', `/orders/${encodeURIComponent(orderId)}`), 'order history');
    if (!Array.isArray(history) || history.length === 0) throw new KiteWireError('the order history is empty');
    return orderOf(history.at(-1));
  }

  /** Today's trade book: every execution of the day, of every order. */
  async trades(): Promise<KiteTrade[]> {
    return tradesOf(dataOf(await this.http.request('GET', '/trades'), 'trade book'));
  }

  async viewOf(clientOrderId: string, order: KiteOrder): Promise<VenueOrderView> {
    const filled = decimalOf(order.filled_quantity, 'order.filled_quantity');
    const trades = filled.isZero()
      ? []
      : tradesOf(dataOf(await this.http.request('GET', `/orders/${encodeURIComponent(order.order_id)}/trades`), 'order trades'));
    return this.#checked(clientOrderId, order, trades);
  }

  /** Views of several orders from one read of the trade book (when any of them has executions). */
  async viewsOf(entries: readonly { readonly clientOrderId: string; readonly order: KiteOrder }[]): Promise<VenueOrderView[]> {
    const anyFilled = entries.some(({ order }) => !decimalOf(order.filled_quantity, 'order.filled_quantity').isZero());
    const trades = anyFilled ? await this.trades() : [];
    return entries.map(({ clientOrderId, order }) => this.#checked(clientOrderId, order, trades.filter((trade) => trade.order_id === order.order_id)));
  }

  #checked(clientOrderId: string, order: KiteOrder, trades: readonly KiteTrade[]): VenueOrderView {
    const filled = decimalOf(order.filled_quantity, 'order.filled_quantity');
    const view = viewOf(clientOrderId, order, trades, this.clock.now());
    const traded = view.fills.reduce((sum, fill) => sum.plus(fill.quantity), ZERO);
    if (!traded.eq(filled)) throw new KiteUnavailable(`Kite lists trades for ${traded.toFixed()} of the ${filled.toFixed()} filled on order ${order.order_id}`);
    return view;
  }
}
