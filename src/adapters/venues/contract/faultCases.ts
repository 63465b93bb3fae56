/**
 * The contract cases that need a misbehaving network or venue: answers lost after the venue
 * acted, 5xx, 429, no answer at all, and a broken report stream. They hold a connector to
 * R2: a submit whose fate it cannot know is `unknown`, never `rejected`, and a lookup by the
 * same client order id then tells the truth; a stream that breaks loses no report.
 * Venues without fault injection report these cases as skipped, not passed.
 */
import { describe, expect, it } from 'vitest';
import type { ContractContext } from '../contract.ts';
import { eventually, newClientOrderId, streamBarrier, type Capabilities, type VenueFaults } from './harness.ts';

export function describeFaultCases(context: ContractContext, capabilities: Capabilities): void {
  const faults = (): VenueFaults => {
    const injected = context.harness.faults;
    if (!injected) throw new Error('this venue declared fault injection but gives no faults');
    return injected;
  };

  describe('faults', () => {
    it.skipIf(!capabilities.faults)('given a submit the venue accepts but whose answer is lost, then the outcome is unknown and a lookup finds the order', async () => {
      const { harness } = context;
      const id = newClientOrderId();
      faults().dropNextSubmitAnswer();
      expect(await harness.venue.submit(harness.restingOrder(id, '10'))).toMatchObject({ outcome: 'unknown', reason: expect.any(String) });
      expect(await harness.venue.lookup(id)).toMatchObject({ clientOrderId: id, status: 'working', venueOrderId: expect.any(String) });
      expect(await harness.ordersAtVenue(id)).toBe(1);
    });

    it.skipIf(!capabilities.faults)('given a lost answer, when the same client order id is sent again, then the venue still holds one order', async () => {
      const { harness } = context;
      const id = newClientOrderId();
      faults().dropNextSubmitAnswer();
      await harness.venue.submit(harness.restingOrder(id, '10'));
      expect(await harness.venue.submit(harness.restingOrder(id, '10'))).not.toMatchObject({ outcome: 'rejected' });
      expect(await harness.ordersAtVenue(id)).toBe(1);
    });

    it.skipIf(!capabilities.faults)('given a 5xx answer, then the outcome is unknown (never rejected)', async () => {
      const { harness } = context;
      for (const status of [500, 502, 503]) {
        const id = newClientOrderId();
        faults().failNextSubmit(status);
        expect(await harness.venue.submit(harness.restingOrder(id, '10'))).toMatchObject({ outcome: 'unknown' });
        expect(await harness.venue.lookup(id)).toBeNull();
      }
    });

    it.skipIf(!capabilities.faults)('given a 429 with Retry-After, then the outcome is unknown and carries when to come back', async () => {
      const { harness } = context;
      faults().rateLimitNextSubmit(7);
      expect(await harness.venue.submit(harness.restingOrder(newClientOrderId(), '10'))).toMatchObject({
        outcome: 'unknown', retryAfterMs: 7_000, reason: expect.stringMatching(/429/),
      });
    });

    it.skipIf(!capabilities.faults)('given no answer before the deadline, then the outcome is unknown', async () => {
      const { harness } = context;
      faults().hangNextSubmit();
      const outcome = harness.venue.submit(harness.restingOrder(newClientOrderId(), '10'));
      await eventually(() => expect(faults().heldRequests()).toBe(1));
      faults().elapseRequestDeadline();
      expect(await outcome).toMatchObject({ outcome: 'unknown', reason: expect.stringMatching(/no answer/) });
    });

    it.skipIf(!capabilities.streamInterruption)('given the stream breaks while the order fills, when it reconnects, then the missed fill is fetched and reported once', async () => {
      const { harness, log } = context;
      const id = newClientOrderId();
      await harness.venue.submit(harness.restingOrder(id, '10'));
      await eventually(() => expect(log.kindsOf(id)).toEqual(['ack']));
      let restored = 0;
      const unsubscribe = harness.venue.onStreamRestored?.(() => restored++);

      await faults().interruptStream(async () => {
        await harness.fill(id, '4', harness.restingPrice);
        await harness.fill(id, '6', harness.restingPrice);
      });

      await eventually(() => expect(log.fillsOf(id)).toHaveLength(2));
      await streamBarrier(harness, log);
      expect(log.kindsOf(id)).toEqual(['ack', 'fill', 'fill']);
      const view = await harness.venue.lookup(id);
      expect(log.fillsOf(id).map((fill) => fill.venueFillId)).toEqual(view!.fills.map((fill) => fill.venueFillId));
      expect(harness.venue.healthy()).toBe(true);
      // The port's optional hook: a venue that offers it says once that its stream is back.
      if (unsubscribe) expect(restored).toBe(1);
      unsubscribe?.();
    });

    it.skipIf(!capabilities.streamInterruption)('given the stream breaks while a cancel goes through, when it reconnects, then the cancel is reported', async () => {
      const { harness, log } = context;
      const id = newClientOrderId();
      await harness.venue.submit(harness.restingOrder(id, '10'));
      await eventually(() => expect(log.kindsOf(id)).toEqual(['ack']));

      await faults().interruptStream(async () => {
        expect(await harness.venue.cancel(id)).toEqual({ outcome: 'requested' });
      });

      await eventually(() => expect(log.kindsOf(id)).toEqual(['ack', 'cancelled']));
    });
  });
}
