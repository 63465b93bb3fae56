/**
 * Busts and corrections of fills, as properties over random histories of fills (1,000 runs
 * each): a bust leaves the position and cash exactly as if the trade never happened, a
 * correction as if it happened with the corrected values, whatever came after it and in
 * whatever order several adjustments arrive; and cash, position and P&L stay consistent.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { D, ZERO, type Dec } from '../money.ts';
import {
  applyMovement, cashMovement, flatBook, restateAfterAdjustment, unrealizedPnl, type LedgerEntry, type Movement, type PositionBook,
} from './positions.ts';

const RUNS = { numRuns: 1000 };
const DAYS = ['2026-11-20', '2026-11-21', '2026-11-23'];
const START = flatBook(DAYS[0]!);

const cents = (min: number, max: number) => fc.integer({ min, max }).map((c) => new D(c).div(100));
const movement = (day: string) => fc.record({
  side: fc.constantFrom('buy' as const, 'sell' as const),
  quantity: fc.integer({ min: 1, max: 500 }).map((q) => new D(q)),
  price: cents(1, 50_000),
  commission: cents(0, 300),
  tradingDay: fc.constant(day),
});
/** Fills in time order: their trading days never go backwards. */
const history = (maxLength = 8) => fc.array(fc.constantFrom(...DAYS), { minLength: 1, maxLength }).chain((days) =>
  fc.tuple(...[...days].sort().map(movement)));
const correctionOf = (m: Movement) => fc.record({ quantity: fc.integer({ min: 1, max: 500 }).map((q) => new D(q)), price: cents(1, 50_000) })
  .map((c): Movement => ({ ...m, ...c }));

interface Ledger { readonly book: PositionBook; readonly cash: Dec; readonly entries: readonly LedgerEntry[] }

/** Settles fills one by one, as the store does: each keeps the position just before it. */
function settle(movements: readonly Movement[], from: Ledger = { book: START, cash: ZERO, entries: [] }): Ledger {
  let { book, cash } = from;
  const entries = [...from.entries];
  for (const m of movements) {
    entries.push({ movement: m, before: book });
    book = applyMovement(book, m);
    cash = cash.plus(cashMovement(m));
  }
  return { book, cash, entries };
}

/** Busts (replacement null) or corrects the entry at `index`, as the store does. */
function adjust(ledger: Ledger, index: number, replacement: Movement | null): Ledger {
  const restated = restateAfterAdjustment(ledger.entries.slice(index), replacement);
  const kept = ledger.entries.slice(0, index);
  const adjusted = replacement ? [{ movement: replacement, before: ledger.entries[index]!.before }] : [];
  return { book: restated.book, cash: ledger.cash.plus(restated.cash), entries: [...kept, ...adjusted, ...restated.later] };
}

const bookText = (b: PositionBook) => [b.quantity.toFixed(), b.averagePrice.toFixed(), b.realizedPnl.toFixed(), b.pnlDay];
const expectSameLedger = (actual: Ledger, expected: Ledger) => {
  expect(bookText(actual.book)).toEqual(bookText(expected.book));
  expect(actual.cash.toFixed()).toBe(expected.cash.toFixed());
  expect(actual.entries.map((e) => bookText(e.before))).toEqual(expected.entries.map((e) => bookText(e.before)));
};
const without = <T>(items: readonly T[], ...indexes: number[]) => items.filter((_, i) => !indexes.includes(i));

