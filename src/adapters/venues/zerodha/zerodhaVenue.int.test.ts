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
import { Secret } from '../credentials.ts';
import {
  ACCESS_TOKEN, API_KEY, API_SECRET, CONFIRM_POLL_MS, connectZerodha, limitOrder, openZerodha, RECONNECT, zerodhaUnderTest, type ZerodhaRig,
} from './zerodhaFixtures.ts';
import type { ZerodhaVenue } from './zerodhaVenue.ts';

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

describe('zerodha postbacks and reconciliation reads', () => {
  let rig: ZerodhaRig | null = null;
  afterEach(async () => {
    await rig?.close();
    rig = null;
  });

  /** A fresh order, acked: once it is, everything reported before it has arrived. */
  const ackedOrder = async (venue: ZerodhaVenue, log: ReportLog, quantity = '1') => {
    const id = uuidv7();
    await venue.submit(limitOrder(id, quantity));
    await eventually(() => expect(log.kindsOf(id)).toEqual(['ack']));
    return id;
  };

  it('given a postback with a good checksum, then its update goes the way of the stream\'s: the fill reaches the listeners once', async () => {
    rig = await openZerodha();
    const log = new ReportLog(rig.venue);
    const id = await ackedOrder(rig.venue, log, '10');
    rig.server.book.fill(tagFor(id), '4', '1450.05');

    const postback = rig.server.postbackOf(id, API_SECRET);
    expect(rig.venue.receivePostback(postback)).toEqual({ ok: true });
    expect(rig.venue.receivePostback(postback)).toEqual({ ok: true });
    await eventually(() => expect(log.kindsOf(id)).toEqual(['ack', 'fill']));
    await ackedOrder(rig.venue, log);
    expect(log.fillsOf(id).map((fill) => fill.quantity.toFixed())).toEqual(['4']);
  });

  it('given a postback signed with another secret, or with a field changed on the way, then it is refused and nothing is reported', async () => {
    rig = await openZerodha();
    const log = new ReportLog(rig.venue);
    const id = await ackedOrder(rig.venue, log, '10');
    rig.server.book.fill(tagFor(id), '10', '1450.05');

    expect(rig.venue.receivePostback(rig.server.postbackOf(id, `${API_SECRET}-other`))).toMatchObject({ ok: false, reason: 'bad_checksum' });
    const good = JSON.parse(rig.server.postbackOf(id, API_SECRET)) as Record<string, unknown>;
    const moved = JSON.stringify({ ...good, order_timestamp: '2020-01-01 09:15:00' });
    expect(rig.venue.receivePostback(moved)).toMatchObject({ ok: false, reason: 'bad_checksum' });
    await ackedOrder(rig.venue, log);
    expect(log.kindsOf(id)).toEqual(['ack']);
    expect(rig.logLines.join('\n')).not.toContain(API_SECRET);
  });

  it('given no api_secret, or a body that is not a postback, then it is refused saying why', async () => {
    rig = await openZerodha();
    expect(rig.venue.receivePostback('{"order_id": "1"')).toMatchObject({ ok: false, reason: 'malformed', field: '(body)' });
    expect(rig.venue.receivePostback('[1]')).toMatchObject({ ok: false, reason: 'malformed', field: '(body)' });
    expect(rig.venue.receivePostback('{"order_id":"1","order_timestamp":"2026-12-03 09:15:00"}')).toMatchObject({ ok: false, reason: 'malformed', field: 'checksum' });
    expect(rig.venue.receivePostback('{"order_id":"1","order_timestamp":"2026-12-03 09:15:00","checksum":"abc"}')).toMatchObject({ ok: false, reason: 'malformed', field: 'checksum' });
    const unsigned = await connectZerodha(rig.server, rig.time, [], { connection: { ...connectionOf(rig), apiSecret: null } });
    expect(unsigned.receivePostback('{}')).toMatchObject({ ok: false, reason: 'not_configured' });
    await unsigned.close();
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

function connectionOf(rig: ZerodhaRig) {
  return {
    baseUrl: rig.server.baseUrl, streamUrl: rig.server.streamUrl, exchange: 'NSE', product: 'CNC',
    apiKey: new Secret(API_KEY), accessToken: new Secret(ACCESS_TOKEN), apiSecret: new Secret(API_SECRET),
  };
}
