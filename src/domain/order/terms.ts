/**
 * Which prices each order type needs and which it must not have: limit_price for limit and
 * stop_limit only, stop_price for stop and stop_limit only. Returns one error per offending field.
 */
import type { Dec } from '../money.ts';
import type { OrderType } from './order.ts';

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export interface PriceTerms {
  readonly type: OrderType;
  readonly limitPrice: Dec | null;
  readonly stopPrice: Dec | null;
}

const NEEDS_LIMIT: readonly OrderType[] = ['limit', 'stop_limit'];
const NEEDS_STOP: readonly OrderType[] = ['stop', 'stop_limit'];

export function checkPriceTerms(t: PriceTerms): FieldError[] {
  const errors: FieldError[] = [];
  if (NEEDS_LIMIT.includes(t.type) && t.limitPrice === null) {
    errors.push({ field: 'limit_price', message: `limit_price is required for a ${t.type} order` });
  }
  if (!NEEDS_LIMIT.includes(t.type) && t.limitPrice !== null) {
    errors.push({ field: 'limit_price', message: `limit_price must be null or absent for a ${t.type} order` });
  }
  if (NEEDS_STOP.includes(t.type) && t.stopPrice === null) {
    errors.push({ field: 'stop_price', message: `stop_price is required for a ${t.type} order` });
  }
  if (!NEEDS_STOP.includes(t.type) && t.stopPrice !== null) {
    errors.push({ field: 'stop_price', message: `stop_price must be null or absent for a ${t.type} order` });
  }
  return errors;
}
