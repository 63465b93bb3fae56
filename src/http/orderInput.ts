/**
 * Turns a schema-valid order request into the SubmitOrder input, checking what JSON Schema
 * cannot: decimal syntax and sign, prices as strings only, which prices each order type needs.
 * Every offending field is reported at once.
 */
import { asSymbol, asTraderId, asVenueName, isSymbol, type ClientOrderId } from '../domain/ids.ts';
import { parsePositiveDecimal, ZERO, type Dec, type DecimalParseError } from '../domain/money.ts';
import type { OrderType, Side, TimeInForce } from '../domain/order/order.ts';
import { checkPriceTerms } from '../domain/order/terms.ts';
import type { SubmitOrderInput } from '../app/submitOrder.ts';
import { validationProblem, type FieldProblem } from './problems.ts';

export interface OrderRequestBody {
  symbol: string;
  side: Side;
  quantity: string | number;
  type: OrderType;
  time_in_force?: TimeInForce;
  limit_price?: string | null;
  stop_price?: string | null;
  client_order_id?: string | null;
  venue?: string | null;
}

const DECIMAL_MESSAGES: Record<DecimalParseError, string> = {
  not_a_decimal: 'must be a decimal string such as "150.25" (no exponent, sign or leading zeros)',
  not_positive: 'must be greater than zero',
  too_precise: 'has more than 12 decimal places',
};

export function decimalField(errors: FieldProblem[], field: string, value: unknown, integerNumbersAllowed: boolean): Dec | null {
  if (typeof value === 'number' && !integerNumbersAllowed) {
    errors.push({ field, message: 'must be a decimal string such as "150.25"; JSON numbers are not accepted for prices' });
    return null;
  }
  const parsed = parsePositiveDecimal(value, integerNumbersAllowed);
  if (typeof parsed === 'string') {
    const message = typeof value === 'number' ? 'must be a whole number or a decimal string such as "100.5"' : DECIMAL_MESSAGES[parsed];
    errors.push({ field, message });
    return null;
  }
  return parsed;
}

export function parseOrderRequest(traderId: string, body: OrderRequestBody): SubmitOrderInput {
  const errors: FieldProblem[] = [];
  if (!isSymbol(body.symbol)) errors.push({ field: 'symbol', message: 'must be an upper-case symbol such as "AAPL"' });
  const quantity = decimalField(errors, 'quantity', body.quantity, true);
  const limitPrice = body.limit_price == null ? null : decimalField(errors, 'limit_price', body.limit_price, false);
  const stopPrice = body.stop_price == null ? null : decimalField(errors, 'stop_price', body.stop_price, false);
  // Presence is what the type rules check; a present but malformed price is already reported.
  const presence = (raw: unknown, parsed: Dec | null) => (raw == null ? null : parsed ?? ZERO);
  const priceErrors = checkPriceTerms({
    type: body.type,
    limitPrice: presence(body.limit_price, limitPrice),
    stopPrice: presence(body.stop_price, stopPrice),
  });
  for (const e of priceErrors) if (!errors.some((x) => x.field === e.field)) errors.push(e);
  if (errors.length > 0 || quantity === null) throw validationProblem(errors);
  return {
    traderId: asTraderId(traderId),
    clientOrderId: (body.client_order_id ?? null) as ClientOrderId | null,
    symbol: asSymbol(body.symbol),
    side: body.side,
    type: body.type,
    timeInForce: body.time_in_force ?? 'day',
    quantity,
    limitPrice,
    stopPrice,
    venue: body.venue == null ? null : asVenueName(body.venue),
    batchId: null,
  };
}
