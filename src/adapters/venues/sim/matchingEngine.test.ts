/**
 * Matching behaviour, seen through the venue port of an exchange on manual time. The AAPL
 * reference price starts at 100. With unlimited reference liquidity a crossing order always
 * trades with the reference first, so book-against-book cases limit or remove it.
 */
import { describe, expect, it } from 'vitest';
import { D } from '../../../domain/money.ts';
import type { ExecutionReport } from '../../../ports/venue.ts';
import { openExchange, summary } from './simFixtures.ts';
import { SimulatedExchange } from './simulatedExchange.ts';

const fillsOf = (reports: ExecutionReport[]) => reports.flatMap((r) => (r.kind === 'fill' ? [r] : []));

describe('price-time priority', () => {
  it('fills the best ask first and, within a price, the oldest', async () => {
    const { submit, reportsOf, sim } = await openExchange({ referenceLiquidity: '0' });
    await submit({ clientOrderId: 's1', side: 'sell', quantity: '10', limitPrice: '101' });
    await submit({ clientOrderId: 's2', side: 'sell', quantity: '10', limitPrice: '100.5' });
    await submit({ clientOrderId: 's3', side: 'sell', quantity: '10', limitPrice: '100.5' });
    await submit({ clientOrderId: 's4', side: 'sell', quantity: '10', limitPrice: '102' });

    await submit({ clientOrderId: 'b1', side: 'buy', quantity: '25', limitPrice: '101' });

    expect(summary(reportsOf('b1'))).toEqual(['ack', 'fill 10@100.5', 'fill 10@100.5', 'fill 5@101']);
    expect(summary(reportsOf('s2'))).toEqual(['ack', 'fill 10@100.5']);
    expect(summary(reportsOf('s3'))).toEqual(['ack', 'fill 10@100.5']);
    expect(summary(reportsOf('s1'))).toEqual(['ack', 'fill 5@101']);
    expect(sim.bookSnapshot('AAPL')!.asks.map((a) => `${a.clientOrderId} ${a.leavesQuantity}@${a.price}`)).toEqual(['s1 5@101', 's4 10@102']);
  });

  it('fills the best bid first and, within a price, the oldest', async () => {
    const { submit, reportsOf } = await openExchange({ referenceLiquidity: '0' });
    await submit({ clientOrderId: 'b1', side: 'buy', quantity: '5', limitPrice: '99' });
    await submit({ clientOrderId: 'b2', side: 'buy', quantity: '5', limitPrice: '99.5' });
    await submit({ clientOrderId: 'b3', side: 'buy', quantity: '5', limitPrice: '99' });

    await submit({ clientOrderId: 's1', side: 'sell', quantity: '12', limitPrice: '99' });

    expect(summary(reportsOf('s1'))).toEqual(['ack', 'fill 5@99.5', 'fill 5@99', 'fill 2@99']);
    expect(summary(reportsOf('b3'))).toEqual(['ack', 'fill 2@99']);
  });
});

describe('partial fills', () => {
  it('rests the remainder a thin book leaves, and leaves the rest of a bigger maker', async () => {
    const { submit, sim, filled } = await openExchange({ referenceLiquidity: '0' });
    await submit({ clientOrderId: 's1', side: 'sell', quantity: '4', limitPrice: '100.5' });
    await submit({ clientOrderId: 'b1', side: 'buy', quantity: '10', limitPrice: '100.5' });
    await submit({ clientOrderId: 's2', side: 'sell', quantity: '20', limitPrice: '100.5' });

    expect(await filled('b1')).toBe('10');
    expect(await filled('s2')).toBe('6');
    const view = await sim.lookup('s2');
    expect(view?.status).toBe('working');
    expect(sim.bookSnapshot('AAPL')!.asks).toMatchObject([{ clientOrderId: 's2', leavesQuantity: '14' }]);
  });

  it('fills what the reference liquidity allows on arrival and rests the rest', async () => {
    const { submit, sim, reportsOf } = await openExchange({ referenceLiquidity: '5' });
    await submit({ clientOrderId: 'b1', side: 'buy', quantity: '12', limitPrice: '101' });
    expect(summary(reportsOf('b1'))).toEqual(['ack', 'fill 5@100']);
    expect(await sim.lookup('b1')).toMatchObject({ status: 'working', filledQuantity: new D(5) });
    expect(sim.bookSnapshot('AAPL')!.bids).toMatchObject([{ clientOrderId: 'b1', leavesQuantity: '7' }]);
  });
});

