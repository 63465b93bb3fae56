/**
 * The `fix` venue against the real QuickFIX executor (Debian's libquickfix-doc example, built by
 * scripts/build-quickfix-executor.sh): logon, a limit order filled, a lookup, refusals, and
 * reconnects that lose nothing in either direction, through a relay that fails on demand.
 * The executor fills every limit order at once (no New report), refuses other order types with
 * a session Reject, and answers OrderCancelRequest and OrderStatusRequest with a
 * BusinessMessageReject: those answers are what is asserted. Without the executor this suite
 * is skipped with a warning; with CI=true it fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, onTestFailed, vi } from 'vitest';
import { D } from '../../../domain/money.ts';
import type { ExecutionReport, VenueOrderRequest } from '../../../ports/venue.ts';
import { FaultyLink } from './faultyLink.ts';
import { FixVenue } from './fixVenue.ts';
import { EXECUTOR_COMP_ID, findExecutor, GATEWAY_COMP_ID, QuickfixExecutor } from './quickfixExecutor.ts';

const executable = findExecutor();

const limitOrder = (clientOrderId: string, quantity = '100', price = '150.25'): VenueOrderRequest => ({
  clientOrderId, account: 'alice', symbol: 'AAPL', side: 'buy', type: 'limit', timeInForce: 'day',
  quantity: new D(quantity), limitPrice: new D(price), stopPrice: null,
});

/** Real sockets deliver in real time: wait for a condition, bounded, never a fixed sleep. */
const eventually = (assertion: () => void | Promise<void>) => vi.waitFor(assertion, { timeout: 8_000, interval: 10 });

