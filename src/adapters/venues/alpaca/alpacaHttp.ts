/**
 * HTTP to Alpaca's Trading API, and what its answers mean for the Venue port.
 * Every request carries the key pair in the APCA-API-KEY-ID / APCA-API-SECRET-KEY headers
 * (Alpaca API v2 "Authentication") and is bounded by a deadline on the injected scheduler.
 * Classification (Alpaca's reference lists 403 "buying power or shares is not sufficient" and
 * 422 "input parameters are not recognized" for POST /v2/orders; 401 is a refused key):
 * - no answer (timeout, reset, refused connection), 5xx, 429, 408: the venue may or may not
 *   have acted: unknown, never rejected.
 * - 422 "client_order_id must be unique" (code 40010001, as Alpaca answers a reused id): the
 *   order is already there: unknown, so the gateway looks it up instead of failing it.
 * - other 4xx: a definitive refusal with Alpaca's own message: rejected, not retried.
 * Invariants: the secrets appear only in the two request headers; reasons are scrubbed.
 */
import type { Clock } from '../../../ports/clock.ts';
import type { CancelOutcome, SubmitOutcome, VenueThrottled } from '../../../ports/venue.ts';
import { BrokerHttp, rateLimitedText, throttledRead, unknownOutcome, type HttpAnswer, type Schedule } from '../broker/brokerHttp.ts';
import type { Secret } from '../credentials.ts';

export type { HttpAnswer } from '../broker/brokerHttp.ts';

export interface AlpacaHttpOptions {
  readonly baseUrl: string;
  readonly keyId: Secret;
  readonly secretKey: Secret;
  readonly schedule: Schedule;
  readonly clock: Clock;
  readonly timeoutMs: number;
}

export function alpacaHttp(options: AlpacaHttpOptions): BrokerHttp {
  const { keyId, secretKey } = options;
  return new BrokerHttp({
    broker: 'Alpaca', baseUrl: options.baseUrl, schedule: options.schedule, clock: options.clock, timeoutMs: options.timeoutMs,
    headers: () => ({ 'APCA-API-KEY-ID': keyId.reveal(), 'APCA-API-SECRET-KEY': secretKey.reveal(), accept: 'application/json' }),
    secrets: [keyId, secretKey],
    parse: (text) => JSON.parse(text),
    // Alpaca's own rate-limit header: the epoch second the window resets.
    resetHeader: 'x-ratelimit-reset',
  });
}

export const jsonBody = (value: object) => ({ contentType: 'application/json', text: JSON.stringify(value) });

/** Alpaca's error body is {"code": 40010001, "message": "…"}; a 401 carries {"message": "unauthorized"}. */
export function alpacaMessage(body: unknown): string {
  const message = (body as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message.length > 0 ? message : 'no message';
}

const DUPLICATE_CLIENT_ORDER_ID = /client[ _]?order[ _]?id must be unique/i;

/** Whether the venue may have acted even though it did not say yes. */
export function inDoubt(answer: HttpAnswer): string | null {
  if (!answer.answered) return answer.reason;
  const { status } = answer;
  if (status === 429) return rateLimitedText('Alpaca', answer);
  if (status >= 500 || status === 408) return `Alpaca answered ${status}: ${alpacaMessage(answer.body)}`;
  return null;
}

/** A read the venue refused with 429: the port's VenueThrottled, so the gateway waits as told. */
export const throttled = (answer: HttpAnswer, what: string): VenueThrottled | null => throttledRead(answer, what, inDoubt(answer));

export function submitOutcomeOf(answer: HttpAnswer): SubmitOutcome {
  const doubt = inDoubt(answer);
  if (doubt !== null || !answer.answered) return unknownOutcome(doubt ?? 'no answer', answer);
  const { status, body } = answer;
  if (status >= 200 && status < 300) {
    const order = body as { id?: unknown; status?: unknown } | null;
    if (typeof order?.id !== 'string') return { outcome: 'unknown', reason: `Alpaca answered ${status} without an order id` };
    if (order.status === 'rejected') return { outcome: 'rejected', reason: 'rejected by Alpaca' };
    return { outcome: 'accepted', venueOrderId: order.id };
  }
  if (status === 422 && DUPLICATE_CLIENT_ORDER_ID.test(alpacaMessage(body))) {
    return { outcome: 'unknown', reason: 'duplicate client order id: Alpaca already holds an order with this id; look it up' };
  }
  if (status >= 400 && status < 500) return { outcome: 'rejected', reason: `Alpaca ${status}: ${alpacaMessage(body)}` };
  return { outcome: 'unknown', reason: `Alpaca answered an unexpected ${status}` };
}

export function cancelOutcomeOf(answer: HttpAnswer): CancelOutcome {
  const doubt = inDoubt(answer);
  if (doubt !== null || !answer.answered) return unknownOutcome(doubt ?? 'no answer', answer);
  const { status, body } = answer;
  if (status >= 200 && status < 300) return { outcome: 'requested' };
  // Documented for DELETE /v2/orders/{id}: 404 not found, 422 "the order status is not cancelable".
  if (status >= 400 && status < 500) return { outcome: 'rejected', reason: `Alpaca ${status}: ${alpacaMessage(body)}` };
  return { outcome: 'unknown', reason: `Alpaca answered an unexpected ${status}` };
}

/** Alpaca could not be asked, or did not answer clearly: the caller cannot tell what Alpaca holds. */
export class AlpacaUnavailable extends Error {
  override readonly name = 'AlpacaUnavailable';
}

/** The body of a 2xx answer to a read; throws VenueThrottled on 429 and AlpacaUnavailable on anything else. */
export function okBody(answer: HttpAnswer, what: string): unknown {
  const slowDown = throttled(answer, what);
  if (slowDown) throw slowDown;
  const doubt = inDoubt(answer);
  if (doubt !== null || !answer.answered) throw new AlpacaUnavailable(`${what}: ${doubt ?? 'no answer'}`);
  if (answer.status < 200 || answer.status >= 300) throw new AlpacaUnavailable(`${what}: Alpaca ${answer.status}: ${alpacaMessage(answer.body)}`);
  return answer.body;
}
