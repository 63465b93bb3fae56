/**
 * A position in one symbol and what a fill does to it: quantity (negative when short),
 * average price of the open quantity, realized P&L. Pure and exact.
 * Invariants: a flat position has average price 0; a fill that flips the position opens the
 * new side at the fill price; realized P&L moves only by the quantity a fill closes, less its
 * commission; average prices are rounded half-even to 12 places, like average fill prices.
 * A bust or correction restates the position from the checkpoint kept before the fill, as if
 * the trade never happened or happened with the corrected values; the average-cost method is
 * path-dependent, so undoing a fill by an "opposite fill" would not give that back.
 */
import { D, ZERO, type Dec } from '../money.ts';
import type { Side } from '../order/order.ts';

export interface PositionState {
  readonly quantity: Dec;
  readonly averagePrice: Dec;
}

export interface FillApplied {
  readonly position: PositionState;
  /** Realized P&L of this fill, commission included (a commission is a loss). */
  readonly realized: Dec;
}

export const FLAT: PositionState = { quantity: ZERO, averagePrice: ZERO };

export function applyFill(position: PositionState, side: Side, quantity: Dec, price: Dec, commission: Dec): FillApplied {
  const signed = side === 'buy' ? quantity : quantity.negated();
  const held = position.quantity;
  const next = held.plus(signed);
  if (held.isZero() || held.isNegative() === signed.isNegative()) {
    const cost = held.abs().times(position.averagePrice).plus(quantity.times(price));
    return { position: { quantity: next, averagePrice: cost.div(next.abs()).toDecimalPlaces(12) }, realized: commission.negated() };
  }
  const closed = D.min(quantity, held.abs());
  const perUnit = held.isNegative() ? position.averagePrice.minus(price) : price.minus(position.averagePrice);
  const realized = closed.times(perUnit).minus(commission);
  if (next.isZero()) return { position: FLAT, realized };
  const flipped = next.isNegative() !== held.isNegative();
  return { position: { quantity: next, averagePrice: flipped ? price : position.averagePrice }, realized };
}

/** Open P&L of a position marked at `marketPrice`. */
export function unrealizedPnl(position: PositionState, marketPrice: Dec): Dec {
  return position.quantity.times(marketPrice.minus(position.averagePrice));
}

/** A position as an account keeps it: the open position and the realized P&L of its trading day. */
export interface PositionBook extends PositionState {
  readonly realizedPnl: Dec;
  /** The trading day (UTC date, YYYY-MM-DD) realizedPnl belongs to. */
  readonly pnlDay: string;
}

/** One fill as it moves an account: what a ledger keeps to replay or undo it. */
export interface Movement {
  readonly side: Side;
  readonly quantity: Dec;
  readonly price: Dec;
  readonly commission: Dec;
  /** The trading day the fill counts toward (the day it was settled). */
  readonly tradingDay: string;
}

/** A settled movement and the position just before it: the checkpoint a bust or correction replays from. */
export interface LedgerEntry {
  readonly movement: Movement;
  readonly before: PositionBook;
}

export const flatBook = (day: string): PositionBook => ({ ...FLAT, realizedPnl: ZERO, pnlDay: day });

/** A fill on a book: realized P&L of an earlier day does not count toward the new day's. */
export function applyMovement(book: PositionBook, movement: Movement): PositionBook {
  const carried = book.pnlDay === movement.tradingDay ? book.realizedPnl : ZERO;
  const { position, realized } = applyFill(book, movement.side, movement.quantity, movement.price, movement.commission);
  return { ...position, realizedPnl: carried.plus(realized), pnlDay: movement.tradingDay };
}

/** What a fill does to cash: a buy pays its notional, a sell receives it; either pays its commission. */
export function cashMovement(movement: Pick<Movement, 'side' | 'quantity' | 'price' | 'commission'>): Dec {
  const notional = movement.quantity.times(movement.price);
  return (movement.side === 'buy' ? notional.negated() : notional).minus(movement.commission);
}

/**
 * The venue busted (`replacement` null) or corrected the first of `entries`; the others are the
 * later movements of the same position that still stand, in the order they were applied.
 * The position becomes what it would be had the trade never happened, or happened with the
 * corrected values: replayed from the checkpoint before it. Later entries get new checkpoints.
 * Cash is not path-dependent: it moves by cashMovement(replacement) − cashMovement(adjusted).
 */
export function restateAfterAdjustment(entries: readonly LedgerEntry[], replacement: Movement | null): { book: PositionBook; later: LedgerEntry[]; cash: Dec } {
  const [adjusted, ...rest] = entries;
  if (!adjusted) throw new Error('an adjustment needs the entry it adjusts');
  let book = replacement ? applyMovement(adjusted.before, replacement) : adjusted.before;
  const later = rest.map((entry) => {
    const restated = { movement: entry.movement, before: book };
    book = applyMovement(book, entry.movement);
    return restated;
  });
  const cash = (replacement ? cashMovement(replacement) : ZERO).minus(cashMovement(adjusted.movement));
  return { book, later, cash };
}
