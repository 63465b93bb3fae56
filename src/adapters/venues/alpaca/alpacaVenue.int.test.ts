/**
 * The Alpaca connector against the in-repository Alpaca test server: the connector contract,
 * then what is Alpaca's own: its refusals, its key pair, and reads that cannot tell.
 */
import { inspect } from 'node:util';
import { v7 as uuidv7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import { describeVenueContract } from '../contract.ts';
import { eventually, ReportLog } from '../contract/harness.ts';
import { Secret } from '../credentials.ts';
import { alpacaUnderTest, KEY_ID, limitOrder, openAlpaca, RECONNECT, SECRET_KEY, type AlpacaRig } from './alpacaFixtures.ts';
import { AlpacaUnavailable } from './alpacaVenue.ts';

describeVenueContract('alpaca', alpacaUnderTest, { faults: true, streamInterruption: true, reconciliation: true });

describe('alpaca connector', () => {
  let rig: AlpacaRig | null = null;
  afterEach(async () => {
    await rig?.close();
    rig = null;
  });

  it('given an unknown symbol, then Alpaca 422 is a rejection with its message, and nothing is sent again', async () => {
    rig = await openAlpaca();
    const id = uuidv7();
    expect(await rig.venue.submit(limitOrder(id, '1', { symbol: 'NOPE' }))).toEqual({ outcome: 'rejected', reason: 'Alpaca 422: asset "NOPE" not found' });
    expect(rig.server.book.orders).toHaveLength(0);
  });

  it('given a client order id longer than Alpaca takes, then it is rejected before anything is sent', async () => {
    rig = await openAlpaca();
    expect(await rig.venue.submit(limitOrder('x'.repeat(49), '1'))).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/48 characters/) });
    expect(rig.server.book.orders).toHaveLength(0);
  });

  it('given a refused key, then submits are rejected (fatal, 401), the stream is refused once and not retried', async () => {
    rig = await openAlpaca({ secretKey: 'wrong-secret' });
    expect(rig.venue.healthy()).toBe(false);
    expect(await rig.venue.submit(limitOrder(uuidv7(), '1'))).toEqual({ outcome: 'rejected', reason: 'Alpaca 401: unauthorized' });
    rig.time.advance(RECONNECT.maxMs * 10);
    expect(rig.server.listeningClients()).toBe(0);
    expect(rig.logLines.filter((line) => line.includes('refused the stream credentials'))).toHaveLength(1);
  });

  it('given Alpaca answers a lookup with 5xx or not at all, then lookup throws (VenueThrottled for a 429) instead of claiming the order is absent', async () => {
    rig = await openAlpaca();
    rig.server.injectFault('lookup', { kind: 'status', status: 503 });
    await expect(rig.venue.lookup(uuidv7())).rejects.toBeInstanceOf(AlpacaUnavailable);
    rig.server.injectFault('lookup', { kind: 'rate_limited', retryAfterSeconds: 3 });
    await expect(rig.venue.lookup(uuidv7())).rejects.toMatchObject({ name: 'VenueThrottled', retryAfterMs: 3_000 });
    rig.server.injectFault('lookup', { kind: 'hang' });
    const lookup = rig.venue.lookup(uuidv7());
    await eventually(() => expect(rig!.server.heldRequests()).toBe(1));
    rig.time.advance(10_000);
    await expect(lookup).rejects.toThrow(/no answer from Alpaca within/);
  });

  it('given a 404 that is not Alpaca\'s "order not found" (a wrong base URL, a proxy), then lookup throws instead of claiming absence', async () => {
    rig = await openAlpaca();
    const lost = await openAlpaca({ connection: {
      baseUrl: `${rig.server.baseUrl}/nowhere`, streamUrl: rig.server.streamUrl, keyId: new Secret(KEY_ID), secretKey: new Secret(SECRET_KEY),
    } });
    await expect(lost.venue.lookup(uuidv7())).rejects.toThrow(/Alpaca 404: Not Found/);
    await lost.close();
  });

  it('given the fill activities trail the order, then lookup throws rather than return fewer fills than filled', async () => {
    rig = await openAlpaca();
    const id = uuidv7();
    await rig.venue.submit(limitOrder(id, '10'));
    rig.server.fill(id, '10', '100.25');
    rig.server.book.activities.length = 0;
    await expect(rig.venue.lookup(id)).rejects.toThrow(/lists 0 of the 10 filled/);
  });

  it('given more executions than a page of activities holds, then lookup, openOrders and fillsSince page through all of them', async () => {
    rig = await openAlpaca();
    const id = uuidv7();
    await rig.venue.submit(limitOrder(id, '140'));
    for (let n = 0; n < 130; n++) rig.server.fill(id, '1', '100.25');
    const [view] = await rig.venue.openOrders();
    expect(view!.fills).toHaveLength(130);
    expect(new Set(view!.fills.map((fill) => fill.venueFillId)).size).toBe(130);
    expect((await rig.venue.lookup(id))!.fills.map((fill) => fill.venueFillId)).toEqual(view!.fills.map((fill) => fill.venueFillId));
    const page = await rig.venue.fillsSince(null, 500);
    expect(page.fills.map((record) => record.fill.venueFillId)).toEqual(view!.fills.map((fill) => fill.venueFillId));
    expect(page.fills.every((record) => record.clientOrderId === id)).toBe(true);
    expect(page.cursor).toBe(rig.server.book.activities.at(-1)!.id);
    expect(await rig.venue.fillsSince(page.cursor, 500)).toEqual({ fills: [], cursor: page.cursor });
    // A cursor of another venue kind (the sim's) starts over instead of failing every reconciliation.
    expect((await rig.venue.fillsSince('SIM-1a2b@7', 500)).fills).toHaveLength(130);
  });

  it('given fills of an order this process never saw, then fillsSince names its client order id by asking Alpaca', async () => {
    rig = await openAlpaca();
    const id = uuidv7();
    await rig.venue.submit(limitOrder(id, '10'));
    rig.server.fill(id, '10', '100.25');
    const restarted = await openAlpaca({ connection: {
      baseUrl: rig.server.baseUrl, streamUrl: rig.server.streamUrl, keyId: new Secret(KEY_ID), secretKey: new Secret(SECRET_KEY),
    } });
    expect((await restarted.venue.fillsSince(null, 10)).fills.map((record) => record.clientOrderId)).toEqual([id]);
    await restarted.close();
  });

  it('given a cancel Alpaca cannot honour, then it is rejected with its reason; a cancel with no answer is unknown', async () => {
    rig = await openAlpaca();
    const filled = uuidv7();
    await rig.venue.submit(limitOrder(filled, '1'));
    rig.server.fill(filled, '1', '100.25');
    expect(await rig.venue.cancel(filled)).toEqual({ outcome: 'rejected', reason: 'Alpaca 422: order is already in "filled" state' });
    const working = uuidv7();
    await rig.venue.submit(limitOrder(working, '1'));
    rig.server.injectFault('cancel', { kind: 'status', status: 502 });
    expect(await rig.venue.cancel(working)).toMatchObject({ outcome: 'unknown' });
  });

  it('given many catch-ups, then a fill reported live and fetched again reaches listeners once', async () => {
    rig = await openAlpaca();
    const log = new ReportLog(rig.venue);
    const id = uuidv7();
    await rig.venue.submit(limitOrder(id, '10'));
    rig.server.fill(id, '3', '100.25');
    await eventually(() => expect(log.fillsOf(id)).toHaveLength(1));
    for (let round = 0; round < 3; round++) {
      rig.server.dropStreams(false);
      await eventually(() => expect(rig!.venue.healthy()).toBe(false));
      rig.time.advance(RECONNECT.maxMs);
      await eventually(() => expect(rig!.venue.healthy()).toBe(true));
    }
    rig.server.fill(id, '7', '100.25');
    await eventually(() => expect(log.fillsOf(id)).toHaveLength(2));
    expect(log.kindsOf(id)).toEqual(['ack', 'fill', 'fill']);
  });

  it('given every path that logs (unknown outcomes, refusals, stream breaks), then the key pair appears 0 times in the logs', async () => {
    rig = await openAlpaca();
    const id = uuidv7();
    rig.server.injectFault('submit', { kind: 'drop_after_accept' });
    await rig.venue.submit(limitOrder(id, '10'));
    rig.server.injectFault('submit', { kind: 'status', status: 500 });
    await rig.venue.submit(limitOrder(uuidv7(), '1'));
    await rig.venue.submit(limitOrder(uuidv7(), '1', { symbol: 'NOPE' }));
    rig.server.dropStreams(false);
    await eventually(() => expect(rig!.venue.healthy()).toBe(false));
    rig.time.advance(RECONNECT.maxMs);
    await eventually(() => expect(rig!.venue.healthy()).toBe(true));
    const refused = await openAlpaca({ secretKey: `${SECRET_KEY}-revoked` });
    await refused.venue.submit(limitOrder(uuidv7(), '1'));
    await refused.close();

    const everything = [...rig.logLines, ...refused.logLines, inspect(rig.venue, { depth: 10 }), JSON.stringify(rig.venue)].join('\n');
    expect(rig.logLines.length + refused.logLines.length).toBeGreaterThan(3);
    expect(everything.split(SECRET_KEY).length - 1).toBe(0);
    expect(everything.split(KEY_ID).length - 1).toBe(0);
  });
});
