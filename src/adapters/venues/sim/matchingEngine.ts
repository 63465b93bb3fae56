/**
 * The simulated exchange's matching engine: every order it has seen, each symbol's book, its
 * waiting stops and market remainders, and the execution reports every change produces.
 * Synchronous and deterministic: time comes in as `now`, ids come from the caller, nothing is
 * scheduled or delivered here.
 * Invariants: 0 <= filledQuantity <= quantity for every order (a breach throws); a resting
 * order's leaves in the book equal its quantity minus its fills; a working order sits in at
 * most one queue; a book is never crossed after an operation, because an order trades
 * everything it crosses before it rests.
 */
import { ZERO, type Dec } from '../../../domain/money.ts';
import { assertNever, InvariantViolation } from '../../../domain/result.ts';
import type { CancelOutcome, ExecutionReport, FillSimulator, VenueFillView, VenueOrderRequest, VenueOrderView } from '../../../ports/venue.ts';
import { OrderBook, planExecution, planReferenceCrossings, type Reference } from './orderBook.ts';
import type { ReferencePrices } from './referencePrices.ts';
import { leavesOf, REASONS, viewOf, type SimOrder, type SimOrderState } from './simOrder.ts';

interface SymbolMarket {
  readonly book: OrderBook;
  readonly stops: SimOrder[];
  readonly awaitingLiquidity: SimOrder[];
}

export interface EngineSettings {
  readonly referenceLiquidity: Dec | null;
  /** Half the outside market's spread: bid = reference − this, ask = reference + this. */
  readonly halfSpread: Dec;
  readonly commissionPerShare: Dec;
}

export interface BookSnapshotEntry {
  readonly clientOrderId: string;
  readonly account: string;
  readonly price: string;
  readonly leavesQuantity: string;
}

export interface BookSnapshot {
  readonly symbol: string;
  readonly referencePrice: string;
  /** Best first, oldest first within a price. */
  readonly bids: readonly BookSnapshotEntry[];
  readonly asks: readonly BookSnapshotEntry[];
  /** Stops waiting for their trigger, in arrival order; `price` is the stop price. */
  readonly stops: readonly BookSnapshotEntry[];
}

type SimulationResult = Awaited<ReturnType<FillSimulator['simulateFills']>>;

const without = (queue: SimOrder[], order: SimOrder): void => {
  const index = queue.indexOf(order);
  if (index >= 0) queue.splice(index, 1);
};

export class MatchingEngine {
  readonly #orders = new Map<string, SimOrder>();
  readonly #markets = new Map<string, SymbolMarket>();

  constructor(
    private readonly prices: ReferencePrices,
    private readonly settings: EngineSettings,
  ) {}

  knows(clientOrderId: string): boolean {
    return this.#orders.has(clientOrderId);
  }

  reject(request: VenueOrderRequest, venueOrderId: string, reason: string, now: Date): ExecutionReport[] {
    this.#record(request, venueOrderId, { status: 'rejected', reason });
    return [{ kind: 'rejected', clientOrderId: request.clientOrderId, venueOrderId, reason, at: now }];
  }

  accept(request: VenueOrderRequest, venueOrderId: string, now: Date): ExecutionReport[] {
    const order = this.#record(request, venueOrderId, { status: 'working', stage: 'matching' });
    const reports: ExecutionReport[] = [{ kind: 'ack', clientOrderId: request.clientOrderId, venueOrderId, at: now }];
    if (request.stopPrice !== null && !this.#triggered(order)) {
      order.state = { status: 'working', stage: 'awaiting_trigger' };
      this.#market(request.symbol).stops.push(order);
    } else {
      this.#activate(order, now, reports);
    }
    return reports;
  }

  cancel(clientOrderId: string, now: Date): { outcome: Exclude<CancelOutcome, { outcome: 'unknown' }>; reports: ExecutionReport[] } {
    const order = this.#orders.get(clientOrderId);
    if (!order) return { outcome: { outcome: 'rejected', reason: 'unknown order' }, reports: [] };
    if (order.state.status !== 'working') {
      const reason = `too late to cancel: order is ${order.state.status}`;
      const report: ExecutionReport = { kind: 'cancel_rejected', clientOrderId, venueOrderId: order.venueOrderId, reason, at: now };
      return { outcome: { outcome: 'rejected', reason }, reports: [report] };
    }
    const reports: ExecutionReport[] = [];
    this.#finish(order, 'cancelled', REASONS.cancelRequested, now, reports);
    return { outcome: { outcome: 'requested' }, reports };
  }

