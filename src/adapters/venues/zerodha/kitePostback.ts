/**
 * Kite Connect postbacks (kite.trade/docs/connect/v3/postbacks): Kite POSTs an order's JSON to
 * the app's postback URL when its status changes (COMPLETE, CANCEL, REJECTED, UPDATE), with
 * `checksum` = hex SHA-256 of order_id + order_timestamp + api_secret. The payload is the order
 * update the WebSocket also carries, so an authentic postback is fed to the same handler.
 * Invariants: nothing is handed on before the checksum matches (compared in constant time);
 * numbers are kept as their source text (kiteJson); the secret never appears in an outcome.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { PostbackOutcome } from '../../../ports/postbacks.ts';
import type { Secret } from '../credentials.ts';
import { parseKiteJson } from './kiteJson.ts';

export type VerifiedPostback = { readonly ok: true; readonly order: Record<string, unknown> } | Exclude<PostbackOutcome, { ok: true }>;

export function postbackChecksum(orderId: string, orderTimestamp: string, apiSecret: Secret): string {
  return createHash('sha256').update(`${orderId}${orderTimestamp}${apiSecret.reveal()}`, 'utf8').digest('hex');
}

export function verifyPostback(rawBody: string, apiSecret: Secret | null): VerifiedPostback {
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
  const given = (order.checksum as string).toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(given)) return { ok: false, reason: 'malformed', field: 'checksum', detail: 'checksum must be 64 hex digits (SHA-256)' };
  const expected = postbackChecksum(order.order_id as string, order.order_timestamp as string, apiSecret);
  if (!timingSafeEqual(Buffer.from(given, 'hex'), Buffer.from(expected, 'hex'))) {
    return { ok: false, reason: 'bad_checksum', detail: 'the checksum does not match order_id + order_timestamp + this venue\'s api_secret' };
  }
  return { ok: true, order };
}
