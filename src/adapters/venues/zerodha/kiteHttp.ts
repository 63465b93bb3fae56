/**
 * HTTP to Kite Connect v3, and what its answers mean for the Venue port.
 * Every request carries "X-Kite-Version: 3" and "Authorization: token api_key:access_token"
 * (Kite Connect 3.0 changelog) and is bounded by a deadline on the injected scheduler.
 * Errors come as {"status":"error","message","error_type"} (Kite "Exceptions and errors"):
 * - no answer, 429, 5xx, and NetworkException (the API could not reach the OMS),
 *   DataException (it could not read the OMS's answer), GeneralException (unclassified):
 *   the OMS may or may not have the order: unknown.
 * - InputException, OrderException, MarginException, HoldingException, TokenException (403: the
 *   session is over until the user logs in again), UserException, PermissionException on a 4xx:
 *   a definitive refusal with Kite's message: rejected, never retried.
 * Invariants: the access token appears only in the Authorization header; reasons are scrubbed.
 */
import type { Clock } from '../../../ports/clock.ts';
import type { CancelOutcome, SubmitOutcome, VenueThrottled } from '../../../ports/venue.ts';
import { BrokerHttp, rateLimitedText, throttledRead, unknownOutcome, type HttpAnswer, type Schedule } from '../broker/brokerHttp.ts';
import type { Secret } from '../credentials.ts';
import { parseKiteJson } from './kiteJson.ts';

export type KiteAnswer = HttpAnswer;

export interface KiteHttpOptions {
  readonly baseUrl: string;
  readonly apiKey: Secret;
  readonly accessToken: Secret;
  readonly schedule: Schedule;
  readonly clock: Clock;
  readonly timeoutMs: number;
}

/** Kite could not be asked, or did not answer clearly: the caller cannot tell what the OMS holds. */
export class KiteUnavailable extends Error {
  override readonly name = 'KiteUnavailable';
}

/** Kite refused the request itself (a 4xx such as TokenException): asking again will not help. */
export class KiteRefused extends Error {
  override readonly name = 'KiteRefused';
}

export function kiteHttp(options: KiteHttpOptions): BrokerHttp {
  const { apiKey, accessToken } = options;
  return new BrokerHttp({
    broker: 'Kite', baseUrl: options.baseUrl, schedule: options.schedule, clock: options.clock, timeoutMs: options.timeoutMs,
    headers: () => ({ 'X-Kite-Version': '3', authorization: `token ${apiKey.reveal()}:${accessToken.reveal()}` }),
    secrets: [apiKey, accessToken],
    parse: parseKiteJson,
  });
}

export const formBody = (form: URLSearchParams) => ({ contentType: 'application/x-www-form-urlencoded', text: form.toString() });

interface Envelope {
  readonly status?: unknown;
  readonly data?: unknown;
  readonly message?: unknown;
  readonly error_type?: unknown;
}

const IN_DOUBT_TYPES = new Set(['NetworkException', 'DataException', 'GeneralException']);

export function kiteMessage(body: unknown): string {
  const { message, error_type: errorType } = (body ?? {}) as Envelope;
  const text = typeof message === 'string' && message.length > 0 ? message : 'no message';
  return typeof errorType === 'string' ? `${errorType}: ${text}` : text;
}

/** Why the OMS may or may not have acted, or null when Kite's answer is definite. */
export function inDoubt(answer: KiteAnswer): string | null {
  if (!answer.answered) return answer.reason;
  const { status, body } = answer;
  if (status === 429) return rateLimitedText('Kite', answer);
  const errorType = (body as Envelope | null)?.error_type;
  if (status >= 500 || status === 408 || (typeof errorType === 'string' && IN_DOUBT_TYPES.has(errorType))) {
    return `Kite answered ${status}: ${kiteMessage(body)}`;
  }
  return null;
}

/** The `data` of a success envelope; throws VenueThrottled on 429, KiteRefused on another 4xx, KiteUnavailable otherwise. */
export function dataOf(answer: KiteAnswer, what: string): unknown {
  const slowDown = throttled(answer, what);
  if (slowDown) throw slowDown;
  const doubt = inDoubt(answer);
  if (doubt !== null || !answer.answered) throw new KiteUnavailable(`${what}: ${doubt ?? 'no answer'}`);
  const envelope = answer.body as Envelope | null;
  if (answer.status >= 400 && answer.status < 500) throw new KiteRefused(`${what}: Kite ${answer.status} ${kiteMessage(answer.body)}`);
  if (answer.status !== 200 || envelope?.status !== 'success') throw new KiteUnavailable(`${what}: Kite ${answer.status}: ${kiteMessage(answer.body)}`);
  return envelope.data;
}

/** A read the venue refused with 429: the port's VenueThrottled, so the gateway waits as told. */
export const throttled = (answer: KiteAnswer, what: string): VenueThrottled | null => throttledRead(answer, what, inDoubt(answer));

export function submitOutcomeOf(answer: KiteAnswer): SubmitOutcome {
  const doubt = inDoubt(answer);
  if (doubt !== null || !answer.answered) return unknownOutcome(doubt ?? 'no answer', answer);
  const envelope = answer.body as Envelope | null;
  if (answer.status === 200 && envelope?.status === 'success') {
    const orderId = (envelope.data as { order_id?: unknown } | null)?.order_id;
    return typeof orderId === 'string' && orderId !== ''
      ? { outcome: 'accepted', venueOrderId: orderId }
      : { outcome: 'unknown', reason: 'Kite answered success without an order id' };
  }
  if (answer.status >= 400 && answer.status < 500) return { outcome: 'rejected', reason: `Kite ${answer.status} ${kiteMessage(envelope)}` };
  return { outcome: 'unknown', reason: `Kite answered an unexpected ${answer.status}` };
}

export function cancelOutcomeOf(answer: KiteAnswer): CancelOutcome {
  const doubt = inDoubt(answer);
  if (doubt !== null || !answer.answered) return unknownOutcome(doubt ?? 'no answer', answer);
  const envelope = answer.body as Envelope | null;
  if (answer.status === 200 && envelope?.status === 'success') return { outcome: 'requested' };
  if (answer.status >= 400 && answer.status < 500) return { outcome: 'rejected', reason: `Kite ${answer.status} ${kiteMessage(envelope)}` };
  return { outcome: 'unknown', reason: `Kite answered an unexpected ${answer.status}` };
}
