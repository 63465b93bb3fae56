/**
 * Alpaca's FILL account activities (GET /v2/account/activities/FILL): the executions of given
 * orders, for lookups and open orders, and the account's executions after a cursor, for
 * reconciliation. Activities list the whole account, oldest first with direction=asc; a page
 * holds at most 100 and the next one starts after the id passed as page_token.
 * Invariants: an order's executions are those Alpaca knew when the order itself was read
 * (cum_qty ≤ its filled_qty), and they add up to its filled_qty or the read throws: a short
 * list would lose executions for good; a cursor only moves forward, to an activity id listed.
 */
import { ZERO } from '../../../domain/money.ts';
import type { VenueFillRecord, VenueFillsPage } from '../../../ports/venue.ts';
import type { BrokerHttp } from '../broker/brokerHttp.ts';
import { AlpacaUnavailable, okBody } from './alpacaHttp.ts';
import { decimalOf, fillActivitiesOf, fillViewOf, type AlpacaFillActivity, type AlpacaOrder } from './alpacaWire.ts';

const PAGE = 100;
/** A cursor that is a time, not an activity id: where a first reconciliation starts. */
const AFTER = 'after:';

export class AlpacaActivities {
  constructor(
    private readonly http: BrokerHttp,
    private readonly clientOrderIdOf: (venueOrderId: string) => Promise<string>,
  ) {}

  /** Each order's executions, oldest first, in one scan from just before the oldest order existed. */
  async fillsOf(orders: readonly AlpacaOrder[]): Promise<Map<string, AlpacaFillActivity[]>> {
    const byId = new Map(orders.map((order) => [order.id, order]));
    const fills = new Map(orders.map((order): [string, AlpacaFillActivity[]] => [order.id, []]));
    const oldest = Math.min(...orders.map((order) => new Date(order.created_at).getTime()));
    let from = `${AFTER}${new Date(oldest - 1000).toISOString()}`;
    for (;;) {
      const page = await this.#page(from, PAGE);
      for (const activity of page) {
        const order = byId.get(activity.order_id);
        if (order && decimalOf(activity.cum_qty, 'activity.cum_qty').lte(decimalOf(order.filled_qty, 'order.filled_qty'))) fills.get(order.id)!.push(activity);
      }
      if (page.length < PAGE) break;
      from = page.at(-1)!.id;
    }
    for (const order of orders) {
      const filled = decimalOf(order.filled_qty, 'order.filled_qty');
      const total = fills.get(order.id)!.reduce((sum, fill) => sum.plus(decimalOf(fill.qty, 'activity.qty')), ZERO);
      // Activities can trail the order record: an incomplete list would lose executions for good.
      if (!total.eq(filled)) throw new AlpacaUnavailable(`Alpaca lists ${total.toFixed()} of the ${filled.toFixed()} filled on order ${order.id}; ask again`);
    }
    return fills;
  }

  /** Up to `limit` executions after `from` (an activity id, or "after:<time>"), with the cursor to go on from. */
  async fillsAfter(from: string, limit: number): Promise<VenueFillsPage> {
    const records: VenueFillRecord[] = [];
    let cursor = from;
    while (records.length < limit) {
      const size = Math.min(PAGE, limit - records.length);
      const page = await this.#page(cursor, size);
      for (const activity of page) {
        records.push({ clientOrderId: await this.clientOrderIdOf(activity.order_id), venueOrderId: activity.order_id, fill: fillViewOf(activity) });
      }
      if (page.length > 0) cursor = page.at(-1)!.id;
      if (page.length < size) break;
    }
    return { fills: records, cursor };
  }

  async #page(from: string, size: number): Promise<AlpacaFillActivity[]> {
    const query = new URLSearchParams({ direction: 'asc', page_size: String(size) });
    if (from.startsWith(AFTER)) query.set('after', from.slice(AFTER.length));
    else query.set('page_token', from);
    return fillActivitiesOf(okBody(await this.http.request('GET', `/v2/account/activities/FILL?${query}`), 'fill activities'));
  }
}
