/**
 * Risk denials: one variant per pre-trade check, each with a stable code (API.md "Accounts,
 * risk and the kill switch") and the numbers behind it. `denialMessage` renders one sentence
 * that tells the trader what to change; `denialNumbers` gives the numbers as decimal strings
 * for the problem body (`limit`, `requested`, `available`, … as they apply).
 */
import { decimalText, formatMoney, type Dec } from '../money.ts';
import { assertNever } from '../result.ts';
import type { Side } from '../order/order.ts';

export type Denial =
  | { readonly code: 'unknown_symbol'; readonly symbol: string }
  | { readonly code: 'symbol_not_tradable'; readonly symbol: string }
  | { readonly code: 'trading_halted'; readonly scope: 'firm' | 'trader' }
  | { readonly code: 'reducing_only'; readonly scope: 'firm' | 'trader'; readonly symbol: string; readonly side: Side; readonly requested: Dec; readonly position: Dec }
  | { readonly code: 'restricted_symbol'; readonly symbol: string; readonly scope: 'firm' | 'trader' }
  | { readonly code: 'lot_size'; readonly symbol: string; readonly lotSize: Dec; readonly requested: Dec }
  | { readonly code: 'tick_size'; readonly symbol: string; readonly field: 'limit_price' | 'stop_price'; readonly tickSize: Dec; readonly requested: Dec }
  | { readonly code: 'max_order_quantity_exceeded'; readonly limit: Dec; readonly requested: Dec }
  | { readonly code: 'max_order_notional_exceeded'; readonly limit: Dec; readonly requested: Dec }
  | {
      readonly code: 'price_outside_collar'; readonly side: Side; readonly requested: Dec; readonly limit: Dec;
      readonly referencePrice: Dec; readonly collarPct: Dec;
    }
  | { readonly code: 'max_position_exceeded'; readonly symbol: string; readonly limit: Dec; readonly requested: Dec; readonly available: Dec }
  | { readonly code: 'daily_loss_limit_reached'; readonly limit: Dec; readonly current: Dec }
  | { readonly code: 'order_rate_exceeded'; readonly limit: number; readonly requested: number }
  | { readonly code: 'duplicate_order'; readonly windowMs: number; readonly ageMs: number }
  | { readonly code: 'insufficient_position'; readonly symbol: string; readonly requested: Dec; readonly available: Dec }
  | { readonly code: 'insufficient_buying_power'; readonly requested: Dec; readonly available: Dec };

export type DenialCode = Denial['code'];

const qty = (d: Dec) => decimalText(d);
const price = (d: Dec) => (d.decimalPlaces() < 2 ? d.toFixed(2) : decimalText(d));
const whose = (scope: 'firm' | 'trader') => (scope === 'firm' ? 'firm-wide' : 'for your account');

