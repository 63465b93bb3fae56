/**
 * The contract cases for the reads reconciliation relies on (Venue.openOrders and fillsSince):
 * the venue's open orders are exactly the ones it works, each with its executions so far under
 * the ids the stream used; its fills after a cursor come oldest first, each once, and a cursor
 * past the last one stays where it is until a new fill arrives.
 * Venues without these reads report the cases as skipped.
 */
import { describe, expect, it } from 'vitest';
import type { ContractContext } from '../contract.ts';
import { eventually, newClientOrderId, type Capabilities } from './harness.ts';

export function describeReconciliationCases(context: ContractContext, capabilities: Capabilities): void {
  describe('reconciliation reads', () => {
    it.skipIf(!capabilities.reconciliation === true)('given working, filled and cancelled orders, then openOrders lists exactly the working ones, with their fills so far', async () => {
      const { harness, log } = context;
      const venue = harness.venue;
      expect(await venue.openOrders!()).toEqual([]);
      const [working, filled, cancelled] = [newClientOrderId(), newClientOrderId(), newClientOrderId()];
      for (const id of [working, filled, cancelled]) expect(await venue.submit(harness.restingOrder(id, '10'))).toMatchObject({ outcome: 'accepted' });
      await eventually(() => expect([working, filled, cancelled].map((id) => log.kindsOf(id))).toEqual([['ack'], ['ack'], ['ack']]));
      await harness.fill(working, '4', harness.restingPrice);
      await harness.fill(filled, '10', harness.restingPrice);
      expect(await venue.cancel(cancelled)).toEqual({ outcome: 'requested' });
      await eventually(() => expect([working, filled, cancelled].map((id) => log.kindsOf(id).at(-1))).toEqual(['fill', 'fill', 'cancelled']));

      const open = await venue.openOrders!();
      expect(open.map((view) => view.clientOrderId)).toEqual([working]);
      expect(open[0]).toMatchObject({ status: 'working', reason: null });
      expect(open[0]!.quantity.eq(10) && open[0]!.filledQuantity.eq(4)).toBe(true);
      expect(open[0]!.fills.map((fill) => fill.venueFillId)).toEqual(log.fillsOf(working).map((fill) => fill.venueFillId));
    });

    it.skipIf(!capabilities.reconciliation === true)('given fills, when listed from the start in small pages, then each is listed once, oldest first, under the stream\'s ids; a cursor past the last stays put', async () => {
      const { harness, log } = context;
      const venue = harness.venue;
      const [first, second] = [newClientOrderId(), newClientOrderId()];
      for (const id of [first, second]) expect(await venue.submit(harness.restingOrder(id, '10'))).toMatchObject({ outcome: 'accepted' });
      await eventually(() => expect([first, second].map((id) => log.kindsOf(id))).toEqual([['ack'], ['ack']]));
      for (const [id, quantity] of [[first, '4'], [second, '3'], [first, '6']] as const) {
        const before = log.fillsOf(id).length;
        await harness.fill(id, quantity, harness.restingPrice);
        // One at a time, so the stream's order is the venue's order.
        await eventually(() => expect(log.fillsOf(id)).toHaveLength(before + 1));
      }
      const streamed = log.all.filter((report) => report.kind === 'fill').map((report) => report.kind === 'fill' && report.venueFillId);

      const listed: { clientOrderId: string; venueFillId: string }[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 10; pages++) {
        const page = await venue.fillsSince!(cursor, 2);
        listed.push(...page.fills.map((record) => ({ clientOrderId: record.clientOrderId, venueFillId: record.fill.venueFillId })));
        cursor = page.cursor;
        if (page.fills.length < 2) break;
      }
      expect(listed.map((record) => record.venueFillId)).toEqual(streamed);
      expect(listed.map((record) => record.clientOrderId)).toEqual([first, second, first]);
      expect(log.fillsOf(first).map((fill) => fill.quantity.toFixed())).toEqual(['4', '6']);

      const past = await venue.fillsSince!(cursor, 2);
      expect(past).toEqual({ fills: [], cursor });
      await harness.fill(second, '7', harness.restingPrice);
      await eventually(() => expect(log.fillsOf(second)).toHaveLength(2));
      const next = await venue.fillsSince!(cursor, 2);
      expect(next.fills.map((record) => record.fill.venueFillId)).toEqual([log.fillsOf(second)[1]!.venueFillId]);
      expect(next.fills[0]!.fill.quantity.eq(7)).toBe(true);
    });
  });
}
