/**
 * Given an order at the venue, when reports arrive repeated, out of order or racing a cancel,
 * then the order ends exactly as the venue has it (RELIABILITY R7 at the use-case level).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { D } from '../domain/money.ts';
import type { Order } from '../domain/order/order.ts';
import { StoreUnavailable } from '../ports/store.ts';
import type { ExecutionReport } from '../ports/venue.ts';
import { submitOrder } from './submitOrder.ts';
import { HELD_DISPATCH, limitOrder, testApp, type TestApp } from './testContext.ts';

let app: TestApp;
beforeEach(async () => {
  app = await testApp();
});
afterEach(async () => {
  await app.close();
});

/** Commits an order without sending it, so the test plays the venue's part by hand. */
async function committed(quantity = 100): Promise<Order> {
  const holdingDispatcher = HELD_DISPATCH;
  const result = await submitOrder(app.ctx, holdingDispatcher, limitOrder('trader-r7', { quantity: new D(quantity) }), null);
  if (!result.ok) throw new Error(result.error.code);
  return result.value;
}

const at = new Date('2026-11-21T12:00:00.000Z');
const ack = (o: Order): ExecutionReport => ({ kind: 'ack', clientOrderId: o.id, venueOrderId: 'V-1', at });
const fill = (o: Order, id: string, quantity: string, price = '100'): ExecutionReport => ({
  kind: 'fill', clientOrderId: o.id, venueOrderId: 'V-1', venueFillId: id, quantity: new D(quantity), price: new D(price), commission: new D(0), at,
});
const reread = async (o: Order) => (await app.store.findOrder(o.id))!;

describe('execution reports from a venue stream', () => {
  it('given the store cannot take a fill for a moment, then the fill is applied again shortly, not left to reconciliation', async () => {
    const order = await committed();
    await app.reports.process('sim', ack(order));
    const committer = app.ctx.committer;
    const commit = committer.commit.bind(committer);
    let refused = 0;
    committer.commit = async (change) => {
      if (refused < 2 && change.newFills.length > 0) {
        refused += 1;
        throw new StoreUnavailable('the database is away for a moment');
      }
      return commit(change);
    };
    let deliver: (report: ExecutionReport) => void = () => {};
    const stop = app.reports.listen('sim', (listener) => {
      deliver = listener;
      return () => {};
    });
    deliver(fill(order, 'F1', '40'));

    await expect.poll(async () => (await reread(order)).filledQuantity.toFixed(), { timeout: 5_000 }).toBe('40');
    expect(refused).toBe(2);
    stop();
  });
});

describe('execution reports', () => {
  it('applies a fill that arrives before the ack; the late ack then adds nothing new', async () => {
    const order = await committed();
    expect(await app.reports.process('sim', fill(order, 'F1', '40'))).toBe('applied');
    expect(await app.reports.process('sim', ack(order))).toBe('duplicate');
    const after = await reread(order);
    expect(after.status).toBe('partially_filled');
    expect(after.venueOrderId).toBe('V-1');
    expect(after.filledQuantity.toFixed()).toBe('40');
  });

  it('deduplicates a fill replayed by the venue, by venue fill id', async () => {
    const order = await committed();
    await app.reports.process('sim', ack(order));
    expect(await app.reports.process('sim', fill(order, 'F1', '40'))).toBe('applied');
    expect(await app.reports.process('sim', fill(order, 'F1', '40'))).toBe('duplicate');
    expect(await app.reports.process('sim', ack(order))).toBe('duplicate');
    expect((await reread(order)).filledQuantity.toFixed()).toBe('40');
    expect(await app.store.listFills(order.id)).toHaveLength(1);
  });

  it('processes concurrent reports for one order one at a time, losing none', async () => {
    const order = await committed();
    await app.reports.process('sim', ack(order));
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => app.reports.process('sim', fill(order, `F${i}`, '10'))));
    expect(outcomes.every((o) => o === 'applied')).toBe(true);
    const after = await reread(order);
    expect(after.status).toBe('filled');
    expect(after.filledQuantity.toFixed()).toBe('100');
    expect(after.version).toBe(1 + 1 + 10);
  });

  it('refuses an overfill, reports it as an anomaly and records nothing of it', async () => {
    const order = await committed();
    await app.reports.process('sim', ack(order));
    await app.reports.process('sim', fill(order, 'F1', '90'));
    expect(await app.reports.process('sim', fill(order, 'F2', '20'))).toBe('refused');
    expect(app.anomalies).toContain('overfill_refused');
    expect((await reread(order)).filledQuantity.toFixed()).toBe('90');
    expect(await app.store.listFills(order.id)).toHaveLength(1);
  });

  it('counts a fill that arrives after the cancel was confirmed', async () => {
    const order = await committed();
    await app.reports.process('sim', ack(order));
    await app.reports.process('sim', { kind: 'cancelled', clientOrderId: order.id, venueOrderId: 'V-1', reason: 'requested', at });
    expect(await app.reports.process('sim', fill(order, 'F1', '30'))).toBe('applied');
    const after = await reread(order);
    expect(after.status).toBe('cancelled');
    expect(after.filledQuantity.toFixed()).toBe('30');
  });

  it('ignores a report for an order this gateway never sent', async () => {
    const stray: ExecutionReport = { kind: 'ack', clientOrderId: 'not-ours', venueOrderId: 'V-9', at };
    expect(await app.reports.process('sim', stray)).toBe('ignored');
    const unknown: ExecutionReport = { kind: 'ack', clientOrderId: '0190b0c0-0000-7000-8000-000000000000', venueOrderId: 'V-9', at };
    expect(await app.reports.process('sim', unknown)).toBe('ignored');
    expect(app.anomalies).toContain('report_for_unknown_order');
  });

  it('publishes each applied event once, with the trader’s seq gap-free', async () => {
    const order = await committed();
    await app.reports.process('sim', ack(order));
    await app.reports.process('sim', fill(order, 'F1', '40'));
    await app.reports.process('sim', fill(order, 'F1', '40'));
    await app.reports.process('sim', fill(order, 'F2', '60'));
    const mine = app.published.filter((e) => e.traderId === 'trader-r7');
    expect(mine.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(mine.map((e) => JSON.parse(e.payload).event)).toEqual(['order.submitted', 'order.acked', 'order.partial', 'order.filled']);
  });
});