describe('market orders and the reference price', () => {
  it('fill against the reference at the reference price', async () => {
    const { submit, reportsOf } = await openExchange();
    await submit({ clientOrderId: 'm1', side: 'buy', quantity: '10' });
    await submit({ clientOrderId: 'm2', side: 'sell', quantity: '3' });
    expect(summary(reportsOf('m1'))).toEqual(['ack', 'fill 10@100']);
    expect(summary(reportsOf('m2'))).toEqual(['ack', 'fill 3@100']);
  });

  it('take resting orders at least as good as the reference first, never worse ones', async () => {
    const { submit, reportsOf, sim, time } = await openExchange({ referenceLiquidity: '5' });
    await submit({ clientOrderId: 'cheap', side: 'sell', quantity: '10', limitPrice: '99.5' });
    await submit({ clientOrderId: 'dear', side: 'sell', quantity: '10', limitPrice: '100.5' });
    expect(summary(reportsOf('cheap'))).toEqual(['ack', 'fill 5@100']);

    await submit({ clientOrderId: 'm1', side: 'buy', quantity: '20' });
    expect(summary(reportsOf('m1'))).toEqual(['ack', 'fill 5@99.5', 'fill 5@100']);
    expect(summary(reportsOf('dear'))).toEqual(['ack']);

    sim.tick();
    time.flush();
    expect(fillsOf(reportsOf('m1'))).toHaveLength(3);
    expect(reportsOf('m1').at(-1)).toMatchObject({ kind: 'fill', price: sim.referencePrice('AAPL') });
  });

  it('ioc market orders cancel what the reference liquidity could not fill', async () => {
    const { submit, reportsOf } = await openExchange({ referenceLiquidity: '5' });
    await submit({ clientOrderId: 'm1', side: 'sell', quantity: '8', timeInForce: 'ioc' });
    expect(summary(reportsOf('m1'))).toEqual(['ack', 'fill 5@100', 'cancelled']);
    expect(reportsOf('m1').at(-1)).toMatchObject({ reason: 'ioc remainder not filled' });
  });
});

