/**
 * The Zerodha connector against the in-repository Kite test server: the connector contract,
 * then what is Kite's own: tags instead of client order ids, validation after the place call,
 * the day-long order book, its session token.
 */
import { v7 as uuidv7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import { describeVenueContract } from '../contract.ts';
import { eventually, ReportLog } from '../contract/harness.ts';
import type { ManualTime } from '../sim/manualTime.ts';
import { tagFor } from './kiteWire.ts';
import {
  ACCESS_TOKEN, ackedOrder, API_KEY, CONFIRM_POLL_MS, connectZerodha, limitOrder, openZerodha, RECONNECT, zerodhaUnderTest, type ZerodhaRig,
} from './zerodhaFixtures.ts';

describeVenueContract('zerodha', zerodhaUnderTest, { faults: true, streamInterruption: true, reconciliation: true });

/** Moves the connector's clock one poll at a time until the answer is in: its waits are on that clock, its reads on real sockets. */
async function advanceUntilSettled<T>(answer: Promise<T>, time: ManualTime): Promise<T> {
  let settled = false;
  void answer.finally(() => {
    settled = true;
  });
  await eventually(() => {
    if (!settled) time.advance(CONFIRM_POLL_MS);
    expect(settled).toBe(true);
  });
  return answer;
}

describe('zerodha connector', () => {
  let rig: ZerodhaRig | null = null;
  afterEach(async () => {
    await rig?.close();
    rig = null;
  });

  it('given an order, then it is placed form-encoded under the stable tag of its client order id', async () => {
    rig = await openZerodha();
    const id = uuidv7();
    await rig.venue.submit(limitOrder(id, '3', { type: 'stop_limit', stopPrice: limitOrder(id, '1').limitPrice!.minus(1) }));
    expect(rig.server.book.orders).toMatchObject([{ tag: tagFor(id), order_type: 'SL', transaction_type: 'BUY', validity: 'DAY', product: 'CNC', exchange: 'NSE' }]);
    expect(tagFor(id)).toMatch(/^og[0-9a-z]{18}$/);
    expect(tagFor(id)).toBe(tagFor(id));
  });

  it('given an order the risk checks refuse after Kite took it, then submit is rejected with the RMS reason, never accepted', async () => {
    rig = await openZerodha({ availableMargin: '1000' });
    const log = new ReportLog(rig.venue);
    const id = uuidv7();
    expect(await rig.venue.submit(limitOrder(id, '10'))).toEqual({
      outcome: 'rejected',
      reason: 'Kite refused the order after taking it: Insufficient funds. Required margin is 14500.50 but available margin is 1000.00. Check the orderbook for open orders.',
    });
    await eventually(() => expect(log.kindsOf(id)).toEqual(['rejected']));
  });

  it('given validation that takes a while, then submit waits for it on the clock, and says unknown when it outlasts the bound', async () => {
    rig = await openZerodha();
    rig.server.book.holdValidation = true;
    const slow = rig.venue.submit(limitOrder(uuidv7(), '1'));
    await eventually(() => expect(rig!.server.book.orders).toHaveLength(1));
    rig.server.releaseValidation();
    expect(await advanceUntilSettled(slow, rig.time)).toMatchObject({ outcome: 'accepted' });

    rig.server.book.holdValidation = true;
    const stuck = rig.venue.submit(limitOrder(uuidv7(), '1'));
    expect(await advanceUntilSettled(stuck, rig.time)).toMatchObject({ outcome: 'unknown', reason: expect.stringMatching(/did not confirm/) });
  });

  it('given an order still in validation, then lookup cannot tell yet (throws) instead of calling it working', async () => {
    rig = await openZerodha();
    rig.server.book.holdValidation = true;
    const id = uuidv7();
    rig.server.injectFault('place', { kind: 'drop_after_accept' });
    expect(await rig.venue.submit(limitOrder(id, '1'))).toMatchObject({ outcome: 'unknown' });
    await expect(rig.venue.lookup(id)).rejects.toThrow(/still validating/);
    rig.server.releaseValidation();
    expect(await rig.venue.lookup(id)).toMatchObject({ status: 'working' });
  });

  it('given a whole-share venue, then fractional quantities and gtc are rejected before anything is sent', async () => {
    rig = await openZerodha();
    expect(await rig.venue.submit(limitOrder(uuidv7(), '1.5'))).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/whole quantities/) });
    expect(await rig.venue.submit(limitOrder(uuidv7(), '1', { timeInForce: 'gtc' }))).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/no gtc validity/) });
    expect(rig.server.book.orders).toHaveLength(0);
  });

  it('given an order book Kite cannot serve, then submit sends nothing and says unknown; lookup throws (VenueThrottled for a 429)', async () => {
    rig = await openZerodha();
    rig.server.injectFault('orders', { kind: 'status', status: 502, errorType: 'NetworkException' });
    expect(await rig.venue.submit(limitOrder(uuidv7(), '1'))).toMatchObject({ outcome: 'unknown', reason: expect.stringMatching(/nothing was sent/) });
    expect(rig.server.book.orders).toHaveLength(0);
    rig.server.injectFault('orders', { kind: 'rate_limited', retryAfterSeconds: 4 });
    expect(await rig.venue.submit(limitOrder(uuidv7(), '1'))).toMatchObject({ outcome: 'unknown', retryAfterMs: 4_000 });
    expect(rig.server.book.orders).toHaveLength(0);
    rig.server.injectFault('orders', { kind: 'status', status: 503 });
    await expect(rig.venue.lookup(uuidv7())).rejects.toThrow(/503/);
    rig.server.injectFault('orders', { kind: 'rate_limited', retryAfterSeconds: 2 });
    await expect(rig.venue.lookup(uuidv7())).rejects.toMatchObject({ name: 'VenueThrottled', retryAfterMs: 2_000 });
  });

  it('given an id older than today in IST, when the day book lacks it, then lookup throws rather than claim absence', async () => {
    rig = await openZerodha();
    const twoDaysAgo = uuidv7({ msecs: Date.now() - 2 * 86_400_000 });
    await expect(rig.venue.lookup(twoDaysAgo)).rejects.toThrow(/older than today/);
  });

  it('given an expired session, then submit is rejected (TokenException, fatal) and the stream is refused once, not retried', async () => {
    rig = await openZerodha({ accessToken: 'expired-token' });
    expect(rig.venue.healthy()).toBe(false);
    expect(await rig.venue.submit(limitOrder(uuidv7(), '1'))).toEqual({
      outcome: 'rejected', reason: 'order book: Kite 403 TokenException: Incorrect `api_key` or `access_token`.',
    });
    rig.time.advance(RECONNECT.maxMs * 10);
    expect(rig.server.connectedClients()).toBe(0);
    expect(rig.logLines.filter((line) => line.includes('Kite refused the stream session'))).toHaveLength(1);
  });

  it('given every path that logs, then the access token and api key appear 0 times in the logs', async () => {
    rig = await openZerodha();
    rig.server.injectFault('place', { kind: 'drop_after_accept' });
    await rig.venue.submit(limitOrder(uuidv7(), '1'));
    rig.server.injectFault('place', { kind: 'status', status: 500 });
    await rig.venue.submit(limitOrder(uuidv7(), '1'));
    await rig.venue.submit(limitOrder(uuidv7(), '1', { symbol: 'NOSUCH' }));
    rig.server.dropStreams(false);
    await eventually(() => expect(rig!.venue.healthy()).toBe(false));
    rig.time.advance(RECONNECT.maxMs);
    await eventually(() => expect(rig!.venue.healthy()).toBe(true));
    const expired = await openZerodha({ accessToken: `${ACCESS_TOKEN}-old` });
    await expired.venue.submit(limitOrder(uuidv7(), '1'));
    await expired.close();

    const everything = [...rig.logLines, ...expired.logLines, JSON.stringify(rig.venue)].join('\n');
    expect(rig.logLines.length + expired.logLines.length).toBeGreaterThan(3);
    expect(everything.split(ACCESS_TOKEN).length - 1).toBe(0);
    expect(everything.split(API_KEY).length - 1).toBe(0);
  });
});

