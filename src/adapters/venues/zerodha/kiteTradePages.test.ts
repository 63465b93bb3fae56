/** Paging the day's trade book: in order, each trade once, and a late trade never skipped. */
import { describe, expect, it } from 'vitest';
import { tradesAfter } from './kiteTradePages.ts';
import type { KiteTrade } from './kiteWire.ts';

const trade = (tradeId: string, at: string, orderId = '1001'): KiteTrade => ({
  trade_id: tradeId, order_id: orderId, quantity: '1', average_price: '100', fill_timestamp: `2026-12-03 ${at}`,
});
const ids = (page: { trades: KiteTrade[] }) => page.trades.map((t) => t.trade_id);
const DAY = '2026-12-02';

describe('tradesAfter', () => {
  it('given trades listed out of order, when paged from the start, then they come by fill time, then trade id, each once', () => {
    const book = [trade('3', '09:15:02'), trade('1', '09:15:01'), trade('2', '09:15:01', '1002')];
    const first = tradesAfter(book, null, 2, DAY);
    expect(ids(first)).toEqual(['1', '2']);
    const second = tradesAfter(book, first.cursor, 2, DAY);
    expect(ids(second)).toEqual(['3']);
    expect(tradesAfter(book, second.cursor, 2, DAY)).toEqual({ trades: [], cursor: second.cursor });
  });

  it('given a new trade after the cursor, even in the same second, then only it comes next', () => {
    const book = [trade('1', '09:15:01'), trade('2', '09:15:01')];
    const page = tradesAfter(book, null, 10, DAY);
    expect(ids(tradesAfter([...book, trade('3', '09:15:01')], page.cursor, 10, DAY))).toEqual(['3']);
  });

  it('given a trade that shows up late but sorts before the cursor, then the day is listed again from the start rather than skip it', () => {
    const book = [trade('5', '09:15:01'), trade('7', '09:16:00')];
    const page = tradesAfter(book, null, 10, DAY);
    const late = trade('6', '09:15:30', '2002');
    expect(ids(tradesAfter([...book, late], page.cursor, 10, DAY))).toEqual(['5', '6', '7']);
  });

  it('given a cursor of another day or format, then the day starts over; an empty book keeps a cursor that resumes', () => {
    const book = [trade('1', '09:15:01')];
    const yesterday = tradesAfter(book, null, 10, '2026-12-01').cursor;
    expect(ids(tradesAfter(book, yesterday, 10, DAY))).toEqual(['1']);
    expect(ids(tradesAfter(book, 'SIM-x@4', 10, DAY))).toEqual(['1']);
    const empty = tradesAfter([], null, 10, DAY);
    expect(empty.trades).toEqual([]);
    expect(ids(tradesAfter(book, empty.cursor, 10, DAY))).toEqual(['1']);
  });
});
