import { describe, expect, it } from 'vitest';
import { D } from '../../../domain/money.ts';
import { OrderBook, planExecution, planReferenceCrossings, type PlannedExecution } from './orderBook.ts';

const d = (text: string) => new D(text);
const ids = (book: OrderBook, side: 'buy' | 'sell') => [...book.inPriority(side)].map((entry) => entry.id);
const plain = (plan: PlannedExecution[]) => plan.map((step) => `${step.makerId ?? 'ref'} ${step.quantity.toFixed()}@${step.price.toFixed()}`);

describe('OrderBook', () => {
  it('keeps bids highest first and asks lowest first, oldest first within a price', () => {
    const book = new OrderBook();
    book.add('b1', 'buy', d('99'), d('1'));
    book.add('b2', 'buy', d('99.5'), d('1'));
    book.add('b3', 'buy', d('99'), d('1'));
    book.add('a1', 'sell', d('101'), d('1'));
    book.add('a2', 'sell', d('100.5'), d('1'));
    book.add('a3', 'sell', d('101'), d('1'));

    expect(ids(book, 'buy')).toEqual(['b2', 'b1', 'b3']);
    expect(ids(book, 'sell')).toEqual(['a2', 'a1', 'a3']);
    expect(book.bestBid()?.toFixed()).toBe('99.5');
    expect(book.bestAsk()?.toFixed()).toBe('100.5');
  });

  it('removes an entry when reduced to nothing, and drops empty price levels', () => {
    const book = new OrderBook();
    book.add('a1', 'sell', d('101'), d('5'));
    book.add('a2', 'sell', d('102'), d('5'));

    book.reduce('a1', d('2'));
    expect(book.get('a1')?.leaves.toFixed()).toBe('3');
    book.reduce('a1', d('3'));

    expect(book.has('a1')).toBe(false);
    expect(book.bestAsk()?.toFixed()).toBe('102');
  });

  it('refuses to take more than an entry leaves, or to add an id twice', () => {
    const book = new OrderBook();
    book.add('a1', 'sell', d('101'), d('5'));
    expect(() => book.reduce('a1', d('6'))).toThrow(/cannot take 6/);
    expect(() => book.add('a1', 'sell', d('101'), d('1'))).toThrow(/already rests/);
  });
});

describe('planExecution', () => {
  const book = () => {
    const b = new OrderBook();
    b.add('cheap', 'sell', d('99.8'), d('5'));
    b.add('at-ref', 'sell', d('100'), d('5'));
    b.add('above', 'sell', d('100.2'), d('5'));
    b.add('far', 'sell', d('101'), d('5'));
    return b;
  };

  it('takes the best prices first, a resting order at the reference price before the reference', () => {
    const plan = planExecution(book(), { side: 'buy', limitPrice: d('100.5'), quantity: d('18') }, { bid: d('100'), ask: d('100'), liquidity: d('4') });
    expect(plain(plan)).toEqual(['cheap 5@99.8', 'at-ref 5@100', 'ref 4@100', 'above 4@100.2']);
  });

  it('never takes a market order past the reference price', () => {
    const plan = planExecution(book(), { side: 'buy', limitPrice: null, quantity: d('30') }, { bid: d('100'), ask: d('100'), liquidity: d('4') });
    expect(plain(plan)).toEqual(['cheap 5@99.8', 'at-ref 5@100', 'ref 4@100']);
  });

  it('leaves the reference out when the limit does not reach it', () => {
    const b = new OrderBook();
    b.add('bid', 'buy', d('99.5'), d('5'));
    const plan = planExecution(b, { side: 'sell', limitPrice: d('99.5'), quantity: d('10') }, { bid: d('99'), ask: d('99'), liquidity: null });
    expect(plain(plan)).toEqual(['bid 5@99.5']);
  });

  it('lets unlimited reference liquidity absorb the rest once the book is worse', () => {
    const plan = planExecution(book(), { side: 'buy', limitPrice: d('101'), quantity: d('100') }, { bid: d('100'), ask: d('100'), liquidity: null });
    expect(plain(plan)).toEqual(['cheap 5@99.8', 'at-ref 5@100', 'ref 90@100']);
  });

  it('does not change the book', () => {
    const b = book();
    planExecution(b, { side: 'buy', limitPrice: d('101'), quantity: d('100') }, { bid: d('100'), ask: d('100'), liquidity: d('1') });
    expect(ids(b, 'sell')).toEqual(['cheap', 'at-ref', 'above', 'far']);
    expect(b.get('cheap')?.leaves.toFixed()).toBe('5');
  });
});

describe('planReferenceCrossings', () => {
  it('fills resting orders the reference reaches, at their own price, up to the liquidity each', () => {
    const b = new OrderBook();
    b.add('high-bid', 'buy', d('100.5'), d('10'));
    b.add('bid', 'buy', d('100'), d('3'));
    b.add('low-bid', 'buy', d('99.5'), d('10'));
    b.add('ask', 'sell', d('101'), d('10'));

    const plan = planReferenceCrossings(b, { bid: d('100'), ask: d('100'), liquidity: d('4') });
    expect(plain(plan)).toEqual(['high-bid 4@100.5', 'bid 3@100']);
  });
});
