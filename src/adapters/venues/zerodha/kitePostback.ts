/**
 * Kite Connect postbacks (kite.trade/docs/connect/v3/postbacks): Kite POSTs an order's JSON to
 * the app's postback URL when its status changes (COMPLETE, CANCEL, REJECTED, UPDATE), with
 * `checksum` = hex SHA-256 of order_id + order_timestamp + api_secret.
 * The checksum covers those two fields only: status, tags, quantities, anything else in the
 * body can be changed by whoever holds one genuine postback, and a genuine postback can be sent
 * again at will. So a verified postback yields only the Kite order id, as a reason to read that
 * order from Kite, and only on the exchange day (IST) of its order_timestamp: Kite's order book
 * holds that day's orders only, and the day bounds how long a captured postback can be replayed.
 * Invariants: nothing is handed on before the checksum matches (compared in constant time);
 * nothing of the body but order_id is handed on; the secret never appears in an outcome.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { PostbackOutcome } from '../../../ports/postbacks.ts';
import type { Secret } from '../credentials.ts';
import { parseKiteJson } from './kiteJson.ts';

export type VerifiedPostback = { readonly ok: true; readonly orderId: string } | Exclude<PostbackOutcome, { ok: true }>;

const KITE_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}) \d{2}:\d{2}:\d{2}$/;

export function postbackChecksum(orderId: string, orderTimestamp: string, apiSecret: Secret): string {
  return createHash('sha256').update(`${orderId}${orderTimestamp}${apiSecret.reveal()}`, 'utf8').digest('hex');
}

/** "YYYY-MM-DD" of the exchange day (IST, UTC+05:30, no DST) that `now` falls in. */
export function istDateOf(now: Date): string {
  return new Date(now.getTime() + 330 * 60_000).toISOString().slice(0, 10);
}

export function verifyPostback(rawBody: string, apiSecret: Secret | null, now: Date): VerifiedPostback {
  if (apiSecret === null) return { ok: false, reason: 'not_configured', detail: 'this venue has no api_secret credential, so it cannot check postbacks' };
  let body: unknown;
  try {
    body = parseKiteJson(rawBody);
  } catch (error) {
    return { ok: false, reason: 'malformed', field: '(body)', detail: `the body is not JSON: ${(error as Error).message}` };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, reason: 'malformed', field: '(body)', detail: 'the body must be a JSON object' };
  const order = body as Record<string, unknown>;
  for (const field of ['order_id', 'order_timestamp', 'checksum'] as const) {
    if (typeof order[field] !== 'string' || order[field] === '') return { ok: false, reason: 'malformed', field, detail: `${field} is missing or not a string` };
  }
  const orderId = order.order_id as string;
  const orderTimestamp = order.order_timestamp as string;
  const given = (order.checksum as string).toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(given)) return { ok: false, reason: 'malformed', field: 'checksum', detail: 'checksum must be 64 hex digits (SHA-256)' };
  const expected = postbackChecksum(orderId, orderTimestamp, apiSecret);
  if (!timingSafeEqual(Buffer.from(given, 'hex'), Buffer.from(expected, 'hex'))) {
    return { ok: false, reason: 'bad_checksum', detail: 'the checksum does not match order_id + order_timestamp + this venue\'s api_secret' };
  }
  const day = KITE_TIMESTAMP.exec(orderTimestamp)?.[1];
  if (day === undefined) return { ok: false, reason: 'malformed', field: 'order_timestamp', detail: 'order_timestamp must be Kite\'s "YYYY-MM-DD HH:MM:SS"' };
  const today = istDateOf(now);
  if (day !== today) {
    return {
      ok: false, reason: 'malformed', field: 'order_timestamp',
      detail: `order_timestamp is from ${day}, not today's exchange day (${today}, IST): postbacks are taken only on their order's day, so an old one cannot be replayed`,
    };
  }
  return { ok: true, orderId };
}