  /** After the reference price of `symbol` moved: crossed resting orders fill, stops trigger. */
  referenceMoved(symbol: string, now: Date): ExecutionReport[] {
    const market = this.#market(symbol);
    const reports: ExecutionReport[] = [];
    for (const step of planReferenceCrossings(market.book, this.#reference(symbol))) {
      this.#fill(this.#order(step.makerId!), step.price, step.quantity, now, reports);
    }
    for (const order of market.awaitingLiquidity.splice(0)) this.#resume(order, now, reports);
    for (const order of market.stops.filter((stop) => this.#triggered(stop))) {
      without(market.stops, order);
      this.#resume(order, now, reports);
    }
    return reports;
  }

  expireDayOrders(now: Date): ExecutionReport[] {
    const reports: ExecutionReport[] = [];
    for (const order of this.#orders.values()) {
      if (order.state.status === 'working' && order.request.timeInForce === 'day') {
        this.#finish(order, 'expired', REASONS.dayExpired, now, reports);
      }
    }
    return reports;
  }

  /** Forces executions of a working order; all of them or, on any error, none. */
  forceFills(clientOrderId: string, fills: readonly { price: Dec; quantity: Dec }[], now: Date): SimulationResult {
    const order = this.#orders.get(clientOrderId);
    if (!order) return { ok: false, error: { code: 'order_not_at_venue', message: `order ${clientOrderId} is not at the venue` } };
    if (order.state.status !== 'working') {
      return { ok: false, error: { code: 'order_not_working', message: `order ${clientOrderId} is ${order.state.status}, not working` } };
    }
    for (const fill of fills) {
      if (!fill.price.gt(0) || !fill.quantity.gt(0)) {
        throw new RangeError(`simulated fills need a positive price and quantity, got ${fill.quantity.toFixed()} @ ${fill.price.toFixed()}`);
      }
    }
    const requested = fills.reduce((sum, fill) => sum.plus(fill.quantity), ZERO);
    const leaves = leavesOf(order);
    if (requested.gt(leaves)) {
      const message = `fills of ${requested.toFixed()} exceed the ${leaves.toFixed()} left on order ${clientOrderId}`;
      return { ok: false, error: { code: 'overfill', message, leaves, requested } };
    }
    const reports: ExecutionReport[] = [];
    for (const fill of fills) this.#fill(order, fill.price, fill.quantity, now, reports);
    return { ok: true, reports };
  }

  view(clientOrderId: string): VenueOrderView | null {
    const order = this.#orders.get(clientOrderId);
    return order ? viewOf(order) : null;
  }

  /** Every order still working, in arrival order. */
  workingViews(): VenueOrderView[] {
    return [...this.#orders.values()].filter((order) => order.state.status === 'working').map(viewOf);
  }

  snapshot(symbol: string): BookSnapshot | null {
    const referencePrice = this.prices.get(symbol);
    if (referencePrice === null) return null;
    const market = this.#market(symbol);
    const entry = (clientOrderId: string, price: Dec, leaves: Dec): BookSnapshotEntry => ({
      clientOrderId,
      account: this.#order(clientOrderId).request.account,
      price: price.toFixed(),
      leavesQuantity: leaves.toFixed(),
    });
    const side = (s: 'buy' | 'sell') => [...market.book.inPriority(s)].map((e) => entry(e.id, e.price, e.leaves));
    return {
      symbol,
      referencePrice: referencePrice.toFixed(),
      bids: side('buy'),
      asks: side('sell'),
      stops: market.stops.map((o) => entry(o.request.clientOrderId, o.request.stopPrice!, leavesOf(o))),
    };
  }

  #record(request: VenueOrderRequest, venueOrderId: string, state: SimOrderState): SimOrder {
    if (this.#orders.has(request.clientOrderId)) throw new InvariantViolation(`order ${request.clientOrderId} recorded twice`);
    const order: SimOrder = { request, venueOrderId, state, filledQuantity: ZERO, fills: [] };
    this.#orders.set(request.clientOrderId, order);
    return order;
  }

  /** Activates an order taken off a waiting queue; one that is done must never have been there. */
  #resume(order: SimOrder, now: Date, reports: ExecutionReport[]): void {
    if (order.state.status !== 'working') {
      throw new InvariantViolation(`order ${order.request.clientOrderId} is ${order.state.status} but was still waiting`);
    }
    order.state = { status: 'working', stage: 'matching' };
    this.#activate(order, now, reports);
  }

  /** Trades a market or limit order (or a triggered stop) now, then rests, waits or ends it. */
  #activate(order: SimOrder, now: Date, reports: ExecutionReport[]): void {
    const { request } = order;
    const market = this.#market(request.symbol);
    const limitPrice = request.type === 'limit' || request.type === 'stop_limit' ? request.limitPrice : null;
    const leaves = leavesOf(order);
    const plan = planExecution(market.book, { side: request.side, limitPrice, quantity: leaves }, this.#reference(request.symbol));
    const planned = plan.reduce((sum, step) => sum.plus(step.quantity), ZERO);
    if (request.timeInForce === 'fok' && planned.lt(leaves)) {
      this.#finish(order, 'cancelled', REASONS.fokNotFilled, now, reports);
      return;
    }
    for (const step of plan) {
      this.#fill(order, step.price, step.quantity, now, reports);
      if (step.makerId !== null) this.#fill(this.#order(step.makerId), step.price, step.quantity, now, reports);
    }
    if (order.state.status !== 'working') return;
    if (request.timeInForce === 'ioc') {
      this.#finish(order, 'cancelled', REASONS.iocRemainder, now, reports);
    } else if (limitPrice !== null) {
      market.book.add(request.clientOrderId, request.side, limitPrice, leavesOf(order));
      order.state = { status: 'working', stage: 'resting' };
    } else {
      market.awaitingLiquidity.push(order);
      order.state = { status: 'working', stage: 'awaiting_liquidity' };
    }
  }

  #fill(order: SimOrder, price: Dec, quantity: Dec, now: Date, reports: ExecutionReport[]): void {
    const filledQuantity = order.filledQuantity.plus(quantity);
    if (order.state.status !== 'working' || filledQuantity.gt(order.request.quantity)) {
      throw new InvariantViolation(`fill of ${quantity.toFixed()} on ${order.request.clientOrderId} (${order.state.status}, filled ${order.filledQuantity.toFixed()} of ${order.request.quantity.toFixed()})`);
    }
    if (order.state.stage === 'resting') this.#market(order.request.symbol).book.reduce(order.request.clientOrderId, quantity);
    order.filledQuantity = filledQuantity;
    const fill: VenueFillView = {
      venueFillId: `${order.venueOrderId}-${order.fills.length + 1}`,
      quantity,
      price,
      commission: this.settings.commissionPerShare.times(quantity),
      at: now,
    };
    order.fills.push(fill);
    reports.push({ kind: 'fill', clientOrderId: order.request.clientOrderId, venueOrderId: order.venueOrderId, ...fill });
    if (filledQuantity.eq(order.request.quantity)) {
      this.#detach(order);
      order.state = { status: 'filled' };
    }
  }

  #finish(order: SimOrder, status: 'cancelled' | 'expired', reason: string, now: Date, reports: ExecutionReport[]): void {
    this.#detach(order);
    order.state = { status, reason };
    reports.push({ kind: status, clientOrderId: order.request.clientOrderId, venueOrderId: order.venueOrderId, reason, at: now });
  }

