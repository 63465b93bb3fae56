/** Kite postbacks: what a checksum proves (order_id and order_timestamp only) and on which exchange day one is taken. */
import { describe, expect, it } from 'vitest';
import { Secret } from '../credentials.ts';
import { postbackChecksum, verifyPostback } from './kitePostback.ts';

const SECRET = new Secret('apisecret-unit-test');
const ORDER_ID = '260303000308932';

const postback = (orderTimestamp: string, fields: Record<string, unknown> = {}) => JSON.stringify({
  order_id: ORDER_ID, order_timestamp: orderTimestamp, status: 'COMPLETE', tag: 'og0000000000000000aa', filled_quantity: 10,
  checksum: postbackChecksum(ORDER_ID, orderTimestamp, SECRET), ...fields,
});

describe('verifyPostback', () => {
  it('given a genuine postback of today, then only its order id is handed on: the status, tag and quantities it carries are not', () => {
    const verified = verifyPostback(postback('2026-03-03 09:24:25'), SECRET, new Date('2026-03-03T04:00:00Z'));
    expect(verified).toEqual({ ok: true, orderId: ORDER_ID });
  });

  it('given a genuine postback whose order_timestamp is not from today in IST, then it is refused naming order_timestamp', () => {
    // 18:45 UTC on the 2nd is 00:15 IST on the 3rd: the exchange day has turned, the UTC day has not.
    const justAfterIstMidnight = new Date('2026-03-02T18:45:00Z');
    expect(verifyPostback(postback('2026-03-03 00:10:00'), SECRET, justAfterIstMidnight)).toMatchObject({ ok: true });
    expect(verifyPostback(postback('2026-03-02 23:59:59'), SECRET, justAfterIstMidnight)).toEqual({
      ok: false, reason: 'malformed', field: 'order_timestamp',
      detail: expect.stringMatching(/from 2026-03-02, not today's exchange day \(2026-03-03, IST\)/),
    });
    expect(verifyPostback(postback('2026-03-02 09:15:00'), SECRET, new Date('2026-03-02T18:29:59Z'))).toMatchObject({ ok: true });
    expect(verifyPostback(postback('2026-03-04 09:15:00'), SECRET, justAfterIstMidnight)).toMatchObject({ ok: false, field: 'order_timestamp' });
  });

  it('given an order_timestamp that is not Kite\'s format, then it is refused naming it; a bad checksum is refused as such first', () => {
    const now = new Date('2026-03-03T04:00:00Z');
    expect(verifyPostback(postback('2026-03-03T09:24:25'), SECRET, now)).toMatchObject({ ok: false, reason: 'malformed', field: 'order_timestamp' });
    const forged = postback('2020-01-01 09:15:00', { checksum: postbackChecksum(ORDER_ID, '2020-01-01 09:15:00', new Secret('another')) });
    expect(verifyPostback(forged, SECRET, now)).toMatchObject({ ok: false, reason: 'bad_checksum' });
  });
});
