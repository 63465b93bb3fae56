import { describe, expect, it } from 'vitest';
import { D } from '../../../domain/money.ts';
import { mulberry32, ReferencePrices, roundToTick } from './referencePrices.ts';

const tick = new D('0.01');
const path = (seed: number, steps: number) => {
  const prices = new ReferencePrices({ AAPL: '150', TSLA: '250' }, tick, new D(20), seed);
  const seen: string[] = [];
  for (let i = 0; i < steps; i++) {
    prices.walk();
    seen.push(`${prices.get('AAPL')!.toFixed()}/${prices.get('TSLA')!.toFixed()}`);
  }
  return seen;
};

describe('reference prices', () => {
  it('replay exactly from the same seed, and differ with another', () => {
    expect(path(7, 50)).toEqual(path(7, 50));
    expect(path(7, 50)).not.toEqual(path(8, 50));
  });

  it('stay positive multiples of the tick, each step within the volatility', () => {
    const prices = new ReferencePrices({ AAPL: '150' }, tick, new D(20), 3);
    let previous = prices.get('AAPL')!;
    let moves = 0;
    for (let i = 0; i < 2_000; i++) {
      prices.walk();
      const price = prices.get('AAPL')!;
      expect(price.gt(0)).toBe(true);
      expect(price.mod(tick).isZero()).toBe(true);
      const bound = previous.times(20).div(10_000).plus(tick.div(2));
      expect(price.minus(previous).abs().lte(bound)).toBe(true);
      if (!price.eq(previous)) moves++;
      previous = price;
    }
    expect(moves).toBeGreaterThan(1_000);
  });

  it('round start prices and set prices to the tick, never below one tick', () => {
    const prices = new ReferencePrices({ AAPL: '150.004' }, tick, new D(20), 1);
    expect(prices.get('AAPL')!.toFixed()).toBe('150');
    expect(prices.set('AAPL', new D('99.996')).toFixed()).toBe('100');
    expect(roundToTick(new D('0.001'), tick).toFixed()).toBe('0.01');
    expect(prices.get('XYZ')).toBeNull();
    expect(() => prices.set('XYZ', new D(1))).toThrow(/unknown symbol XYZ/);
  });

  it('draw 32-bit integers from mulberry32', () => {
    const next = mulberry32(123);
    const draws = Array.from({ length: 1_000 }, next);
    expect(draws.every((n) => Number.isInteger(n) && n >= 0 && n < 2 ** 32)).toBe(true);
    expect(new Set(draws).size).toBe(1_000);
  });
});