describe('zerodha reconciliation reads', () => {
  let rig: ZerodhaRig | null = null;
  afterEach(async () => {
    await rig?.close();
    rig = null;
  });

  it('given a restart, then orders placed before it are named by their client order id once the gateway says which it works; others as kite:<order id>', async () => {
    rig = await openZerodha();
    const log = new ReportLog(rig.venue);
    const id = await ackedOrder(rig.venue, log, '10');
    rig.server.fill(id, '4', '1450.05');
    await eventually(() => expect(log.fillsOf(id)).toHaveLength(1));
    const manual = rig.server.book.place('regular', new URLSearchParams({
      tradingsymbol: 'SBIN', exchange: 'NSE', transaction_type: 'BUY', order_type: 'LIMIT', quantity: '1', product: 'CNC', validity: 'DAY', price: '500',
    }));
    const manualOrderId = (manual.body as { data: { order_id: string } }).data.order_id;

    const forgetful = await connectZerodha(rig.server, rig.time, []);
    expect((await forgetful.openOrders()).map((view) => view.clientOrderId).sort()).toEqual([`kite:${manualOrderId}`, `kite:${rig.server.book.byTag(tagFor(id))[0]!.order_id}`].sort());
    await forgetful.close();

    const restarted = await connectZerodha(rig.server, rig.time, [], { workingOrderIds: async () => [id] });
    const open = await restarted.openOrders();
    expect(open.map((view) => view.clientOrderId).sort()).toEqual([id, `kite:${manualOrderId}`].sort());
    expect(open.find((view) => view.clientOrderId === id)!.fills.map((fill) => fill.venueFillId)).toEqual(log.fillsOf(id).map((fill) => fill.venueFillId));
    expect((await restarted.fillsSince(null, 10)).fills.map((record) => record.clientOrderId)).toEqual([id]);
    await restarted.close();
  });
});
