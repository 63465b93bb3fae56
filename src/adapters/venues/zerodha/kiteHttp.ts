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
import { VenueThrottled, type CancelOutcome, type SubmitOutcome } from '../../../ports/venue.ts';
import { scrub, type Secret } from '../credentials.ts';
import { parseKiteJson } from './kiteJson.ts';

/** Runs `fn` once after `delayMs` (never synchronously); returns a function that cancels it. */
export type Schedule = (fn: () => void, delayMs: number) => () => void;

export type KiteAnswer =
  | { readonly answered: true; readonly status: number; readonly body: unknown; readonly retryAfterMs: number | null }
  | { readonly answered: false; readonly reason: string };

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

export class KiteHttp {
  constructor(private readonly options: KiteHttpOptions) {}

  async request(method: 'GET' | 'POST' | 'DELETE', path: string, form?: URLSearchParams): Promise<KiteAnswer> {
    const { baseUrl, apiKey, accessToken, schedule, timeoutMs } = this.options;
    const controller = new AbortController();
    let timedOut = false;
    const cancelDeadline = schedule(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    try {
      const response = await fetch(endpoint(baseUrl, path), {
        method,
        signal: controller.signal,
        headers: {
          'X-Kite-Version': '3',
          authorization: `token ${apiKey.reveal()}:${accessToken.reveal()}`,
          ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        ...(form ? { body: form.toString() } : {}),
      });
      const text = await response.text();
      return { answered: true, status: response.status, body: parse(text), retryAfterMs: this.#retryAfterMs(response.headers) };
    } catch (error) {
      if (timedOut) return { answered: false, reason: `no answer from Kite within ${timeoutMs} ms` };
      return { answered: false, reason: scrub(`no answer from Kite: ${describeFailure(error)}`, [apiKey, accessToken]) };
    } finally {
      cancelDeadline();
    }
  }

  #retryAfterMs(headers: Headers): number | null {
    const retryAfter = headers.get('retry-after')?.trim();
    if (!retryAfter) return null;
    if (/^[0-9]+$/.test(retryAfter)) return Number(retryAfter) * 1000;
    const at = Date.parse(retryAfter);
    return Number.isNaN(at) ? null : Math.max(0, at - this.options.clock.now().getTime());
  }
}

function parse(text: string): unknown {
  try {
    return text.length === 0 ? null : parseKiteJson(text);
  } catch {
    return null;
  }
}

/** The base URL may carry a path (a proxy's prefix); every endpoint goes below it. */
function endpoint(baseUrl: string, path: string): URL {
  return new URL(path.replace(/^\//, ''), baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
}

function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
  return cause ? `${error.message} (${cause.code ?? cause.message ?? 'no detail'})` : error.message;
}

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
  if (status === 429) {
    const wait = answer.retryAfterMs === null ? '' : `; retry after ${Math.ceil(answer.retryAfterMs / 1000)} s`;
    return `rate limited by Kite (429)${wait}`;
  }
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

/** In doubt, with the venue's Retry-After when it gave one (the port's retryAfterMs). */
function unknown(reason: string, answer: KiteAnswer): { outcome: 'unknown'; reason: string; retryAfterMs?: number } {
  return answer.answered && answer.retryAfterMs !== null ? { outcome: 'unknown', reason, retryAfterMs: answer.retryAfterMs } : { outcome: 'unknown', reason };
}

/** A read the venue refused with 429: the port's VenueThrottled, so the gateway waits as told. */
export function throttled(answer: KiteAnswer, what: string): VenueThrottled | null {
  if (!answer.answered || answer.status !== 429) return null;
  return new VenueThrottled(`${what}: ${inDoubt(answer)}`, answer.retryAfterMs ?? 1_000);
}

export function submitOutcomeOf(answer: KiteAnswer): SubmitOutcome {
  const doubt = inDoubt(answer);
  if (doubt !== null || !answer.answered) return unknown(doubt ?? 'no answer', answer);
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
  if (doubt !== null || !answer.answered) return unknown(doubt ?? 'no answer', answer);
  const envelope = answer.body as Envelope | null;
  if (answer.status === 200 && envelope?.status === 'success') return { outcome: 'requested' };
  if (answer.status >= 400 && answer.status < 500) return { outcome: 'rejected', reason: `Kite ${answer.status} ${kiteMessage(envelope)}` };
  return { outcome: 'unknown', reason: `Kite answered an unexpected ${answer.status}` };
}
