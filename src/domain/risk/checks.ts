/**
 * The pre-trade checks: pure functions from an order and what is known about its trader to a
 * decision. The first failing check is the denial; a passing order gets the reservation to
 * take with it (cash for a buy, position quantity for a sell). The use case records it.
 * Boundaries: a value exactly at its limit passes (quantity, notional, collar price, position,
 * rate); the daily loss limit is "reached" at equality, so losses equal to it deny.
 * The collar is checked on the aggressive side only (a buy above, a sell below the reference),
 * as exchange price bands do: a passive price far from the market cannot trade at a bad price.
 */
import { D, ZERO, type Dec } from '../money.ts';
import type { OrderType, Side } from '../order/order.ts';
import { err, ok, type Result } from '../result.ts';
import type { Denial } from './denials.ts';
import type { EffectiveLimits, Instrument, TradingState } from './limits.ts';

/** Market and stop orders are reserved at the reference price widened by the collar, or by this without one. */
export const DEFAULT_MARKET_WIDENING_PCT = new D(10);
const ONE_HUNDRED = new D(100);

export interface OrderUnderCheck {
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly quantity: Dec;
  readonly limitPrice: Dec | null;
  readonly stopPrice: Dec | null;
}

export interface PositionExposure {
  readonly quantity: Dec;
  /** Held quantity not yet promised to working sells: what a new sell may take. */
  readonly availableToSell: Dec;
  readonly openBuyQuantity: Dec;
  readonly openSellQuantity: Dec;
}

export interface TraderRiskState {
  readonly limits: EffectiveLimits;
  readonly firmState: TradingState;
  readonly traderState: TradingState;
  /** Cash less every reservation, including those not committed yet. */
  readonly buyingPower: Dec;
  readonly position: PositionExposure;
  /** Realized P&L today plus open P&L of every position, at reference prices. */
  readonly pnlToday: Dec;
  /** Orders this trader had accepted in the second before now. */
  readonly ordersInLastSecond: number;
  /** Age of the newest identical order (symbol, side, quantity, price), null when none is remembered. */
  readonly duplicateAgeMs: number | null;
}

export interface Reservation {
  /** Price per unit the cash reservation is made at; null for sells. */
  readonly unitPrice: Dec | null;
  readonly cash: Dec;
  readonly positionQuantity: Dec;
}

export type RiskDecision = Result<Reservation, Denial>;

