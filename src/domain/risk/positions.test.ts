import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { D, ZERO } from '../money.ts';
import { applyFill, FLAT, unrealizedPnl, type PositionState } from './positions.ts';

const text = (p: PositionState) => [p.quantity.toFixed(), p.averagePrice.toFixed()];

describe('positions', () => {
  it('given buys, then the average price is volume-weighted', () => {
    const first = applyFill(FLAT, 'buy', new D(100), new D(10), ZERO);
    const second = applyFill(first.position, 'buy', new D(50), new D(13), ZERO);
    expect(text(second.position)).toEqual(['150', '11']);
    expect(second.realized.toFixed()).toBe('0');
  });

  it('given a long, when part is sold, then P&L is realized on the sold part and the average stays', () => {
    const { position, realized } = applyFill({ quantity: new D(150), averagePrice: new D(11) }, 'sell', new D(50), new D(12), new D('1.5'));
    expect(text(position)).toEqual(['100', '11']);
    expect(realized.toFixed()).toBe('48.5');
  });

  it('given a long, when a sell flips it short, then the short opens at the fill price', () => {
    const { position, realized } = applyFill({ quantity: new D(10), averagePrice: new D(100) }, 'sell', new D(15), new D(90), ZERO);
    expect(text(position)).toEqual(['-5', '90']);
    expect(realized.toFixed()).toBe('-100');
    expect(unrealizedPnl(position, new D(80)).toFixed()).toBe('50');
  });

  it('property: flattening realizes exactly what was marked open at the exit price', () => {
    const price = fc.integer({ min: 1, max: 100_000 }).map((c) => new D(c).div(100));
    const quantity = fc.integer({ min: 1, max: 1000 }).map((q) => new D(q));
    fc.assert(fc.property(fc.array(fc.tuple(quantity, price), { minLength: 1, maxLength: 8 }), price, (buys, exit) => {
      let position = FLAT;
      for (const [q, p] of buys) position = applyFill(position, 'buy', q, p, ZERO).position;
      const open = unrealizedPnl(position, exit);
      const closed = applyFill(position, 'sell', position.quantity, exit, ZERO);
      expect(closed.position.quantity.isZero()).toBe(true);
      // The average is rounded to 12 places, so the two agree to well under a cent.
      expect(closed.realized.minus(open).abs().lt('0.000001')).toBe(true);
    }), { numRuns: 300 });
  });
});
