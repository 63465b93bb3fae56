/**
 * Trade busts and corrections sent by a venue: applied once (by the message's own id), to the
 * fill the order recorded, through the transition table; a busted fill no longer counts but its
 * replay stays a duplicate; a correction past the order's quantity is refused and reported;
 * the trader's account (cash, position, P&L, reservation) follows in the same commit.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { D, type Dec } from '../domain/money.ts';
import type { Order } from '../domain/order/order.ts';
import type { ExecutionReport } from '../ports/venue.ts';
import type { Dispatcher } from './dispatch.ts';
import { ExecutionReportProcessor } from './executionReports.ts';
import { riskTestApp, type RiskTestApp } from './risk/riskTestApp.ts';
import { submitOrder } from './submitOrder.ts';
import { HELD_DISPATCH, limitOrder, testApp, type TestApp } from './testContext.ts';

let app: TestApp;
beforeEach(async () => {
  app = await testApp();
});
afterEach(async () => {
  await app.close();
});

const at = new Date('2026-11-21T12:00:00.000Z');
async function filled(...quantities: string[]): Promise<Order> {
  const result = await submitOrder(app.ctx, HELD_DISPATCH, limitOrder('trader-b', { quantity: new D(100) }), null);
  if (!result.ok) throw new Error(result.error.code);
  const order = result.value;
  await app.reports.process('sim', { kind: 'ack', clientOrderId: order.id, venueOrderId: 'V-1', at });
  for (const [i, quantity] of quantities.entries()) await app.reports.process('sim', fill(order, `F${i}`, quantity));
  return order;
}
const fill = (o: Order, id: string, quantity: string): ExecutionReport => ({
  kind: 'fill', clientOrderId: o.id, venueOrderId: 'V-1', venueFillId: `${o.id}-${id}`, quantity: new D(quantity), price: new D(100), commission: new D(0), at,
});
const bust = (o: Order, id: string, adjustmentId = `B-${o.id}-${id}`): ExecutionReport => ({
  kind: 'fill_busted', clientOrderId: o.id, venueOrderId: 'V-1', venueFillId: `${o.id}-${id}`, adjustmentId, at,
});
const correct = (o: Order, id: string, quantity: string, price: string, adjustmentId: string): ExecutionReport => ({
  kind: 'fill_corrected', clientOrderId: o.id, venueOrderId: 'V-1', venueFillId: `${o.id}-${id}`, adjustmentId, quantity: new D(quantity), price: new D(price), at,
});
const reread = async (o: Order) => (await app.store.findOrder(o.id))!;

describe('busts and corrections', () => {
  it('given a bust, then the fill no longer counts, once; neither the bust nor the fill replayed changes anything', async () => {
    const order = await filled('30', '20');
    expect(await app.reports.process('sim', bust(order, 'F0'))).toBe('applied');
    expect(await app.reports.process('sim', bust(order, 'F0'))).toBe('duplicate');
    expect(await app.reports.process('sim', bust(order, 'F0', 'another-message'))).toBe('duplicate');
    expect(await app.reports.process('sim', fill(order, 'F0', '30'))).toBe('duplicate');
    const after = await reread(order);
    expect({ status: after.status, filled: after.filledQuantity.toFixed() }).toEqual({ status: 'partially_filled', filled: '20' });
    expect((await app.store.listFills(order.id)).map((f) => f.venueFillId)).toEqual([`${order.id}-F1`]);
    const audit = await app.store.listAudit(order.id);
    expect(JSON.parse(audit.at(-1)!.payload)).toMatchObject({ venue_fill_id: `${order.id}-F0`, quantity: '30', adjustment_id: `B-${order.id}-F0` });
    expect(app.published.map((e) => JSON.parse(e.payload).event)).toContain('order.fill_busted');
  });

  it('given a completed order whose trade is busted, then it is cancelled (the rest will not trade), with the reason', async () => {
    const order = await filled('100');
    await app.reports.process('sim', bust(order, 'F0'));
    expect(await reread(order)).toMatchObject({ status: 'cancelled', reason: expect.stringMatching(/busted or corrected trade/) });
  });

  it('given corrections, then each applies once by its own id and the average price follows; one past the quantity is refused', async () => {
    const order = await filled('40');
    expect(await app.reports.process('sim', correct(order, 'F0', '50', '99', 'C-1'))).toBe('applied');
    expect(await app.reports.process('sim', correct(order, 'F0', '50', '99', 'C-1'))).toBe('duplicate');
    expect(await app.reports.process('sim', correct(order, 'F0', '45', '98', 'C-2'))).toBe('applied');
    const after = await reread(order);
    expect({ filled: after.filledQuantity.toFixed(), notional: after.filledNotional.toFixed() }).toEqual({ filled: '45', notional: '4410' });
    expect((await app.store.listFills(order.id))[0]).toMatchObject({ quantity: new D(45), price: new D(98) });
    expect(await app.reports.process('sim', correct(order, 'F0', '101', '98', 'C-3'))).toBe('refused');
    expect(app.anomalies).toContain('overfill_refused');
    expect((await reread(order)).filledQuantity.toFixed()).toBe('45');
  });

  it('given a bust of a fill the order never recorded, then it is ignored and reported', async () => {
    const order = await filled('10');
    expect(await app.reports.process('sim', bust(order, 'nope'))).toBe('ignored');
    expect(app.anomalies).toContain('adjustment_for_unknown_fill');
  });
});

describe('the trader account follows a bust or correction', () => {
  let rt: RiskTestApp;
  beforeEach(async () => {
    rt = await riskTestApp({ openingCash: new D(100_000) });
  });
  afterEach(async () => {
    await rt.close();
  });

  const trader = 'trader-acct';
  async function working(quantity: string): Promise<{ order: Order; price: Dec }> {
    const price = rt.app.sim.referencePrice('AAPL')!;
    const result = await submitOrder(rt.ctx, HELD_DISPATCH, limitOrder(trader, { quantity: new D(quantity), limitPrice: price }), null);
    if (!result.ok) throw new Error(JSON.stringify(result.error));
    await rt.reports.process('sim', { kind: 'ack', clientOrderId: result.value.id, venueOrderId: 'V-1', at });
    return { order: result.value, price };
  }
  const fillAt = (o: Order, id: string, quantity: string, price: Dec): ExecutionReport => ({
    kind: 'fill', clientOrderId: o.id, venueOrderId: 'V-1', venueFillId: `${o.id}-${id}`, quantity: new D(quantity), price, commission: new D('1.25'), at,
  });
  async function account() {
    const { account: a, positions, open } = await rt.ctx.store.accounts.loadTrader(trader);
    const book = await rt.gate.book(trader);
    return {
      cash: a?.cash.toFixed(), reserved: a?.reserved.toFixed(), buyingPower: book.buyingPower().toFixed(),
      positions: positions.filter((p) => !p.quantity.isZero()).map((p) => [p.symbol, p.quantity.toFixed(), p.averagePrice.toFixed()]),
      realizedToday: book.realizedToday(rt.clock.now().toISOString().slice(0, 10)).toFixed(),
      open: open.map((o) => [o.symbol, o.side, o.quantity.toFixed()]),
    };
  }

  it('given a working order filled in part, when the fill is busted, then cash, position, P&L and buying power are as before the fill, and a replay changes nothing', async () => {
    const { order, price } = await working('100');
    const before = await account();
    expect(before).toMatchObject({ reserved: price.times(100).toFixed(), open: [['AAPL', 'buy', '100']] });
    await rt.reports.process('sim', fillAt(order, 'F0', '40', price));
    expect(await account()).toMatchObject({ positions: [['AAPL', '40', price.toFixed()]], realizedToday: '-1.25', open: [['AAPL', 'buy', '60']] });

    expect(await rt.reports.process('sim', bust(order, 'F0'))).toBe('applied');
    expect(await account()).toEqual(before);
    expect(await rt.reports.process('sim', bust(order, 'F0'))).toBe('duplicate');
    expect(await rt.reports.process('sim', bust(order, 'F0', 'another-message'))).toBe('duplicate');
    expect(await account()).toEqual(before);
    expect((await rt.ctx.store.findOrder(order.id))!.status).toBe('acked');
  });

  it('given a fill, when it is corrected, then the account counts the corrected trade instead', async () => {
    const { order, price } = await working('100');
    await rt.reports.process('sim', fillAt(order, 'F0', '40', price));
    const corrected = price.minus('0.5');
    expect(await rt.reports.process('sim', correct(order, 'F0', '30', corrected.toFixed(), 'C-1'))).toBe('applied');
    const now = await account();
    expect(now).toMatchObject({
      cash: new D(100_000).minus(corrected.times(30)).minus('1.25').toFixed(),
      reserved: price.times(70).toFixed(),
      positions: [['AAPL', '30', corrected.toFixed()]],
      open: [['AAPL', 'buy', '70']],
    });
    expect(await rt.reports.process('sim', correct(order, 'F0', '30', corrected.toFixed(), 'C-1'))).toBe('duplicate');
    expect(await account()).toEqual(now);
  });

  it('given a fill that predates the fill ledger, when it is busted, then the order is adjusted and the account is reported for a hand adjustment', async () => {
    const { order, price } = await working('100');
    await rt.reports.process('sim', fillAt(order, 'F0', '40', price));
    const accounts = { ...rt.ctx.store.accounts, fillSettled: async () => false };
    const reports = new ExecutionReportProcessor({ ...rt.ctx, store: { ...rt.ctx.store, accounts } });
    expect(await reports.process('sim', bust(order, 'F0'))).toBe('applied');
    expect(rt.app.anomalies).toContain('adjustment_of_unsettled_fill');
    expect((await rt.ctx.store.findOrder(order.id))!.filledQuantity.toFixed()).toBe('0');
  });
});