  /** Takes a working order out of whichever queue holds it. */
  #detach(order: SimOrder): void {
    if (order.state.status !== 'working') return;
    const market = this.#market(order.request.symbol);
    switch (order.state.stage) {
      case 'matching': return;
      case 'resting': market.book.remove(order.request.clientOrderId); return;
      case 'awaiting_trigger': without(market.stops, order); return;
      case 'awaiting_liquidity': without(market.awaitingLiquidity, order); return;
      default: assertNever(order.state.stage, 'working stage');
    }
  }

  #triggered(order: SimOrder): boolean {
    const stop = order.request.stopPrice;
    if (stop === null) throw new InvariantViolation(`order ${order.request.clientOrderId} has no stop price`);
    const reference = this.prices.get(order.request.symbol);
    if (reference === null) throw new InvariantViolation(`no reference price for ${order.request.symbol}`);
    return order.request.side === 'buy' ? reference.gte(stop) : reference.lte(stop);
  }

  #reference(symbol: string): Reference {
    const price = this.prices.get(symbol);
    if (price === null) throw new InvariantViolation(`no reference price for ${symbol}`);
    const { halfSpread, referenceLiquidity } = this.settings;
    return { bid: price.minus(halfSpread), ask: price.plus(halfSpread), liquidity: referenceLiquidity };
  }

  #market(symbol: string): SymbolMarket {
    let market = this.#markets.get(symbol);
    if (!market) {
      market = { book: new OrderBook(), stops: [], awaitingLiquidity: [] };
      this.#markets.set(symbol, market);
    }
    return market;
  }

  #order(clientOrderId: string): SimOrder {
    const order = this.#orders.get(clientOrderId);
    if (!order) throw new InvariantViolation(`order ${clientOrderId} is in a book but not recorded`);
    return order;
  }
}