if (executable) {
  describe('fix venue against the QuickFIX executor', () => {
    let executor: QuickfixExecutor;
    let link: FaultyLink;
    let storeFolder: string;
    let venue: FixVenue;
    let reports: ExecutionReport[];
    const of = (clientOrderId: string) => reports.filter((report) => report.clientOrderId === clientOrderId);

    const connect = async () => {
      venue = new FixVenue({
        host: '127.0.0.1', port: link.port, senderCompId: GATEWAY_COMP_ID, targetCompId: EXECUTOR_COMP_ID,
        store: storeFolder, requestTimeoutMs: 8_000, startWaitMs: 8_000, reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
      });
      venue.onExecutionReport((report) => reports.push(report));
      await venue.start();
      expect(venue.healthy()).toBe(true);
    };

    beforeAll(async () => {
      executor = await QuickfixExecutor.start(executable);
      link = await FaultyLink.open(executor.port);
      storeFolder = mkdtempSync(join(tmpdir(), 'ordergate-fix-store-'));
      reports = [];
      await connect();
    });

    let failed = false;

    beforeEach(() => onTestFailed(() => {
      failed = true;
    }));

    afterEach(() => link.swallow(null));

    afterAll(async () => {
      await venue?.close();
      await link?.close();
      await executor?.stop(failed);
      if (failed) console.warn(`the executor's screen log is in ${executor.folder}/executor.log`);
      rmSync(storeFolder, { recursive: true, force: true });
    });

    it('given a logged-on session, when a limit order is submitted, then it is accepted and its fill reaches the stream', async () => {
      const id = uuidv7();
      const outcome = await venue.submit(limitOrder(id));
      expect(outcome).toEqual({ outcome: 'accepted', venueOrderId: expect.any(String) });
      const venueOrderId = outcome.outcome === 'accepted' ? outcome.venueOrderId : '';
      await eventually(() => expect(of(id)).toHaveLength(1));
      const [fill] = of(id);
      expect(fill).toMatchObject({ kind: 'fill', clientOrderId: id, venueOrderId, venueFillId: expect.stringMatching(new RegExp(`^${id}/`)) });
      expect(fill?.kind === 'fill' && fill.quantity.eq(100) && fill.price.toFixed() === '150.25').toBe(true);
    });

    it('given a filled order, when looked up, then the view is the filled order with its fill (the executor answers no status requests)', async () => {
      const id = uuidv7();
      await venue.submit(limitOrder(id, '7', '99.5'));
      await eventually(() => expect(of(id)).toHaveLength(1));
      const view = await venue.lookup(id);
      expect(view).toMatchObject({ clientOrderId: id, status: 'filled', reason: null });
      expect(view!.quantity.eq(7) && view!.filledQuantity.eq(7)).toBe(true);
      expect(view!.fills.map((fill) => fill.venueFillId)).toEqual(of(id).map((report) => report.kind === 'fill' && report.venueFillId));
      expect(await venue.lookup(uuidv7())).toBeNull();
    });

    it('given a market order, which the executor does not take, then it is rejected with the venue reason, on the stream too', async () => {
      const id = uuidv7();
      const outcome = await venue.submit({ ...limitOrder(id), type: 'market', limitPrice: null });
      expect(outcome).toEqual({ outcome: 'rejected', reason: expect.stringMatching(/incorrect.*tag 40/i) });
      await eventually(() => expect(of(id)).toEqual([expect.objectContaining({ kind: 'rejected', venueOrderId: null })]));
    });

    it('given an order, when cancelled at the executor, which takes no cancels, then the cancel is rejected with its reason', async () => {
      const id = uuidv7();
      await venue.submit(limitOrder(id));
      expect(await venue.cancel(id)).toEqual({ outcome: 'rejected', reason: expect.stringMatching(/Unsupported Message Type/) });
      await eventually(() => expect(of(id).map((report) => report.kind)).toEqual(['fill', 'cancel_rejected']));
      expect(await venue.cancel(uuidv7())).toEqual({ outcome: 'rejected', reason: 'unknown order' });
    });

    it('given the fill is lost on the way back and the connection drops, when the venue reconnects, then the resent fill reaches the stream', async () => {
      const id = uuidv7();
      link.swallow('to_venue');
      const outcome = venue.submit(limitOrder(id));
      await eventually(() => expect(link.swallowed('to_venue')).toBeGreaterThan(0));
      link.cut();
      expect(await outcome).toMatchObject({ outcome: 'unknown', reason: expect.stringMatching(/disconnected/) });
      link.swallow(null);
      await eventually(() => expect(of(id)).toEqual([expect.objectContaining({ kind: 'fill', clientOrderId: id })]));
      expect(venue.healthy()).toBe(true);
      expect(await venue.lookup(id)).toMatchObject({ status: 'filled' });
    });

    it('given an order lost on the way out and the connection drops, when the venue reconnects, then the executor asks for it again and fills it', async () => {
      const id = uuidv7();
      link.swallow('from_venue');
      const outcome = venue.submit(limitOrder(id, '5', '10'));
      await eventually(() => expect(link.swallowed('from_venue')).toBeGreaterThan(0));
      link.cut();
      expect(await outcome).toMatchObject({ outcome: 'unknown' });
      link.swallow(null);
      await eventually(() => expect(of(id)).toEqual([expect.objectContaining({ kind: 'fill', clientOrderId: id })]));
    });

    it('given a restart of the gateway, when it logs on again, then the sequence numbers resume and orders still fill', async () => {
      await venue.close();
      expect(venue.healthy()).toBe(false);
      await connect();
      const id = uuidv7();
      expect(await venue.submit(limitOrder(id))).toMatchObject({ outcome: 'accepted' });
      await eventually(() => expect(of(id)).toHaveLength(1));
    });

    it('given ResetSeqNumFlag on logon and a store that starts at 1, when it logs on, then the executor starts over with it and orders still fill', async () => {
      const known = uuidv7();
      await venue.submit(limitOrder(known));
      // Forty status requests put the executor's expected number far above 1.
      for (let n = 0; n < 40; n++) await venue.lookup(known);
      await venue.close();
      const freshStore = mkdtempSync(join(tmpdir(), 'ordergate-fix-reset-'));
      const resetting = new FixVenue({
        host: '127.0.0.1', port: link.port, senderCompId: GATEWAY_COMP_ID, targetCompId: EXECUTOR_COMP_ID,
        store: freshStore, requestTimeoutMs: 8_000, startWaitMs: 2_000, reconnect: { initialDelayMs: 200, maxDelayMs: 400 }, resetSeqNumOnLogon: true,
      });
      resetting.onExecutionReport((report) => reports.push(report));
      try {
        await resetting.start();
        expect(resetting.healthy()).toBe(true);
        const id = uuidv7();
        expect(await resetting.submit(limitOrder(id, '3', '12.5'))).toMatchObject({ outcome: 'accepted' });
        await eventually(() => expect(of(id)).toEqual([expect.objectContaining({ kind: 'fill', clientOrderId: id })]));
      } finally {
        await resetting.close();
        rmSync(freshStore, { recursive: true, force: true });
      }
    });
  });
} else if (process.env.CI === 'true') {
  describe('fix venue against the QuickFIX executor', () => {
    it('needs the QuickFIX executor in CI', () => {
      throw new Error('the QuickFIX executor is not built; CI must run scripts/build-quickfix-executor.sh before the tests');
    });
  });
} else {
  console.warn(
    '\n⚠️  SKIPPING the FIX venue integration tests: no QuickFIX executor at .cache/quickfix/executor. ' +
      'Run scripts/build-quickfix-executor.sh (or set ORDERGATE_QUICKFIX_EXECUTOR); with CI=true this is a failure.\n',
  );
  // Skipped only on a developer machine where the QuickFIX executor is not built, loudly (above);
  // under CI=true the branch before this one fails instead (.ci/run builds the executor).
  describe.skip('fix venue against the QuickFIX executor (not built, skipped)', () => {
    it('fills an order at the executor', () => {});
  });
}
