/**
 * The connector contract: one suite every venue (simulated exchange, brokers, FIX) passes, so
 * the gateway can rely on the same behaviour behind the Venue port whichever venue it routes to.
 * What it holds a venue to: a submit ends accepted, rejected (definitive, with the venue's
 * reason) or unknown, and unknown is never a failure in disguise; one client order id is one
 * order at the venue, however often it is sent; reports reach the stream once, fills with
 * distinct venue fill ids matching the venue's own view; a broken stream loses nothing.
 * Fault cases run only where the venue can inject faults, and the reconciliation reads where the
 * venue has them (see Capabilities).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { D } from '../../domain/money.ts';
import { describeFaultCases } from './contract/faultCases.ts';
import { describeReconciliationCases } from './contract/reconciliationCases.ts';
import {
  eventually, newClientOrderId, ReportLog, streamBarrier, type Capabilities, type VenueUnderTest,
} from './contract/harness.ts';

export type { Capabilities, VenueFaults, VenueUnderTest } from './contract/harness.ts';

export interface ContractContext {
  harness: VenueUnderTest;
  log: ReportLog;
}

export function describeVenueContract(name: string, makeVenue: () => Promise<VenueUnderTest>, capabilities: Capabilities): void {
  describe(`venue contract: ${name}`, () => {
    const context = {} as ContractContext;

    beforeEach(async () => {
      context.harness = await makeVenue();
      context.log = new ReportLog(context.harness.venue);
    });

    afterEach(async () => {
      context.log.detach();
      await context.harness.close();
    });

    it('given a valid order, when submitted, then it is accepted and acked on the stream with the same venue order id', async () => {
      const { harness, log } = context;
      const id = newClientOrderId();
      const outcome = await harness.venue.submit(harness.restingOrder(id, '10'));
      expect(outcome).toMatchObject({ outcome: 'accepted', venueOrderId: expect.any(String) });
      const venueOrderId = outcome.outcome === 'accepted' ? outcome.venueOrderId : '';
      await eventually(() => expect(log.of(id)).toEqual([expect.objectContaining({ kind: 'ack', clientOrderId: id, venueOrderId })]));
      expect(harness.venue.healthy()).toBe(true);
    });

    it('given an accepted order, when looked up by client order id, then the venue view describes it; an unknown id is null', async () => {
      const { harness } = context;
      const id = newClientOrderId();
      const outcome = await harness.venue.submit(harness.restingOrder(id, '10'));
      if (outcome.outcome !== 'accepted') throw new Error(`expected the order to be accepted, got ${JSON.stringify(outcome)}`);
      const view = await harness.venue.lookup(id);
      expect(view).toMatchObject({ clientOrderId: id, venueOrderId: outcome.venueOrderId, status: 'working', fills: [], reason: null });
      expect(view!.quantity.eq(10) && view!.filledQuantity.isZero()).toBe(true);
      expect(await harness.venue.lookup(newClientOrderId())).toBeNull();
    });

    it('given an accepted order, when the same client order id is submitted again, then the venue still holds one order, untouched', async () => {
      const { harness } = context;
      const id = newClientOrderId();
      const first = await harness.venue.submit(harness.restingOrder(id, '10'));
      const again = await harness.venue.submit(harness.restingOrder(id, '3'));
      expect(first).toMatchObject({ outcome: 'accepted' });
      // Refused, or in doubt (to be looked up), or the very same order: never a second one.
      if (again.outcome === 'accepted' && first.outcome === 'accepted') expect(again.venueOrderId).toBe(first.venueOrderId);
      expect(await harness.ordersAtVenue(id)).toBe(1);
      const view = await harness.venue.lookup(id);
      expect(view!.status).toBe('working');
      expect(view!.quantity.eq(10)).toBe(true);
    });

    it('given two submits of one client order id at once, then at most one is accepted and the venue holds one order', async () => {
      const { harness } = context;
      const id = newClientOrderId();
      const outcomes = await Promise.all([harness.venue.submit(harness.restingOrder(id, '10')), harness.venue.submit(harness.restingOrder(id, '10'))]);
      expect(outcomes.filter((o) => o.outcome === 'accepted').length).toBeLessThanOrEqual(1);
      expect(await harness.ordersAtVenue(id)).toBe(1);
    });

    it('given a working order, when cancelled, then the cancel is requested, reported on the stream and seen by lookup', async () => {
      const { harness, log } = context;
      const id = newClientOrderId();
      await harness.venue.submit(harness.restingOrder(id, '10'));
      expect(await harness.venue.cancel(id)).toEqual({ outcome: 'requested' });
      await eventually(() => expect(log.kindsOf(id)).toEqual(['ack', 'cancelled']));
      expect(await harness.venue.lookup(id)).toMatchObject({ status: 'cancelled' });
    });

    it('given an order the venue does not hold, when cancelled, then the cancel is rejected', async () => {
      expect(await context.harness.venue.cancel(newClientOrderId())).toMatchObject({ outcome: 'rejected', reason: expect.any(String) });
    });

    it('given a working order, when it fills in two executions, then each is reported once with a distinct venue fill id that lookup shows too', async () => {
      const { harness, log } = context;
      const id = newClientOrderId();
      await harness.venue.submit(harness.restingOrder(id, '10'));
      await eventually(() => expect(log.kindsOf(id)).toEqual(['ack']));
      await harness.fill(id, '4', harness.restingPrice);
      await harness.fill(id, '6', harness.restingPrice);
      await eventually(() => expect(log.fillsOf(id)).toHaveLength(2));
      await streamBarrier(harness, log);

      const fills = log.fillsOf(id);
      expect(log.kindsOf(id)).toEqual(['ack', 'fill', 'fill']);
      expect(fills.map((fill) => fill.quantity.toFixed())).toEqual(['4', '6']);
      expect(fills.every((fill) => fill.price.eq(harness.restingPrice))).toBe(true);
      expect(new Set(fills.map((fill) => fill.venueFillId)).size).toBe(2);
      const view = await harness.venue.lookup(id);
      expect(view).toMatchObject({ status: 'filled', filledQuantity: new D(10) });
      expect(view!.fills.map((fill) => fill.venueFillId)).toEqual(fills.map((fill) => fill.venueFillId));
    });

    it('given a request the venue refuses by its documented rules, then the outcome is rejected with the venue reason and nothing is held', async () => {
      const { harness } = context;
      const id = newClientOrderId();
      const outcome = await harness.venue.submit(harness.fatal.request(id));
      expect(outcome).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(harness.fatal.reason) });
      expect(await harness.ordersAtVenue(id)).toBe(0);
    });

    describeFaultCases(context, capabilities);
    describeReconciliationCases(context, capabilities);
  });
}
