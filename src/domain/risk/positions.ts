/**
 * A position in one symbol and what a fill does to it: quantity (negative when short),
 * average price of the open quantity, realized P&L. Pure and exact.
 * Invariants: a flat position has average price 0; a fill that flips the position opens the
 * new side at the fill price; realized P&L moves only by the quantity a fill closes, less its
 * commission; average prices are rounded half-even to 12 places, like average fill prices.
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
