import { describe, expect, it } from 'vitest';
import { fromText } from '../money.ts';
import { ORDER_TYPES, type OrderType } from './order.ts';
import { checkPriceTerms } from './terms.ts';

const LIMIT = fromText('150.25');
const STOP = fromText('149.00');

/** For each order type: whether it requires (true) or forbids (false) each price. */
const RULES: { readonly [T in OrderType]: { readonly limit: boolean; readonly stop: boolean } } = {
  market: { limit: false, stop: false },
  limit: { limit: true, stop: false },
  stop: { limit: false, stop: true },
  stop_limit: { limit: true, stop: true },
};

const fields = (type: OrderType, limitPrice: typeof LIMIT | null, stopPrice: typeof STOP | null) =>
  checkPriceTerms({ type, limitPrice, stopPrice }).map((e) => e.field);

describe('checkPriceTerms', () => {
  it('covers every order type', () => {
    expect(Object.keys(RULES).sort()).toEqual([...ORDER_TYPES].sort());
  });

  describe.each(ORDER_TYPES)('a %s order', (type) => {
    const rule = RULES[type];
    const valid = fields(type, rule.limit ? LIMIT : null, rule.stop ? STOP : null);

    it('given exactly the prices its type needs, then no errors', () => {
      expect(valid).toEqual([]);
    });

    it(`given ${rule.limit ? 'no' : 'a'} limit_price, then one error on limit_price`, () => {
      expect(fields(type, rule.limit ? null : LIMIT, rule.stop ? STOP : null)).toEqual(['limit_price']);
    });

    it(`given ${rule.stop ? 'no' : 'a'} stop_price, then one error on stop_price`, () => {
      expect(fields(type, rule.limit ? LIMIT : null, rule.stop ? null : STOP)).toEqual(['stop_price']);
    });

    it('given both prices wrong, then one error per field', () => {
      expect(fields(type, rule.limit ? null : LIMIT, rule.stop ? null : STOP)).toEqual(['limit_price', 'stop_price']);
    });
  });

  it.each([
    ['limit', { limitPrice: null, stopPrice: null }, 'limit_price is required for a limit order'],
    ['market', { limitPrice: LIMIT, stopPrice: null }, 'limit_price must be null or absent for a market order'],
    ['stop', { limitPrice: null, stopPrice: null }, 'stop_price is required for a stop order'],
    ['limit', { limitPrice: LIMIT, stopPrice: STOP }, 'stop_price must be null or absent for a limit order'],
  ] as const)('given a %s order with %o, then the message reads %j', (type, prices, message) => {
    expect(checkPriceTerms({ type, ...prices }).map((e) => e.message)).toEqual([message]);
  });
});
