/**
 * HTTP to a broker's REST API, as every broker connector needs it: each request bounded by a
 * deadline on the injected scheduler, the answer read whole, and anything short of an answer
 * (timeout, reset, refused connection) reported as "not answered" with a reason, never thrown.
 * What an answer means (accepted, refused, in doubt) is the connector's business; the helpers
 * here are the parts of that reading every broker shares: Retry-After, and how a 429 or an
 * answer in doubt becomes the port's `unknown` or VenueThrottled.
 * Invariants: the credentials travel only in the headers the connector builds; every reason
 * this module writes is scrubbed of them; time is read from the injected clock only.
 */
import type { Clock, Schedule } from '../../../ports/clock.ts';
import { VenueThrottled } from '../../../ports/venue.ts';
import { scrub, type Secret } from '../credentials.ts';

export type { Schedule } from '../../../ports/clock.ts';

/** Real timers that keep the process alive while they are pending (a request deadline, a reconnect). */
export const realTimeSchedule: Schedule = (fn, delayMs) => {
  const handle = setTimeout(fn, Math.max(0, delayMs));
  return () => clearTimeout(handle);
};

export type HttpAnswer =
  | { readonly answered: true; readonly status: number; readonly body: unknown; readonly retryAfterMs: number | null }
  | { readonly answered: false; readonly reason: string };

export interface BrokerHttpOptions {
  /** The broker's name as messages say it ("Alpaca", "Kite"). */
  readonly broker: string;
  readonly baseUrl: string;
  /** The headers every request carries, credentials included. */
  readonly headers: () => Record<string, string>;
  /** Scrubbed from every reason this client writes. */
  readonly secrets: readonly Secret[];
  readonly schedule: Schedule;
  readonly clock: Clock;
  readonly timeoutMs: number;
  /** Reads a body's text; throws on a body that is not what the broker sends. */
  readonly parse: (text: string) => unknown;
  /** A header the broker uses instead of Retry-After: the epoch second the limit resets. */
  readonly resetHeader?: string;
}

export interface RequestBody {
  readonly contentType: string;
  readonly text: string;
}

export class BrokerHttp {
  constructor(private readonly options: BrokerHttpOptions) {}

  async request(method: 'GET' | 'POST' | 'DELETE', path: string, body?: RequestBody): Promise<HttpAnswer> {
    const { broker, baseUrl, schedule, timeoutMs } = this.options;
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
        headers: { ...this.options.headers(), ...(body ? { 'content-type': body.contentType } : {}) },
        ...(body ? { body: body.text } : {}),
      });
      const text = await response.text();
      return { answered: true, status: response.status, body: this.#parse(text), retryAfterMs: this.#retryAfterMs(response.headers) };
    } catch (error) {
      if (timedOut) return { answered: false, reason: `no answer from ${broker} within ${timeoutMs} ms` };
      return { answered: false, reason: scrub(`no answer from ${broker}: ${describeFailure(error)}`, this.options.secrets) };
    } finally {
      cancelDeadline();
    }
  }

  #parse(text: string): unknown {
    if (text.length === 0) return null;
    try {
      return this.options.parse(text);
    } catch {
      return null;
    }
  }

  /** Retry-After (seconds or an HTTP date), else the broker's reset header (epoch seconds). */
  #retryAfterMs(headers: Headers): number | null {
    const now = this.options.clock.now().getTime();
    const retryAfter = headers.get('retry-after')?.trim();
    if (retryAfter) {
      if (/^[0-9]+$/.test(retryAfter)) return Number(retryAfter) * 1000;
      const at = Date.parse(retryAfter);
      if (!Number.isNaN(at)) return Math.max(0, at - now);
    }
    const reset = this.options.resetHeader ? headers.get(this.options.resetHeader)?.trim() : undefined;
    if (reset && /^[0-9]+$/.test(reset)) return Math.max(0, Number(reset) * 1000 - now);
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

/** "rate limited by X (429); retry after N s", the text the venue guard also reads a wait from. */
export function rateLimitedText(broker: string, answer: HttpAnswer & { answered: true }): string {
  const wait = answer.retryAfterMs === null ? '' : `; retry after ${Math.ceil(answer.retryAfterMs / 1000)} s`;
  return `rate limited by ${broker} (429)${wait}`;
}

/** In doubt, with the venue's Retry-After when it gave one (the port's retryAfterMs). */
export function unknownOutcome(reason: string, answer: HttpAnswer): { outcome: 'unknown'; reason: string; retryAfterMs?: number } {
  return answer.answered && answer.retryAfterMs !== null ? { outcome: 'unknown', reason, retryAfterMs: answer.retryAfterMs } : { outcome: 'unknown', reason };
}

/** A read the venue refused with 429: the port's VenueThrottled, so the gateway waits as told. */
export function throttledRead(answer: HttpAnswer, what: string, doubt: string | null): VenueThrottled | null {
  if (!answer.answered || answer.status !== 429) return null;
  return new VenueThrottled(`${what}: ${doubt}`, answer.retryAfterMs ?? 1_000);
}
