import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { D, ZERO, type Dec } from '../../../domain/money.ts';
import { atLeastAsGoodFor, OrderBook, oppositeSide, planExecution } from './orderBook.ts';

const price = fc.integer({ min: 9_900, max: 10_100 }).map((cents) => new D(cents).div(100));
const quantity = fc.integer({ min: 1, max: 40 }).map((halves) => new D(halves).div(2));

const scenario = fc.record({
  makers: fc.array(fc.record({ price, quantity }), { maxLength: 15 }),
  takerSide: fc.constantFrom('buy' as const, 'sell' as const),
  limitPrice: fc.option(price, { nil: null }),
  quantity,
  referencePrice: price,
  liquidity: fc.option(fc.integer({ min: 0, max: 10 }).map((n) => new D(n)), { nil: null }),
});

describe('planExecution (property)', () => {
  it('fills best prices first, within the limit, as much as the book and reference allow', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const book = new OrderBook();
        const makerSide = oppositeSide(s.takerSide);
        s.makers.forEach((m, i) => book.add(`m${i}`, makerSide, m.price, m.quantity));
        const reference = { bid: s.referencePrice, ask: s.referencePrice, liquidity: s.liquidity };
        const plan = planExecution(book, { side: s.takerSide, limitPrice: s.limitPrice, quantity: s.quantity }, reference);

        const bound = s.limitPrice ?? s.referencePrice;
        const total = plan.reduce((sum, step) => sum.plus(step.quantity), ZERO);
        expect(total.lte(s.quantity)).toBe(true);

        let previous: Dec | null = null;
        for (const step of plan) {
          expect(step.quantity.gt(0)).toBe(true);
          expect(atLeastAsGoodFor(s.takerSide, step.price, bound)).toBe(true);
          if (previous) expect(atLeastAsGoodFor(s.takerSide, previous, step.price)).toBe(true);
          previous = step.price;
        }

        const referenceSteps = plan.filter((step) => step.makerId === null);
        expect(referenceSteps.length).toBeLessThanOrEqual(1);
        const referenceEligible = atLeastAsGoodFor(s.takerSide, s.referencePrice, bound);
        for (const step of referenceSteps) {
          expect(referenceEligible).toBe(true);
          expect(step.price.eq(s.referencePrice)).toBe(true);
          if (s.liquidity) expect(step.quantity.lte(s.liquidity)).toBe(true);
        }

        const eligible = [...book.inPriority(makerSide)].filter((m) => atLeastAsGoodFor(s.takerSide, m.price, bound));
        const used = plan.filter((step) => step.makerId !== null);
        expect(used.map((step) => step.makerId)).toEqual(eligible.slice(0, used.length).map((m) => m.id));
        used.forEach((step, i) => {
          const maker = book.get(step.makerId!)!;
          expect(step.price.eq(maker.price)).toBe(true);
          if (i < used.length - 1) expect(step.quantity.eq(maker.leaves)).toBe(true);
          else expect(step.quantity.lte(maker.leaves)).toBe(true);
        });

        if (total.lt(s.quantity)) {
          expect(used.length).toBe(eligible.length);
          used.forEach((step) => expect(step.quantity.eq(book.get(step.makerId!)!.leaves)).toBe(true));
          if (referenceEligible) {
            expect(s.liquidity).not.toBeNull();
            expect((referenceSteps[0]?.quantity ?? ZERO).eq(s.liquidity!)).toBe(true);
          }
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
