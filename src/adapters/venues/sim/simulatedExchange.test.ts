/**
 * The simulated exchange as a Venue: answers, reports, ids, latency, journal and lifecycle.
 * Matching itself is covered in matchingEngine.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { D } from '../../../domain/money.ts';
import type { ExecutionReport } from '../../../ports/venue.ts';
import { ManualTime } from './manualTime.ts';
import { counter, openExchange, request, summary } from './simFixtures.ts';
import { SimulatedExchange } from './simulatedExchange.ts';

describe('submit', () => {
  it('accepts a valid order with a venue order id, acked before its fills', async () => {
    const { submit, reports } = await openExchange();
    expect(await submit({ clientOrderId: 'o1' })).toEqual({ outcome: 'accepted', venueOrderId: 'SIM-test-1' });
    expect(reports).toMatchObject([
      { kind: 'ack', clientOrderId: 'o1', venueOrderId: 'SIM-test-1' },
      { kind: 'fill', clientOrderId: 'o1', venueOrderId: 'SIM-test-1', venueFillId: 'SIM-test-1-1' },
    ]);
  });

  it.each([
    [{ symbol: 'XYZ' }, 'unknown symbol XYZ'],
    [{ quantity: '0' }, 'quantity must be positive, got 0'],
    [{ type: 'market' as const, limitPrice: '100' }, 'a market order takes no limit price'],
    [{ type: 'limit' as const }, 'a limit order needs a limit price'],
    [{ type: 'limit' as const, limitPrice: '100', stopPrice: '99' }, 'a limit order takes no stop price'],
    [{ type: 'stop' as const }, 'a stop order needs a stop price'],
    [{ type: 'stop' as const, stopPrice: '99', limitPrice: '98' }, 'a stop order takes no limit price'],
    [{ type: 'stop_limit' as const, stopPrice: '99' }, 'a stop_limit order needs a limit price'],
    [{ limitPrice: '-1' }, 'limit price must be positive, got -1'],
    [{ limitPrice: '100.005' }, 'limit price 100.005 is not a multiple of the tick size 0.01'],
  ])('rejects %o: %s', async (input, reason) => {
    const { submit, reports, sim } = await openExchange();
    expect(await submit({ clientOrderId: 'bad', ...input })).toEqual({ outcome: 'rejected', reason });
    expect(reports).toEqual([{ kind: 'rejected', clientOrderId: 'bad', venueOrderId: 'SIM-test-1', reason, at: expect.any(Date) }]);
    expect(await sim.lookup('bad')).toMatchObject({ status: 'rejected', reason });
  });

  it('rejects a client order id it has already seen, without touching the first order or the stream', async () => {
    const { submit, reports, sim, filled } = await openExchange();
    await submit({ clientOrderId: 'o1', limitPrice: '99' });
    await submit({ clientOrderId: 'bad', symbol: 'XYZ' });
    const before = reports.length;

    expect(await submit({ clientOrderId: 'o1', quantity: '1' })).toEqual({ outcome: 'rejected', reason: 'duplicate client order id' });
    expect(await submit({ clientOrderId: 'bad' })).toEqual({ outcome: 'rejected', reason: 'duplicate client order id' });

    expect(reports).toHaveLength(before);
    expect(await sim.lookup('o1')).toMatchObject({ status: 'working', quantity: new D(10) });
    expect(await filled('o1')).toBe('0');
  });
});

describe('cancel', () => {
  it('takes a working order off the book', async () => {
    const { submit, cancel, reportsOf, sim } = await openExchange();
    await submit({ clientOrderId: 'o1', limitPrice: '99' });

    expect(await cancel('o1')).toEqual({ outcome: 'requested' });

    expect(summary(reportsOf('o1'))).toEqual(['ack', 'cancelled']);
    expect(sim.bookSnapshot('AAPL')!.bids).toEqual([]);
    expect(await sim.lookup('o1')).toMatchObject({ status: 'cancelled' });
  });

  it('refuses, with a cancel_rejected report, when the order is done', async () => {
    const { submit, cancel, reportsOf } = await openExchange();
    await submit({ clientOrderId: 'o1' });

    const reason = 'too late to cancel: order is filled';
    expect(await cancel('o1')).toEqual({ outcome: 'rejected', reason });
    expect(reportsOf('o1').at(-1)).toMatchObject({ kind: 'cancel_rejected', venueOrderId: 'SIM-test-1', reason });
  });

  it('refuses an order it does not know, without a report', async () => {
    const { cancel, reports } = await openExchange();
    expect(await cancel('nope')).toEqual({ outcome: 'rejected', reason: 'unknown order' });
    expect(reports).toEqual([]);
  });

  it('a second cancel is too late', async () => {
    const { submit, cancel } = await openExchange();
    await submit({ clientOrderId: 'o1', limitPrice: '99' });
    await cancel('o1');
    expect(await cancel('o1')).toEqual({ outcome: 'rejected', reason: 'too late to cancel: order is cancelled' });
  });
});

describe('lookup', () => {
  it("returns the venue's view with every fill, or null for an order it never received", async () => {
    const { submit, sim, time } = await openExchange({ referenceLiquidity: '4', commissionPerShare: '0.01' });
    await submit({ clientOrderId: 'o1', limitPrice: '100', quantity: '10' });
    sim.moveReferencePrice('AAPL', new D('99.5'));
    time.flush();

    const view = await sim.lookup('o1');
    expect(view).toMatchObject({ clientOrderId: 'o1', venueOrderId: 'SIM-test-1', status: 'working', reason: null });
    expect(view!.filledQuantity.toFixed()).toBe('8');
    expect(view!.fills.map((f) => [f.venueFillId, f.quantity.toFixed(), f.price.toFixed(), f.commission.toFixed()])).toEqual([
      ['SIM-test-1-1', '4', '100', '0.04'],
      ['SIM-test-1-2', '4', '100', '0.04'],
    ]);
    expect(await sim.lookup('never')).toBeNull();
  });
});

describe('simulateFills', () => {
  it('forces fills of a working order, reducing its leaves in the book, then completing it', async () => {
    const { submit, sim, time, reportsOf } = await openExchange();
    await submit({ clientOrderId: 'o1', limitPrice: '99', quantity: '10' });

    const first = await sim.simulateFills('o1', [{ price: new D('98.5'), quantity: new D('4') }]);
    expect(first).toMatchObject({ ok: true, reports: [{ kind: 'fill', venueFillId: 'SIM-test-1-1', price: new D('98.5') }] });
    expect(sim.bookSnapshot('AAPL')!.bids).toMatchObject([{ clientOrderId: 'o1', leavesQuantity: '6' }]);

    await sim.simulateFills('o1', [{ price: new D('98'), quantity: new D('2') }, { price: new D('97'), quantity: new D('4') }]);
    time.flush();

    expect(summary(reportsOf('o1'))).toEqual(['ack', 'fill 4@98.5', 'fill 2@98', 'fill 4@97']);
    expect(sim.bookSnapshot('AAPL')!.bids).toEqual([]);
    expect(await sim.lookup('o1')).toMatchObject({ status: 'filled' });
  });

  it('completing a waiting stop or market remainder takes it out of its queue for good', async () => {
    const { submit, sim, time, reportsOf } = await openExchange({ referenceLiquidity: '4' });
    await submit({ clientOrderId: 'stop', side: 'buy', stopPrice: '101', quantity: '5' });
    await submit({ clientOrderId: 'market', side: 'sell', quantity: '6' });

    await sim.simulateFills('stop', [{ price: new D('100'), quantity: new D('5') }]);
    await sim.simulateFills('market', [{ price: new D('100'), quantity: new D('2') }]);
    sim.moveReferencePrice('AAPL', new D('102'));
    time.flush();

    expect(summary(reportsOf('stop'))).toEqual(['ack', 'fill 5@100']);
    expect(summary(reportsOf('market'))).toEqual(['ack', 'fill 4@100', 'fill 2@100']);
    expect(sim.bookSnapshot('AAPL')!.stops).toEqual([]);
    expect(await sim.lookup('stop')).toMatchObject({ status: 'filled' });
    expect(await sim.lookup('market')).toMatchObject({ status: 'filled' });
  });

  it('refuses an overfill as a value, with the numbers, and applies nothing', async () => {
    const { submit, sim } = await openExchange();
    await submit({ clientOrderId: 'o1', limitPrice: '99', quantity: '10' });
    const result = await sim.simulateFills('o1', [{ price: new D('99'), quantity: new D('6') }, { price: new D('99'), quantity: new D('5') }]);
    expect(result).toMatchObject({ ok: false, error: { code: 'overfill', leaves: new D(10), requested: new D(11) } });
    expect((await sim.lookup('o1'))!.fills).toEqual([]);
  });

  it('refuses orders that are not at the venue or not working', async () => {
    const { submit, sim } = await openExchange();
    await submit({ clientOrderId: 'done' });
    const fill = [{ price: new D('99'), quantity: new D('1') }];
    expect(await sim.simulateFills('nope', fill)).toMatchObject({ ok: false, error: { code: 'order_not_at_venue' } });
    expect(await sim.simulateFills('done', fill)).toMatchObject({ ok: false, error: { code: 'order_not_working' } });
  });
});

describe('latency and report order', () => {
  it('delivers ack before fills even when fills travel faster, and answers with the ack', async () => {
    const time = new ManualTime();
    const sim = new SimulatedExchange({ clock: time, schedule: time.schedule, ackLatencyMs: 50, fillLatencyMs: 10, instanceId: 't', orderNumber: counter() });
    const seen: string[] = [];
    sim.onExecutionReport((r) => seen.push(`${time.now().getTime() % 1000}:${r.kind}`));
    await sim.start();
    let answered = false;
    const answer = sim.submit(request({ clientOrderId: 'o1', symbol: 'AAPL' })).then((a) => ((answered = true), a));

    time.advance(49);
    await Promise.resolve();
    expect(seen).toEqual([]);
    expect(answered).toBe(false);
    expect(await sim.lookup('o1')).toMatchObject({ status: 'filled' });

    time.advance(1);
    expect(await answer).toEqual({ outcome: 'accepted', venueOrderId: 'SIM-t-1' });
    expect(seen).toEqual(['50:ack', '50:fill']);
  });

  it('delivers slower fills after their own latency, in production order', async () => {
    const time = new ManualTime();
    const sim = new SimulatedExchange({ clock: time, schedule: time.schedule, ackLatencyMs: 5, fillLatencyMs: 30, referenceLiquidity: '3' });
    const seen: ExecutionReport[] = [];
    sim.onExecutionReport((r) => seen.push(r));
    await sim.start();
    void sim.submit(request({ clientOrderId: 'o1', quantity: '5', timeInForce: 'ioc' }));

    time.advance(5);
    expect(summary(seen)).toEqual(['ack']);
    time.advance(25);
    expect(summary(seen)).toEqual(['ack', `fill 3@${sim.referencePrice('AAPL')!.toFixed()}`, 'cancelled']);
    expect(seen.map((r) => r.at.getTime())).toEqual(Array(3).fill(time.now().getTime() - 30));
  });

  it('answers a cancel after the ack latency', async () => {
    const time = new ManualTime();
    const sim = new SimulatedExchange({ clock: time, schedule: time.schedule, ackLatencyMs: 20 });
    await sim.start();
    void sim.submit(request({ clientOrderId: 'o1', limitPrice: '1' }));
    let answer: unknown = null;
    void sim.cancel('o1').then((a) => (answer = a));
    time.advance(19);
    await Promise.resolve();
    expect(answer).toBeNull();
    time.advance(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(answer).toEqual({ outcome: 'requested' });
  });
});

describe('ids', () => {
  it('differ between instances, so fill ids stay unique across restarts', async () => {
    const time = new ManualTime();
    const first = new SimulatedExchange({ clock: time, schedule: time.schedule });
    const second = new SimulatedExchange({ clock: time, schedule: time.schedule });
    await Promise.all([first.start(), second.start()]);
    const a = first.submit(request({ clientOrderId: 'o1' }));
    const b = second.submit(request({ clientOrderId: 'o1' }));
    time.flush();
    const [x, y] = await Promise.all([a, b]);
    expect(x).toMatchObject({ outcome: 'accepted', venueOrderId: expect.stringMatching(/^SIM-[0-9a-z]+-[0-9a-f]{16}$/) });
    expect(x).not.toEqual(y);
  });

  it('are random within an instance, so a venue order id does not tell a trader how many orders came in between', async () => {
    const time = new ManualTime();
    const sim = new SimulatedExchange({ clock: time, schedule: time.schedule, instanceId: 'x' });
    await sim.start();
    // Past two refills of the pool the numbers are drawn from.
    const answers = Array.from({ length: 1100 }, (_, i) => sim.submit(request({ clientOrderId: `c${i}` })));
    time.flush();
    const ids = (await Promise.all(answers)).map((answer) => (answer.outcome === 'accepted' ? answer.venueOrderId : null));
    for (const id of ids) expect(id).toMatch(/^SIM-x-[0-9a-f]{16}$/);
    expect(new Set(ids).size).toBe(1100);
    const numbers = ids.map((id) => BigInt(`0x${id!.slice(-16)}`));
    expect(numbers.some((n, i) => i > 0 && n < numbers[i - 1]!)).toBe(true);
  });
});

describe('journal', () => {
  it('records every request with its answer, oldest first', async () => {
    const { submit, cancel, sim } = await openExchange();
    await sim.lookup('o1');
    await submit({ clientOrderId: 'o1', limitPrice: '99' });
    await submit({ clientOrderId: 'o1', limitPrice: '99' });
    await sim.lookup('o1');
    await sim.simulateFills('o1', [{ price: new D('99'), quantity: new D('1') }]);
    await cancel('o1');

    expect(sim.journal().map((e) => [e.op, e.clientOrderId, e.result, e.reason])).toEqual([
      ['lookup', 'o1', 'not_found', null],
      ['submit', 'o1', 'accepted', null],
      ['submit', 'o1', 'rejected', 'duplicate client order id'],
      ['lookup', 'o1', 'found', null],
      ['simulate_fill', 'o1', 'applied', null],
      ['cancel', 'o1', 'requested', null],
    ]);
    expect(sim.journal()[0]!.at).toEqual(new Date('2026-01-05T14:30:00.000Z'));
  });

  it('keeps only the newest entries', async () => {
    const { sim } = await openExchange({ journalCapacity: 3 });
    for (const id of ['a', 'b', 'c', 'd', 'e']) await sim.lookup(id);
    expect(sim.journal().map((e) => e.clientOrderId)).toEqual(['c', 'd', 'e']);
    // Past the point where older entries are dropped from memory.
    for (const id of ['f', 'g', 'h']) await sim.lookup(id);
    expect(sim.journal().map((e) => e.clientOrderId)).toEqual(['f', 'g', 'h']);
  });
});

describe('lifecycle', () => {
  it('is healthy only while started, and refuses requests while not', async () => {
    const time = new ManualTime();
    const sim = new SimulatedExchange({ clock: time, schedule: time.schedule });
    expect(sim.healthy()).toBe(false);
    expect(await sim.submit(request({ clientOrderId: 'o1' }))).toEqual({ outcome: 'rejected', reason: 'venue sim is not connected' });
    await expect(sim.lookup('o1')).rejects.toThrow('venue sim is not connected');

    await sim.start();
    expect(sim.healthy()).toBe(true);
    await sim.close();
    expect(sim.healthy()).toBe(false);
    expect(await sim.cancel('o1')).toEqual({ outcome: 'rejected', reason: 'venue sim is not connected' });
    expect(sim.journal()).toEqual([]);
  });

  it('walks the reference prices on its timer while started, and stops on close', async () => {
    const time = new ManualTime();
    const sim = new SimulatedExchange({ clock: time, schedule: time.schedule, tickIntervalMs: 1_000, volatilityBps: 50 });
    await sim.start();
    const prices = () => sim.symbols().map((s) => sim.referencePrice(s)!.toFixed()).join();
    const initial = prices();

    time.advance(999);
    expect(prices()).toBe(initial);
    time.advance(1);
    const afterOne = prices();
    expect(afterOne).not.toBe(initial);

    await sim.close();
    time.advance(10_000);
    expect(prices()).toBe(afterOne);
    expect(time.pendingTasks()).toBe(0);
  });

  it('stops delivering to a listener that unsubscribed, and keeps delivering past a throwing one', async () => {
    const { sim, submit } = await openExchange();
    const kept: string[] = [];
    const dropped: string[] = [];
    sim.onExecutionReport(() => {
      throw new Error('listener bug');
    });
    const unsubscribe = sim.onExecutionReport((r) => dropped.push(r.kind));
    sim.onExecutionReport((r) => kept.push(r.kind));
    unsubscribe();

    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.prependListener('uncaughtException', onUncaught);
    try {
      await submit({ clientOrderId: 'o1' });
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.removeListener('uncaughtException', onUncaught);
    }

    expect(kept).toEqual(['ack', 'fill']);
    expect(dropped).toEqual([]);
    expect(uncaught).toHaveLength(2);
  });
});

describe('listing for reconciliation', () => {
  it('lists working orders, and fills after a cursor; a cursor of another exchange instance starts from the first fill', async () => {
    const { submit, sim } = await openExchange();
    await submit({ clientOrderId: 'resting', limitPrice: '99' });
    await submit({ clientOrderId: 'filled' });
    expect((await sim.openOrders()).map((v) => v.clientOrderId)).toEqual(['resting']);
    const first = await sim.fillsSince(null, 10);
    expect(first.fills.map((f) => f.clientOrderId)).toEqual(['filled']);
    await sim.simulateFills('resting', [{ quantity: new D(2), price: new D(99) }]);
    const next = await sim.fillsSince(first.cursor, 10);
    expect(next.fills.map((f) => [f.clientOrderId, f.fill.quantity.toFixed()])).toEqual([['resting', '2']]);
    expect((await sim.fillsSince(next.cursor, 10)).fills).toEqual([]);
    expect((await sim.fillsSince('SIM-another@5', 10)).fills).toHaveLength(2);
  });
});