describe('busts and corrections of fills', () => {
  it('property: a fill then its bust leaves the position and cash exactly as before', () => {
    fc.assert(fc.property(history(), movement(DAYS[2]!), (past, fill) => {
      const before = settle(past);
      const busted = adjust(settle([fill], before), past.length, null);
      expectSameLedger(busted, before);
    }), RUNS);
  });

  it('property: a bust of any fill, with fills after it, equals the history without that fill', () => {
    fc.assert(fc.property(history(10).chain((h) => fc.tuple(fc.constant(h), fc.nat({ max: h.length - 1 }))), ([h, k]) => {
      expectSameLedger(adjust(settle(h), k, null), settle(without(h, k)));
    }), RUNS);
  });

  it('property: busts of two fills give the same account in either order', () => {
    const twoOf = history(10).filter((h) => h.length >= 2).chain((h) =>
      fc.tuple(fc.constant(h), fc.uniqueArray(fc.nat({ max: h.length - 1 }), { minLength: 2, maxLength: 2 })));
    fc.assert(fc.property(twoOf, ([h, [i, j]]) => {
      const ledger = settle(h);
      // After the first bust the later entries move up by one.
      const second = (first: number, then: number) => (then > first ? then - 1 : then);
      const ij = adjust(adjust(ledger, i!, null), second(i!, j!), null);
      const ji = adjust(adjust(ledger, j!, null), second(j!, i!), null);
      expectSameLedger(ij, settle(without(h, i!, j!)));
      expectSameLedger(ji, ij);
    }), RUNS);
  });

  it('property: a correction of the latest fill equals its bust followed by the corrected fill', () => {
    const arb = fc.tuple(history(), movement(DAYS[2]!)).chain(([past, fill]) => fc.tuple(fc.constant(past), fc.constant(fill), correctionOf(fill)));
    fc.assert(fc.property(arb, ([past, fill, corrected]) => {
      const ledger = settle([...past, fill]);
      const bustThenFill = settle([corrected], adjust(ledger, past.length, null));
      expectSameLedger(adjust(ledger, past.length, corrected), bustThenFill);
    }), RUNS);
  });

  it('property: a correction of any fill equals the history with that fill corrected where it was; cash and quantity as bust + new fill', () => {
    const arb = history(10).chain((h) => fc.nat({ max: h.length - 1 }).chain((k) => fc.tuple(fc.constant(h), fc.constant(k), correctionOf(h[k]!))));
    fc.assert(fc.property(arb, ([h, k, corrected]) => {
      const ledger = settle(h);
      const result = adjust(ledger, k, corrected);
      expectSameLedger(result, settle(h.map((m, i) => (i === k ? corrected : m))));
      const bustThenFill = settle([corrected], adjust(ledger, k, null));
      expect(result.cash.toFixed()).toBe(bustThenFill.cash.toFixed());
      expect(result.book.quantity.toFixed()).toBe(bustThenFill.book.quantity.toFixed());
    }), RUNS);
  });

  it('property: after any fills, busts and corrections within a day, cash + position at a mark = realized + unrealized P&L', () => {
    const day = DAYS[1]!;
    const step = fc.oneof(
      movement(day).map((m) => ({ kind: 'fill' as const, m })),
      fc.record({ kind: fc.constant('bust' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('correct' as const), at: fc.nat(), quantity: fc.integer({ min: 1, max: 500 }), price: fc.integer({ min: 1, max: 50_000 }) }),
    );
    fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 14 }), cents(1, 50_000), (steps, mark) => {
      let ledger: Ledger = { book: flatBook(day), cash: ZERO, entries: [] };
      for (const s of steps) {
        if (s.kind === 'fill') ledger = settle([s.m], ledger);
        else if (ledger.entries.length > 0) {
          const index = s.at % ledger.entries.length;
          const replacement = s.kind === 'bust' ? null : { ...ledger.entries[index]!.movement, quantity: new D(s.quantity), price: new D(s.price).div(100) };
          ledger = adjust(ledger, index, replacement);
        }
      }
      const { book, cash } = ledger;
      const pnl = book.realizedPnl.plus(unrealizedPnl(book, mark));
      // Average prices are rounded to 12 places: the two sides agree to far below a cent.
      expect(cash.plus(book.quantity.times(mark)).minus(pnl).abs().lt('0.000001')).toBe(true);
    }), RUNS);
  });
});