describe('limit orders crossing the reference', () => {
  it('fill at the reference price on arrival when their limit reaches it', async () => {
    const { submit, reportsOf, sim } = await openExchange();
    await submit({ clientOrderId: 'b1', side: 'buy', quantity: '10', limitPrice: '101' });
    await submit({ clientOrderId: 's1', side: 'sell', quantity: '10', limitPrice: '99' });
    await submit({ clientOrderId: 'b2', side: 'buy', quantity: '10', limitPrice: '99.99' });

    expect(summary(reportsOf('b1'))).toEqual(['ack', 'fill 10@100']);
    expect(summary(reportsOf('s1'))).toEqual(['ack', 'fill 10@100']);
    expect(summary(reportsOf('b2'))).toEqual(['ack']);
    expect(sim.bookSnapshot('AAPL')!.bids).toMatchObject([{ clientOrderId: 'b2', price: '99.99' }]);
  });

  it('interleave book and reference best prices first, then rest the remainder', async () => {
    const { submit, reportsOf, sim } = await openExchange({ referenceLiquidity: '5' });
    await submit({ clientOrderId: 'cheap', side: 'sell', quantity: '10', limitPrice: '99.8' });
    await submit({ clientOrderId: 'above', side: 'sell', quantity: '5', limitPrice: '100.2' });

    await submit({ clientOrderId: 'b1', side: 'buy', quantity: '20', limitPrice: '100.5' });

    expect(summary(reportsOf('b1'))).toEqual(['ack', 'fill 5@99.8', 'fill 5@100', 'fill 5@100.2']);
    expect(sim.bookSnapshot('AAPL')).toMatchObject({ bids: [{ clientOrderId: 'b1', leavesQuantity: '5' }], asks: [] });
  });

  it('fill at their own limit price when a reference move crosses them', async () => {
    const { submit, reportsOf, sim, time } = await openExchange();
    await submit({ clientOrderId: 'bid', side: 'buy', quantity: '10', limitPrice: '99' });
    await submit({ clientOrderId: 'ask', side: 'sell', quantity: '10', limitPrice: '101' });

    sim.moveReferencePrice('AAPL', new D('98.5'));
    sim.moveReferencePrice('AAPL', new D('101'));
    time.flush();

    expect(summary(reportsOf('bid'))).toEqual(['ack', 'fill 10@99']);
    expect(summary(reportsOf('ask'))).toEqual(['ack', 'fill 10@101']);
  });

  it('fill on tick() exactly when the walked reference reaches them', async () => {
    const { submit, sim, time, filled } = await openExchange({ volatilityBps: 100, seed: 11 });
    const bids = ['99.8', '99.6', '99.4', '99.2', '99'];
    const asks = ['100.2', '100.4', '100.6', '100.8', '101'];
    for (const price of bids) await submit({ clientOrderId: `b${price}`, side: 'buy', limitPrice: price, timeInForce: 'gtc' });
    for (const price of asks) await submit({ clientOrderId: `s${price}`, side: 'sell', limitPrice: price, timeInForce: 'gtc' });

    let lowest = sim.referencePrice('AAPL')!;
    let highest = lowest;
    for (let i = 0; i < 30; i++) {
      sim.tick();
      time.flush();
      const reference = sim.referencePrice('AAPL')!;
      lowest = D.min(lowest, reference);
      highest = D.max(highest, reference);
      for (const price of bids) expect(await filled(`b${price}`)).toBe(lowest.lte(price) ? '10' : '0');
      for (const price of asks) expect(await filled(`s${price}`)).toBe(highest.gte(price) ? '10' : '0');
    }
    expect(lowest.lt('99.8') || highest.gt('100.2')).toBe(true);
  });

  it('take at most the reference liquidity per tick', async () => {
    const { submit, sim, time, filled } = await openExchange({ referenceLiquidity: '5' });
    await submit({ clientOrderId: 'b1', side: 'buy', quantity: '12', limitPrice: '99' });
    for (const expected of ['5', '10', '12']) {
      sim.moveReferencePrice('AAPL', new D('98'));
      time.flush();
      expect(await filled('b1')).toBe(expected);
    }
  });
});

