/**
 * Prices and quantities are exact decimals (decimal.js), never floats. Parsing happens once,
 * at the edge; everything past it handles Decimal values. Rendering gives the shortest exact
 * decimal string ("100", "150.25"), which is what the API and the database store.
 */
import { Decimal } from 'decimal.js';

/**
 * 64 significant digits hold any product or sum of products of parsed values (at most 18
 * integer and 12 fraction digits each, so at most 60 digits) exactly, and carry a quotient
 * such as an average price far enough that rounding it to 12 places is still correct.
 */
export const D = Decimal.clone({ precision: 64, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -30, toExpPos: 40 });
export type Dec = InstanceType<typeof D>;

export type Quantity = Dec & { readonly __unit?: 'quantity' };
export type Price = Dec & { readonly __unit?: 'price' };

export const ZERO: Dec = new D(0);

const DECIMAL_TEXT = /^-?(?:0|[1-9][0-9]{0,17})(?:\.[0-9]{1,12})?$/;
const TOO_PRECISE_TEXT = /^-?(?:0|[1-9][0-9]{0,17})\.[0-9]{13,}$/;

export type DecimalParseError = 'not_a_decimal' | 'not_positive' | 'too_precise';

/**
 * Parses a positive decimal given as a string ("150.25") or, when integerNumbersAllowed,
 * as a JSON integer. Scientific notation, a plus sign, leading zeros and floats are refused;
 * a well-formed negative or zero value is not_positive, so the message can say what to fix.
 */
export function parsePositiveDecimal(input: unknown, integerNumbersAllowed: boolean): Dec | DecimalParseError {
  let text: string;
  if (typeof input === 'string') text = input;
  else if (typeof input === 'number' && integerNumbersAllowed && Number.isSafeInteger(input)) text = String(input);
  else return 'not_a_decimal';
  if (!DECIMAL_TEXT.test(text)) return TOO_PRECISE_TEXT.test(text) ? 'too_precise' : 'not_a_decimal';
  const value = new D(text);
  if (value.lte(0)) return 'not_positive';
  return value;
}

export const decimalText = (value: Dec): string => value.toFixed();

export const fromText = (text: string): Dec => new D(text);

export function formatMoney(value: Dec, currency = '$'): string {
  const cents = value.toDecimalPlaces(2);
  const [whole, fraction] = cents.abs().toFixed(2).split('.') as [string, string];
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  // -0.001 rounds to zero cents, which is not a debt: no minus sign.
  return `${cents.isNegative() && !cents.isZero() ? '-' : ''}${currency}${grouped}.${fraction}`;
}
