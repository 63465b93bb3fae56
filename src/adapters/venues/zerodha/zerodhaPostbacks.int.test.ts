/**
 * Kite postbacks into the Zerodha connector, against the in-repository Kite test server. A
 * postback's checksum covers order_id and order_timestamp only, so what reaches the listeners
 * must follow Kite's own state of the order, whatever else the body says; a postback from an
 * earlier day is refused; and replaying one postback many times costs Kite a bounded few reads.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, ReportLog } from '../contract/harness.ts';
import { Secret } from '../credentials.ts';
import { postbackChecksum } from './kitePostback.ts';
import { tagFor } from './kiteWire.ts';
import { istText } from './testServerBook.ts';
import { ACCESS_TOKEN, ackedOrder, API_KEY, API_SECRET, connectZerodha, openZerodha, type ZerodhaRig } from './zerodhaFixtures.ts';

const SPACING_MS = 500;

describe('zerodha postbacks', () => {
  let rig: ZerodhaRig | null = null;
  afterEach(async () => {
    await rig?.close();
    rig = null;
  });

  it('given a postback with a good checksum, then the order is read at Kite and its fill reaches the listeners once', async () => {
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

  it('given a genuine postback replayed with another status, quantity and order\'s tag, then each order follows what Kite holds, not the body', async () => {
    rig = await openZerodha();
    const log = new ReportLog(rig.venue);
    const id = await ackedOrder(rig.venue, log, '10');
    const other = await ackedOrder(rig.venue, log, '10');
    const genuine = JSON.parse(rig.server.postbackOf(id, API_SECRET)) as Record<string, unknown>;
    // Since that postback, Kite filled 4 of the order (and pushed nothing on the stream).
    rig.server.book.fill(tagFor(id), '4', '1450.05');

    const tampered = JSON.stringify({
      ...genuine, status: 'CANCELLED', status_message: 'forged', filled_quantity: 0, pending_quantity: 0, tag: tagFor(other), tags: [tagFor(other)],
    });
    expect(rig.venue.receivePostback(tampered)).toEqual({ ok: true });
    await eventually(() => expect(log.kindsOf(id)).toEqual(['ack', 'fill']));
    expect(log.fillsOf(id).map((fill) => fill.quantity.toFixed())).toEqual(['4']);
    expect(log.kindsOf(other)).toEqual(['ack']);
    await ackedOrder(rig.venue, log);
    expect(log.kindsOf(id)).toEqual(['ack', 'fill']);
    expect(log.kindsOf(other)).toEqual(['ack']);
  });

  it('given a genuine postback from an earlier exchange day, then it is refused naming order_timestamp, and Kite is not read', async () => {
    rig = await openZerodha();
    const log = new ReportLog(rig.venue);
    const id = await ackedOrder(rig.venue, log, '10');
    rig.server.book.fill(tagFor(id), '10', '1450.05');
    const genuine = JSON.parse(rig.server.postbackOf(id, API_SECRET)) as Record<string, string>;
    const yesterday = istText(new Date(rig.time.now().getTime() - 86_400_000));
    const replayed = JSON.stringify({ ...genuine, order_timestamp: yesterday, checksum: postbackChecksum(genuine.order_id!, yesterday, new Secret(API_SECRET)) });
    const other = await ackedOrder(rig.venue, log, '10');
    const historyReads = rig.server.requestsTo('history');

    expect(rig.venue.receivePostback(replayed)).toEqual({
      ok: false, reason: 'malformed', field: 'order_timestamp', detail: expect.stringMatching(/not today's exchange day/),
    });
    // A barrier that reads no order history: a fill of another order on the stream.
    rig.server.fill(other, '1', '1450.05');
    await eventually(() => expect(log.kindsOf(other)).toEqual(['ack', 'fill']));
    expect(rig.server.requestsTo('history')).toBe(historyReads);
    expect(log.kindsOf(id)).toEqual(['ack']);
    expect(rig.logLines.join('\n')).not.toContain(API_SECRET);
  });

  it('given a flood of one genuine postback, then Kite is read one request at a time: once now, once after the pause, and no more', async () => {
    rig = await openZerodha({ postbackReadSpacingMs: SPACING_MS });
    const log = new ReportLog(rig.venue);
    const id = await ackedOrder(rig.venue, log, '10');
    const other = await ackedOrder(rig.venue, log, '10');
    rig.server.book.fill(tagFor(id), '4', '1450.05');
    const postback = rig.server.postbackOf(id, API_SECRET);
    const before = { history: rig.server.requestsTo('history'), trades: rig.server.requestsTo('trades') };
    const reads = () => ({ history: rig!.server.requestsTo('history') - before.history, trades: rig!.server.requestsTo('trades') - before.trades });
    rig.server.takeMostInFlight();

    for (let i = 0; i < 500; i++) expect(rig.venue.receivePostback(postback)).toEqual({ ok: true });
    await eventually(() => expect(log.kindsOf(id)).toEqual(['ack', 'fill']));
    expect(reads()).toEqual({ history: 1, trades: 1 });
    rig.time.advance(SPACING_MS);
    await eventually(() => expect(reads()).toEqual({ history: 2, trades: 2 }));
    rig.time.advance(SPACING_MS * 10);
    // A barrier that reads no order history: a fill of another order on the stream.
    rig.server.fill(other, '1', '1450.05');
    await eventually(() => expect(log.kindsOf(other)).toEqual(['ack', 'fill']));
    expect(reads().history).toBe(2);
    expect(rig.server.takeMostInFlight()).toBe(1);
    expect(log.fillsOf(id)).toHaveLength(1);
  });

  it('given a postback signed with another secret, or with a checksummed field changed on the way, then it is refused and nothing is reported', async () => {
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
    const unsigned = await connectZerodha(rig.server, rig.time, [], {
      connection: {
        baseUrl: rig.server.baseUrl, streamUrl: rig.server.streamUrl, exchange: 'NSE', product: 'CNC',
        apiKey: new Secret(API_KEY), accessToken: new Secret(ACCESS_TOKEN), apiSecret: null,
      },
    });
    expect(unsigned.receivePostback('{}')).toMatchObject({ ok: false, reason: 'not_configured' });
    await unsigned.close();
  });
});
