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
import { VenueThrottled, type CancelOutcome, type SubmitOutcome } from '../../../ports/venue.ts';
import { scrub, type Secret } from '../credentials.ts';

/** Runs `fn` once after `delayMs` (never synchronously); returns a function that cancels it. */
export type Schedule = (fn: () => void, delayMs: number) => () => void;

export type HttpAnswer =
  | { readonly answered: true; readonly status: number; readonly body: unknown; readonly retryAfterMs: number | null }
  | { readonly answered: false; readonly reason: string };

export interface AlpacaHttpOptions {
  readonly baseUrl: string;
  readonly keyId: Secret;
  readonly secretKey: Secret;
  readonly schedule: Schedule;
  readonly clock: Clock;
  readonly timeoutMs: number;
}

export class AlpacaHttp {
  constructor(private readonly options: AlpacaHttpOptions) {}

  async request(method: 'GET' | 'POST' | 'DELETE', path: string, body?: object): Promise<HttpAnswer> {
    const { baseUrl, keyId, secretKey, schedule, timeoutMs } = this.options;
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
          'APCA-API-KEY-ID': keyId.reveal(),
          'APCA-API-SECRET-KEY': secretKey.reveal(),
          accept: 'application/json',
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      return { answered: true, status: response.status, body: parseJson(text), retryAfterMs: this.#retryAfterMs(response.headers) };
    } catch (error) {
      if (timedOut) return { answered: false, reason: `no answer from Alpaca within ${timeoutMs} ms` };
      return { answered: false, reason: scrub(`no answer from Alpaca: ${describeFailure(error)}`, [keyId, secretKey]) };
    } finally {
      cancelDeadline();
    }
  }

  /** Retry-After (seconds or an HTTP date), else Alpaca's X-RateLimit-Reset (epoch seconds). */
  #retryAfterMs(headers: Headers): number | null {
    const now = this.options.clock.now().getTime();
    const retryAfter = headers.get('retry-after');
    if (retryAfter !== null) {
      if (/^[0-9]+$/.test(retryAfter.trim())) return Number(retryAfter.trim()) * 1000;
      const at = Date.parse(retryAfter);
      if (!Number.isNaN(at)) return Math.max(0, at - now);
    }
    const reset = headers.get('x-ratelimit-reset');
    if (reset !== null && /^[0-9]+$/.test(reset.trim())) return Math.max(0, Number(reset.trim()) * 1000 - now);
    return null;
  }
}

function parseJson(text: string): unknown {
  if (text.length === 0) return null;
  try {
    return JSON.parse(text);
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
  if (status === 429) {
    const wait = answer.retryAfterMs === null ? '' : `; retry after ${Math.ceil(answer.retryAfterMs / 1000)} s`;
    return `rate limited by Alpaca (429)${wait}`;
  }
  if (status >= 500 || status === 408) return `Alpaca answered ${status}: ${alpacaMessage(answer.body)}`;
  return null;
}

/** In doubt, with the venue's Retry-After when it gave one (the port's retryAfterMs). */
function unknown(reason: string, answer: HttpAnswer): { outcome: 'unknown'; reason: string; retryAfterMs?: number } {
  return answer.answered && answer.retryAfterMs !== null ? { outcome: 'unknown', reason, retryAfterMs: answer.retryAfterMs } : { outcome: 'unknown', reason };
}

/** A read the venue refused with 429: the port's VenueThrottled, so the gateway waits as told. */
export function throttled(answer: HttpAnswer, what: string): VenueThrottled | null {
  if (!answer.answered || answer.status !== 429) return null;
  return new VenueThrottled(`${what}: ${inDoubt(answer)}`, answer.retryAfterMs ?? 1_000);
}

export function submitOutcomeOf(answer: HttpAnswer): SubmitOutcome {
  const doubt = inDoubt(answer);
  if (doubt !== null || !answer.answered) return unknown(doubt ?? 'no answer', answer);
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
  if (doubt !== null || !answer.answered) return unknown(doubt ?? 'no answer', answer);
  const { status, body } = answer;
  if (status >= 200 && status < 300) return { outcome: 'requested' };
  // Documented for DELETE /v2/orders/{id}: 404 not found, 422 "the order status is not cancelable".
  if (status >= 400 && status < 500) return { outcome: 'rejected', reason: `Alpaca ${status}: ${alpacaMessage(body)}` };
  return { outcome: 'unknown', reason: `Alpaca answered an unexpected ${status}` };
}