export function denialMessage(d: Denial): string {
  switch (d.code) {
    case 'unknown_symbol':
      return `Symbol ${d.symbol} is not listed; GET /api/v1/instruments lists the symbols you can trade.`;
    case 'symbol_not_tradable':
      return `${d.symbol} is not tradable at the moment; try again when trading in it resumes.`;
    case 'trading_halted':
      return `Trading is halted ${whose(d.scope)} (kill switch); no new orders are accepted until it is released.`;
    case 'reducing_only':
      return `Trading is in reducing-only mode ${whose(d.scope)}: only orders that shrink a position are accepted, and a ${d.side} of ${qty(d.requested)} ${d.symbol} does not shrink your position of ${qty(d.position)}.`;
    case 'restricted_symbol':
      return `${d.symbol} is restricted ${whose(d.scope)}; orders in it are not allowed.`;
    case 'lot_size':
      return `Quantity ${qty(d.requested)} is not a multiple of the lot size ${qty(d.lotSize)} for ${d.symbol}; use a multiple such as ${qty(roundDown(d.requested, d.lotSize).gt(0) ? roundDown(d.requested, d.lotSize) : d.lotSize)}.`;
    case 'tick_size':
      return `${d.field} ${decimalText(d.requested)} is not a multiple of the tick size ${decimalText(d.tickSize)} for ${d.symbol}; use ${decimalText(roundDown(d.requested, d.tickSize))} or ${decimalText(roundDown(d.requested, d.tickSize).plus(d.tickSize))}.`;
    case 'max_order_quantity_exceeded':
      return `Order quantity ${qty(d.requested)} exceeds the maximum of ${qty(d.limit)} per order; send ${qty(d.limit)} or less.`;
    case 'max_order_notional_exceeded':
      return `Order notional of ${formatMoney(d.requested)} exceeds the maximum of ${formatMoney(d.limit)} per order; reduce the quantity or the price.`;
    case 'price_outside_collar':
      return d.side === 'buy'
        ? `Buy limit price ${price(d.requested)} is more than ${decimalText(d.collarPct)}% above the reference price ${price(d.referencePrice)}; the highest allowed is ${price(d.limit)}.`
        : `Sell limit price ${price(d.requested)} is more than ${decimalText(d.collarPct)}% below the reference price ${price(d.referencePrice)}; the lowest allowed is ${price(d.limit)}.`;
    case 'max_position_exceeded':
      return `The order would take your ${d.symbol} position to ${qty(d.requested)}, past the maximum of ${qty(d.limit)}; send at most ${qty(d.available)}.`;
    case 'daily_loss_limit_reached':
      return `Daily loss limit of ${formatMoney(d.limit)} has been reached. Current losses: ${formatMoney(d.current)}`;
    case 'order_rate_exceeded':
      return `Order rate limit of ${d.limit} orders per second reached; slow down and retry in a moment.`;
    case 'duplicate_order':
      return `Same symbol, side, quantity and price as an order sent ${d.ageMs} ms ago; change the order or resend it after ${d.windowMs - d.ageMs} ms if you mean it.`;
    case 'insufficient_position':
      return `Insufficient position to sell ${qty(d.requested)} ${d.symbol}; available: ${qty(d.available)}`;
    case 'insufficient_buying_power':
      return `Insufficient funds for ${formatMoney(d.requested)} order; available: ${formatMoney(d.available)}`;
    default:
      return assertNever(d, 'risk denial');
  }
}

/** The numbers of a denial as decimal strings, named as API.md names them. */
export function denialNumbers(d: Denial): Record<string, string | number> {
  switch (d.code) {
    case 'unknown_symbol':
    case 'symbol_not_tradable':
    case 'restricted_symbol':
      return { symbol: d.symbol };
    case 'trading_halted':
      return { scope: d.scope };
    case 'reducing_only':
      return { scope: d.scope, symbol: d.symbol, requested: qty(d.requested), position: qty(d.position) };
    case 'lot_size':
      return { symbol: d.symbol, limit: qty(d.lotSize), requested: qty(d.requested) };
    case 'tick_size':
      return { symbol: d.symbol, field: d.field, limit: decimalText(d.tickSize), requested: decimalText(d.requested) };
    case 'max_order_quantity_exceeded':
    case 'max_order_notional_exceeded':
      return { limit: decimalText(d.limit), requested: decimalText(d.requested) };
    case 'price_outside_collar':
      return { limit: decimalText(d.limit), requested: decimalText(d.requested), reference_price: decimalText(d.referencePrice), collar_pct: decimalText(d.collarPct) };
    case 'max_position_exceeded':
      return { symbol: d.symbol, limit: qty(d.limit), requested: qty(d.requested), available: qty(d.available) };
    case 'daily_loss_limit_reached':
      return { limit: decimalText(d.limit), current: decimalText(d.current) };
    case 'order_rate_exceeded':
      return { limit: d.limit, requested: d.requested };
    case 'duplicate_order':
      return { limit: d.windowMs, requested: d.ageMs };
    case 'insufficient_position':
      return { symbol: d.symbol, requested: qty(d.requested), available: qty(d.available) };
    case 'insufficient_buying_power':
      return { requested: decimalText(d.requested), available: decimalText(d.available) };
    default:
      return assertNever(d, 'risk denial');
  }
}

function roundDown(value: Dec, step: Dec): Dec {
  return value.div(step).floor().times(step);
}
