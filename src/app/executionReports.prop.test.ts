/**
 * R7 as a property (1,000 runs): an order at the simulated exchange fills in random pieces and
 * the trader may cancel it part-way; the exchange's reports reach the gateway replayed 1–3
 * times each and in any order (fills after the cancel, the ack last, …), then its answers to
 * what the gateway sent meanwhile. Through the real
 * report processor and store, the order must never show more filled than its quantity, and at
 * the end its filled quantity, fills, status and the trader's position must equal the venue's.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asTraderId } from '../domain/ids.ts';
import { D, type Dec } from '../domain/money.ts';
import type { ExecutionReport } from '../ports/venue.ts';
import { cancelOrder } from './cancelOrder.ts';
import type { Dispatcher } from './dispatch.ts';
import { venueRequest } from './execution/intents.ts';
import { submitOrder } from './submitOrder.ts';
import { HELD_DISPATCH, limitOrder, testApp, type TestApp } from './testContext.ts';

let app: TestApp;
let captured: ExecutionReport[] = [];
beforeAll(async () => {
  app = await testApp();
  // The test plays the network: the exchange's reports are held, then delivered as drawn.
  app.sim.onExecutionReport((report) => captured.push(report));
});
afterAll(async () => {
  await app.close();
});

const held = HELD_DISPATCH;
const venueStatus = (status: string, filled: Dec) => (status === 'working' ? (filled.isZero() ? 'acked' : 'partially_filled') : status);

const scenario = fc.record({
  quantity: fc.integer({ min: 1, max: 50 }),
  /** Fill sizes as shares of what is left, in percent. */
  pieces: fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 0, maxLength: 5 }),
  /** Cancel after this many fills; past the end: no cancel. */
  cancelAfter: fc.integer({ min: 0, max: 7 }),
  copies: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 12, maxLength: 12 }),
  order: fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
});

describe('R7: fills replayed, reordered, after a cancel (property)', () => {
  it('ends exactly as the venue has it, never above the order quantity', async () => {
    let run = 0;
    await fc.assert(fc.asyncProperty(scenario, async (s) => {
      run += 1;
      const trader = `r7-${run}`;
      captured = [];
      const placed = await submitOrder(app.ctx, held, limitOrder(trader, { quantity: new D(s.quantity), limitPrice: new D(100) }), null);
      if (!placed.ok) throw new Error(placed.error.code);
      const order = placed.value;
      await app.sim.submit(venueRequest(order));

      let left = new D(s.quantity);
      for (const [index, percent] of s.pieces.entries()) {
        if (index === s.cancelAfter) await cancelOrder(app.ctx, app.dispatcher, trader, order.id, null);
        const size = D.max(1, left.times(percent).div(100).floor());
        if (left.isZero() || size.gt(left)) break;
        const done = await app.sim.simulateFills(order.id, [{ quantity: size, price: new D(100 - index) }]);
        if (!done.ok) break;
        left = left.minus(size);
      }
      if (s.cancelAfter >= s.pieces.length && s.cancelAfter < 6) await cancelOrder(app.ctx, app.dispatcher, trader, order.id, null);
      await new Promise((resolve) => setImmediate(resolve));

      const beforeAnswers = captured.length;
      const deliveries = captured.slice(0, beforeAnswers).flatMap((report, i) => Array.from({ length: s.copies[i % s.copies.length]! }, () => report));
      const keyed = deliveries.map((report, i) => ({ report, key: s.order[i % s.order.length]! * 1_000 + i }));
      keyed.sort((a, b) => a.key - b.key);
      for (const { report } of keyed) {
        await app.reports.process('sim', report);
        const now = (await app.store.findOrder(order.id))!;
        expect(now.filledQuantity.lte(now.quantity)).toBe(true);
      }
      // The venue's answers to what the gateway sent meanwhile: a cancel withdrawn before the ack
      // is sent when the ack shows the venue holds the order.
      await new Promise((resolve) => setImmediate(resolve));
      for (let i = beforeAnswers; i < captured.length; i++) await app.reports.process('sim', captured[i]!);

      const venue = (await app.sim.lookup(order.id))!;
      const stored = (await app.store.findOrder(order.id))!;
      const fills = await app.store.listFills(order.id);
      expect(stored.filledQuantity.toFixed()).toBe(venue.filledQuantity.toFixed());
      expect(fills.map((f) => f.venueFillId).sort()).toEqual(venue.fills.map((f) => f.venueFillId).sort());
      expect(stored.status).toBe(venueStatus(venue.status, venue.filledQuantity));
      const position = (await app.store.listTraderOrders(asTraderId(trader), { limit: 10, offset: 0 })).orders
        .reduce((sum, o) => sum.plus(o.filledQuantity), new D(0));
      expect(position.toFixed()).toBe(venue.fills.reduce((sum, f) => sum.plus(f.quantity), new D(0)).toFixed());
    }), { numRuns: 1_000 });
  }, 120_000);
});