describe('stop orders', () => {
  it('a buy stop waits off the book, then becomes a market order when the reference reaches it', async () => {
    const { submit, reportsOf, sim, time } = await openExchange();
    await submit({ clientOrderId: 'st', side: 'buy', stopPrice: '101' });
    expect(sim.bookSnapshot('AAPL')).toMatchObject({ bids: [], stops: [{ clientOrderId: 'st', price: '101' }] });

    sim.moveReferencePrice('AAPL', new D('100.99'));
    time.flush();
    expect(summary(reportsOf('st'))).toEqual(['ack']);

    sim.moveReferencePrice('AAPL', new D('101.02'));
    time.flush();
    expect(summary(reportsOf('st'))).toEqual(['ack', 'fill 10@101.02']);
    expect(sim.bookSnapshot('AAPL')!.stops).toEqual([]);
  });

  it('a sell stop triggers when the reference falls to it', async () => {
    const { submit, reportsOf, sim, time } = await openExchange();
    await submit({ clientOrderId: 'st', side: 'sell', stopPrice: '99' });
    sim.moveReferencePrice('AAPL', new D('98.9'));
    time.flush();
    expect(summary(reportsOf('st'))).toEqual(['ack', 'fill 10@98.9']);
  });

  it('a stop whose condition already holds triggers on arrival', async () => {
    const { submit, reportsOf } = await openExchange();
    await submit({ clientOrderId: 'st', side: 'buy', stopPrice: '99' });
    expect(summary(reportsOf('st'))).toEqual(['ack', 'fill 10@100']);
  });

  it('a stop-limit becomes a limit order that rests when the reference has run past its limit', async () => {
    const { submit, reportsOf, sim, time } = await openExchange();
    await submit({ clientOrderId: 'sl', side: 'buy', stopPrice: '101', limitPrice: '101.5' });

    sim.moveReferencePrice('AAPL', new D('102'));
    time.flush();
    expect(summary(reportsOf('sl'))).toEqual(['ack']);
    expect(sim.bookSnapshot('AAPL')).toMatchObject({ bids: [{ clientOrderId: 'sl', price: '101.5' }], stops: [] });

    sim.moveReferencePrice('AAPL', new D('101.4'));
    time.flush();
    expect(summary(reportsOf('sl'))).toEqual(['ack', 'fill 10@101.5']);
  });

  it('a triggered stop-limit whose limit reaches the reference fills at the reference', async () => {
    const { submit, reportsOf, sim, time } = await openExchange();
    await submit({ clientOrderId: 'sl', side: 'sell', stopPrice: '99', limitPrice: '98' });
    sim.moveReferencePrice('AAPL', new D('98.5'));
    time.flush();
    expect(summary(reportsOf('sl'))).toEqual(['ack', 'fill 10@98.5']);
  });
});

describe('time in force', () => {
  it('ioc cancels an unfilled limit at once', async () => {
    const { submit, reportsOf, sim } = await openExchange();
    await submit({ clientOrderId: 'i1', side: 'buy', limitPrice: '99', timeInForce: 'ioc' });
    expect(summary(reportsOf('i1'))).toEqual(['ack', 'cancelled']);
    expect(await sim.lookup('i1')).toMatchObject({ status: 'cancelled', reason: 'ioc remainder not filled' });
    expect(sim.bookSnapshot('AAPL')!.bids).toEqual([]);
  });

  it('fok fills nothing when the whole quantity is not there, leaving the book as it was', async () => {
    const { submit, reportsOf, sim } = await openExchange({ referenceLiquidity: '5' });
    await submit({ clientOrderId: 'ask', side: 'sell', quantity: '3', limitPrice: '100.2' });

    await submit({ clientOrderId: 'f1', side: 'buy', quantity: '10', limitPrice: '100.5', timeInForce: 'fok' });

    expect(summary(reportsOf('f1'))).toEqual(['ack', 'cancelled']);
    expect(reportsOf('f1').at(-1)).toMatchObject({ reason: 'fok could not be filled in full' });
    expect(sim.bookSnapshot('AAPL')!.asks).toMatchObject([{ clientOrderId: 'ask', leavesQuantity: '3' }]);
  });

  it('fok fills in full when book and reference together hold the quantity', async () => {
    const { submit, reportsOf } = await openExchange({ referenceLiquidity: '5' });
    await submit({ clientOrderId: 'ask', side: 'sell', quantity: '3', limitPrice: '100.2' });
    await submit({ clientOrderId: 'f1', side: 'buy', quantity: '8', limitPrice: '100.5', timeInForce: 'fok' });
    expect(summary(reportsOf('f1'))).toEqual(['ack', 'fill 5@100', 'fill 3@100.2']);
  });

  it('endSession expires day orders wherever they wait, and keeps gtc ones', async () => {
    const { submit, reportsOf, sim, time } = await openExchange({ referenceLiquidity: '5' });
    await submit({ clientOrderId: 'day-limit', side: 'buy', limitPrice: '99' });
    await submit({ clientOrderId: 'day-stop', side: 'sell', stopPrice: '90' });
    await submit({ clientOrderId: 'day-market', side: 'buy', quantity: '8' });
    await submit({ clientOrderId: 'gtc-limit', side: 'buy', limitPrice: '98', timeInForce: 'gtc' });

    sim.endSession();
    time.flush();

    for (const id of ['day-limit', 'day-stop', 'day-market']) {
      expect(reportsOf(id).at(-1)).toMatchObject({ kind: 'expired', reason: 'day order expired at end of session' });
      expect((await sim.lookup(id))?.status).toBe('expired');
    }
    expect(summary(reportsOf('gtc-limit'))).toEqual(['ack']);
    expect(sim.bookSnapshot('AAPL')).toMatchObject({ bids: [{ clientOrderId: 'gtc-limit' }], stops: [] });
  });
});