export function checkOrder(order: OrderUnderCheck, instrument: Instrument | null, state: TraderRiskState): RiskDecision {
  if (instrument === null) return err({ code: 'unknown_symbol', symbol: order.symbol });
  const { limits, position } = state;
  const symbol = instrument.symbol;
  if (!instrument.tradable) return err({ code: 'symbol_not_tradable', symbol });

  if (state.firmState === 'halted') return err({ code: 'trading_halted', scope: 'firm' });
  if (state.traderState === 'halted') return err({ code: 'trading_halted', scope: 'trader' });
  const reduces = isReducing(order, position);
  for (const [scope, s] of [['firm', state.firmState], ['trader', state.traderState]] as const) {
    if (s === 'reducing' && !reduces) {
      return err({ code: 'reducing_only', scope, symbol, side: order.side, requested: order.quantity, position: position.quantity });
    }
  }
  if (limits.firmRestrictedSymbols.includes(symbol)) return err({ code: 'restricted_symbol', symbol, scope: 'firm' });
  if (limits.restrictedSymbols.includes(symbol)) return err({ code: 'restricted_symbol', symbol, scope: 'trader' });

  if (!isMultiple(order.quantity, instrument.lotSize)) return err({ code: 'lot_size', symbol, lotSize: instrument.lotSize, requested: order.quantity });
  for (const [field, value] of [['limit_price', order.limitPrice], ['stop_price', order.stopPrice]] as const) {
    if (value !== null && !isMultiple(value, instrument.tickSize)) {
      return err({ code: 'tick_size', symbol, field, tickSize: instrument.tickSize, requested: value });
    }
  }

  if (limits.maxOrderQuantity !== null && order.quantity.gt(limits.maxOrderQuantity)) {
    return err({ code: 'max_order_quantity_exceeded', limit: limits.maxOrderQuantity, requested: order.quantity });
  }
  const reference = instrument.referencePrice;
  if (limits.priceCollarPct !== null && order.limitPrice !== null) {
    const band = reference.times(limits.priceCollarPct).div(ONE_HUNDRED);
    const bound = order.side === 'buy' ? reference.plus(band) : reference.minus(band);
    const outside = order.side === 'buy' ? order.limitPrice.gt(bound) : order.limitPrice.lt(bound);
    if (outside) {
      return err({ code: 'price_outside_collar', side: order.side, requested: order.limitPrice, limit: bound, referencePrice: reference, collarPct: limits.priceCollarPct });
    }
  }
  const notional = order.quantity.times(order.limitPrice ?? order.stopPrice ?? reference);
  if (limits.maxOrderNotional !== null && notional.gt(limits.maxOrderNotional)) {
    return err({ code: 'max_order_notional_exceeded', limit: limits.maxOrderNotional, requested: notional });
  }

  if (limits.ordersPerSecond !== null && state.ordersInLastSecond >= limits.ordersPerSecond) {
    return err({ code: 'order_rate_exceeded', limit: limits.ordersPerSecond, requested: state.ordersInLastSecond + 1 });
  }
  if (limits.duplicateWindowMs > 0 && state.duplicateAgeMs !== null && state.duplicateAgeMs < limits.duplicateWindowMs) {
    return err({ code: 'duplicate_order', windowMs: limits.duplicateWindowMs, ageMs: state.duplicateAgeMs });
  }

  let reservation: Reservation;
  if (order.side === 'sell') {
    const available = D.max(position.availableToSell, ZERO);
    if (order.quantity.gt(available) && !limits.allowShort) {
      return err({ code: 'insufficient_position', symbol, requested: order.quantity, available });
    }
    reservation = { unitPrice: null, cash: ZERO, positionQuantity: D.min(order.quantity, available) };
  } else {
    const unitPrice = reservationPrice(order, reference, limits.priceCollarPct);
    const cash = order.quantity.times(unitPrice);
    if (cash.gt(state.buyingPower)) return err({ code: 'insufficient_buying_power', requested: cash, available: state.buyingPower });
    reservation = { unitPrice, cash, positionQuantity: ZERO };
  }

  if (limits.maxPosition !== null) {
    const resulting = order.side === 'buy'
      ? position.quantity.plus(position.openBuyQuantity).plus(order.quantity)
      : position.quantity.minus(position.openSellQuantity).minus(order.quantity);
    if (resulting.abs().gt(limits.maxPosition) && resulting.abs().gt(position.quantity.abs())) {
      const room = D.max(limits.maxPosition.minus(resulting.abs()).plus(order.quantity), ZERO);
      return err({ code: 'max_position_exceeded', symbol, limit: limits.maxPosition, requested: resulting, available: room });
    }
  }
  if (limits.dailyLossLimit !== null && !reduces) {
    const losses = state.pnlToday.negated();
    if (losses.gte(limits.dailyLossLimit)) return err({ code: 'daily_loss_limit_reached', limit: limits.dailyLossLimit, current: losses });
  }
  return ok(reservation);
}

/** What a buy reserves per unit: its limit price, or the reference (or stop) price widened by the collar. */
export function reservationPrice(order: OrderUnderCheck, referencePrice: Dec, collarPct: Dec | null): Dec {
  if (order.limitPrice !== null) return order.limitPrice;
  const base = order.stopPrice !== null && order.stopPrice.gt(referencePrice) ? order.stopPrice : referencePrice;
  return base.times(ONE_HUNDRED.plus(collarPct ?? DEFAULT_MARKET_WIDENING_PCT)).div(ONE_HUNDRED);
}

/** True when the order can only shrink the position (a sell of held quantity, a buy covering a short). */
export function isReducing(order: Pick<OrderUnderCheck, 'side' | 'quantity'>, position: PositionExposure): boolean {
  if (order.side === 'sell') return position.quantity.gt(0) && order.quantity.lte(position.availableToSell);
  return position.quantity.lt(0) && order.quantity.lte(position.quantity.abs().minus(position.openBuyQuantity));
}

const isMultiple = (value: Dec, step: Dec) => value.mod(step).isZero();
