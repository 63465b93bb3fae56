/**
 * One symbol's limit order book and the pure matching plans over it. No clock, no ids, no
 * reports: the matching engine decides what a plan means for the orders.
 * Invariants: bids are kept highest price first and asks lowest first, FIFO within a price
 * (price-time priority); every resting entry has positive leaves; planning never mutates.
 */
import { D, type Dec } from '../../../domain/money.ts';
import type { Side } from '../../../domain/order/order.ts';

export interface RestingEntry {
  readonly id: string;
  readonly side: Side;
  readonly price: Dec;
  leaves: Dec;
}

interface PriceLevel {
  readonly price: Dec;
  readonly queue: RestingEntry[];
}

export const oppositeSide = (side: Side): Side => (side === 'buy' ? 'sell' : 'buy');

/** Whether price `a` is at least as good as `b` for someone on `side` taking liquidity. */
export const atLeastAsGoodFor = (side: Side, a: Dec, b: Dec): boolean => (side === 'buy' ? a.lte(b) : a.gte(b));

export class OrderBook {
  readonly #bids: PriceLevel[] = [];
  readonly #asks: PriceLevel[] = [];
  readonly #entries = new Map<string, RestingEntry>();

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  get(id: string): RestingEntry | undefined {
    return this.#entries.get(id);
  }

  add(id: string, side: Side, price: Dec, leaves: Dec): void {
    if (this.#entries.has(id)) throw new Error(`order ${id} already rests in the book`);
    if (!leaves.gt(0)) throw new Error(`order ${id} cannot rest with leaves ${leaves.toFixed()}`);
    const entry: RestingEntry = { id, side, price, leaves };
    const levels = this.#levels(side);
    const index = levels.findIndex((level) => !ranksBefore(side, level.price, price));
    if (index >= 0 && levels[index]!.price.eq(price)) levels[index]!.queue.push(entry);
    else levels.splice(index < 0 ? levels.length : index, 0, { price, queue: [entry] });
    this.#entries.set(id, entry);
  }

  remove(id: string): boolean {
    const entry = this.#entries.get(id);
    if (!entry) return false;
    const levels = this.#levels(entry.side);
    const index = levels.findIndex((level) => level.price.eq(entry.price));
    const level = levels[index]!;
    level.queue.splice(level.queue.indexOf(entry), 1);
    if (level.queue.length === 0) levels.splice(index, 1);
    this.#entries.delete(id);
    return true;
  }

  /** Takes `quantity` off a resting entry, removing it when nothing is left. */
  reduce(id: string, quantity: Dec): void {
    const entry = this.#entries.get(id);
    if (!entry) throw new Error(`order ${id} does not rest in the book`);
    if (quantity.gt(entry.leaves)) throw new Error(`cannot take ${quantity.toFixed()} from ${id} with leaves ${entry.leaves.toFixed()}`);
    entry.leaves = entry.leaves.minus(quantity);
    if (entry.leaves.isZero()) this.remove(id);
  }

  /** Resting entries of one side, best price first, oldest first within a price. */
  *inPriority(side: Side): Generator<RestingEntry> {
    for (const level of this.#levels(side)) yield* level.queue;
  }

  bestBid(): Dec | null {
    return this.#bids[0]?.price ?? null;
  }

  bestAsk(): Dec | null {
    return this.#asks[0]?.price ?? null;
  }

  #levels(side: Side): PriceLevel[] {
    return side === 'buy' ? this.#bids : this.#asks;
  }
}

/** Whether a resting price `a` has priority over `b` on its side of the book. */
const ranksBefore = (side: Side, a: Dec, b: Dec): boolean => (side === 'buy' ? a.gt(b) : a.lt(b));

export interface Taker {
  readonly side: Side;
  /** null for a market order, which never trades worse than the reference price. */
  readonly limitPrice: Dec | null;
  readonly quantity: Dec;
}

/**
 * The outside market around the reference price: takers buy at `ask` and sell at `bid`, so
 * orders priced inside the spread rest and can trade with each other.
 */
export interface Reference {
  readonly bid: Dec;
  readonly ask: Dec;
  /** The most one order may take from the reference in one match; null for no limit. */
  readonly liquidity: Dec | null;
}

/** One planned execution: against a resting order (`makerId`), or the reference when null. */
export interface PlannedExecution {
  readonly makerId: string | null;
  readonly price: Dec;
  readonly quantity: Dec;
}

/**
 * Plans how a taker executes now, best prices first: resting orders at their own price, and
 * the reference at the reference price when the taker's limit reaches it. A resting order
 * priced the same as the reference goes first, since it was there to be taken.
 */
export function planExecution(book: OrderBook, taker: Taker, reference: Reference): PlannedExecution[] {
  const plan: PlannedExecution[] = [];
  let remaining = taker.quantity;
  const referencePrice = taker.side === 'buy' ? reference.ask : reference.bid;
  const bound = taker.limitPrice ?? referencePrice;
  let referenceDone = !atLeastAsGoodFor(taker.side, referencePrice, bound);
  const takeReference = () => {
    referenceDone = true;
    const quantity = reference.liquidity === null ? remaining : D.min(remaining, reference.liquidity);
    if (quantity.gt(0)) {
      plan.push({ makerId: null, price: referencePrice, quantity });
      remaining = remaining.minus(quantity);
    }
  };
  for (const maker of book.inPriority(oppositeSide(taker.side))) {
    if (remaining.isZero()) break;
    if (!referenceDone && !atLeastAsGoodFor(taker.side, maker.price, referencePrice)) takeReference();
    if (remaining.isZero() || !atLeastAsGoodFor(taker.side, maker.price, bound)) break;
    const quantity = D.min(remaining, maker.leaves);
    plan.push({ makerId: maker.id, price: maker.price, quantity });
    remaining = remaining.minus(quantity);
  }
  if (!referenceDone && remaining.gt(0)) takeReference();
  return plan;
}

/**
 * Plans the fills of resting orders that the outside market now crosses (bids at or above its
 * ask, asks at or below its bid), each at its own limit price, in priority order.
 */
export function planReferenceCrossings(book: OrderBook, reference: Reference): PlannedExecution[] {
  const plan: PlannedExecution[] = [];
  for (const side of ['buy', 'sell'] as const) {
    const against = side === 'buy' ? reference.ask : reference.bid;
    for (const entry of book.inPriority(side)) {
      if (!atLeastAsGoodFor(oppositeSide(side), entry.price, against)) break;
      const quantity = reference.liquidity === null ? entry.leaves : D.min(entry.leaves, reference.liquidity);
      if (quantity.gt(0)) plan.push({ makerId: entry.id, price: entry.price, quantity });
    }
  }
  return plan;
}