describe('accounts', () => {
  it('orders of two accounts trade with each other; each side gets its own fill', async () => {
    const { submit, reportsOf } = await openExchange({ referenceLiquidity: '0', commissionPerShare: '0.005' });
    await submit({ clientOrderId: 'alice-1', account: 'alice', side: 'sell', quantity: '10', limitPrice: '100.5' });
    await submit({ clientOrderId: 'bob-1', account: 'bob', side: 'buy', quantity: '10', limitPrice: '100.5' });

    const [sell] = fillsOf(reportsOf('alice-1'));
    const [buy] = fillsOf(reportsOf('bob-1'));
    expect(sell).toMatchObject({ venueFillId: 'SIM-test-1-1', commission: new D('0.05') });
    expect(buy).toMatchObject({ venueFillId: 'SIM-test-2-1', commission: new D('0.05') });
    expect(sell!.quantity.eq(buy!.quantity) && sell!.price.eq(buy!.price)).toBe(true);
  });

  it('an account may trade with itself', async () => {
    const { submit, filled } = await openExchange({ referenceLiquidity: '0' });
    await submit({ clientOrderId: 'a-sell', side: 'sell', limitPrice: '100.5' });
    await submit({ clientOrderId: 'a-buy', side: 'buy', limitPrice: '100.5' });
    expect([await filled('a-sell'), await filled('a-buy')]).toEqual(['10', '10']);
  });
});

describe('the outside market quotes a spread around the reference price', () => {
  it('lets two accounts trade with each other inside the spread, and takers pay the ask or receive the bid', async () => {
    const sim = new SimulatedExchange({ startPrices: { AAPL: '150' }, halfSpreadTicks: 5 });
    await sim.start();
    const base = { symbol: 'AAPL', timeInForce: 'gtc', stopPrice: null } as const;
    const bid = await sim.submit({ ...base, clientOrderId: 'alice-bid', account: 'alice', side: 'buy', type: 'limit', quantity: new D(10), limitPrice: new D('150.00') });
    expect(bid.outcome).toBe('accepted');
    expect((await sim.lookup('alice-bid'))!.filledQuantity.toFixed()).toBe('0');
    await sim.submit({ ...base, clientOrderId: 'bob-ask', account: 'bob', side: 'sell', type: 'limit', quantity: new D(10), limitPrice: new D('150.00') });
    const alice = (await sim.lookup('alice-bid'))!;
    const bob = (await sim.lookup('bob-ask'))!;
    expect(alice.status).toBe('filled');
    expect(bob.status).toBe('filled');
    expect(alice.fills.map((f) => f.price.toFixed())).toEqual(['150']);
    expect(bob.fills[0]!.venueFillId).not.toBe(alice.fills[0]!.venueFillId);

    await sim.submit({ ...base, clientOrderId: 'taker-buy', account: 'carol', side: 'buy', type: 'market', quantity: new D(1), limitPrice: null });
    await sim.submit({ ...base, clientOrderId: 'taker-sell', account: 'carol', side: 'sell', type: 'market', quantity: new D(1), limitPrice: null });
    expect((await sim.lookup('taker-buy'))!.fills[0]!.price.toFixed()).toBe('150.05');
    expect((await sim.lookup('taker-sell'))!.fills[0]!.price.toFixed()).toBe('149.95');
    await sim.close();
  });
});
