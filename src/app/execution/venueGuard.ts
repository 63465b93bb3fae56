/**
 * Everything between the gateway and one venue: the rate governor (cancels first, 429 and
 * Retry-After honoured), a circuit breaker (cockatiel; consecutive unknown outcomes and failed
 * lookups open it, a rejection is the venue working) and a timeout on every call.
 * Invariants:
 * - An answer that does not arrive in time is `unknown`, never a failure: the venue may have
 *   acted on the request.
 * - `not_sent` is reported only when the venue was never called (breaker open, the caller's
 *   last check refused), so an attempt that was not sent is not counted as one.
 * - A throttled answer pauses the whole venue and does not count against the breaker.
 * `venue` is the same guard as a plain Venue, for the use cases that call venues directly.
 */
import {
  BrokenCircuitError, circuitBreaker, CircuitState, ConsecutiveBreaker, handleWhen, IsolatedCircuitError, TaskCancelledError,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import type { Clock, Schedule } from '../../ports/clock.ts';
import {
  VenueThrottled, type CancelOutcome, type FillSimulator, type SubmitOutcome, type Venue, type VenueOrderRequest, type VenueOrderView,
} from '../../ports/venue.ts';
import { RateGovernor, type GovernorOptions, type RequestPriority } from './governor.ts';

export interface GuardOptions {
  readonly timeoutMs: number;
  /** Consecutive failures that open the breaker. */
  readonly breakerFailures: number;
  /** How long the breaker stays open before it lets one request through to test the venue. */
  readonly halfOpenAfterMs: number;
  readonly rate: GovernorOptions;
}

export const DEFAULT_GUARD_OPTIONS: GuardOptions = {
  timeoutMs: 5_000, breakerFailures: 5, halfOpenAfterMs: 10_000, rate: { ratePerSecond: 200, burst: 50 },
};

/** not_sent: `withheld` by the caller's last check, or refused by an open `circuit`. The venue was not called. */
export type GuardedSubmit =
  | SubmitOutcome
  | { readonly outcome: 'not_sent'; readonly cause: 'withheld' | 'circuit'; readonly reason: string; readonly retryAfterMs: number | null };

export type GuardedLookup =
  | { readonly kind: 'found'; readonly view: VenueOrderView }
  | { readonly kind: 'absent' }
  | { readonly kind: 'failed'; readonly reason: string; readonly retryAfterMs: number | null };

/** Thrown inside the breaker so that it counts; carries what the caller gets back. */
class Unanswered extends Error {
  constructor(readonly reason: string, readonly retryAfterMs: number | null = null) {
    super(reason);
  }
}

/** The caller's last check refused the send; the venue was not called. */
class Withheld extends Error {}

const THROTTLE_TEXT = /retry after (\d+(?:\.\d+)?) ?s/i;

/** The venue's Retry-After, from the outcome's field or, for connectors that only say it, from the reason. */
function retryAfterOf(outcome: { reason: string; retryAfterMs?: number }): number | null {
  if (outcome.retryAfterMs !== undefined) return outcome.retryAfterMs;
  const match = THROTTLE_TEXT.exec(outcome.reason);
  return match ? Math.round(Number(match[1]) * 1000) : null;
}

export class VenueGuard {
  readonly governor: RateGovernor;
  readonly venue: Venue & Partial<FillSimulator>;
  readonly #breaker: CircuitBreakerPolicy;

  constructor(
    readonly raw: Venue & Partial<FillSimulator>,
    readonly options: GuardOptions,
    clock: Clock,
    schedule: Schedule,
  ) {
    this.governor = new RateGovernor(options.rate, clock, schedule);
    this.#breaker = circuitBreaker(handleWhen((error) => error instanceof Unanswered || error instanceof TaskCancelledError), {
      halfOpenAfter: options.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(options.breakerFailures),
    });
    this.venue = this.#asVenue();
  }

  get name(): string {
    return this.raw.name;
  }

  breakerState(): 'closed' | 'open' | 'half_open' {
    const state = this.#breaker.state;
    return state === CircuitState.Closed ? 'closed' : state === CircuitState.HalfOpen ? 'half_open' : 'open';
  }

  /**
   * `beforeSend` runs once the request may leave, told whether it had to wait its turn at the
   * rate governor; false (or a throw) withholds it: `not_sent`.
   */
  async submit(request: VenueOrderRequest, beforeSend: (waited: boolean) => Promise<boolean>): Promise<GuardedSubmit> {
    const waited = await this.governor.acquire('submit');
    try {
      return await this.#breaker.execute(async () => {
        const go = await beforeSend(waited).catch((error: unknown) => {
          throw new Withheld(`not sent: ${error instanceof Error ? error.message : String(error)}`);
        });
        if (!go) throw new Withheld('not sent: withheld before sending (the dispatch lease was lost, or the order changed)');
        const outcome = await this.#timed(() => this.raw.submit(request));
        if (outcome.outcome !== 'unknown') return outcome;
        const retryAfterMs = retryAfterOf(outcome);
        if (retryAfterMs !== null) {
          this.governor.pauseFor(retryAfterMs);
          return { ...outcome, retryAfterMs };
        }
        throw new Unanswered(outcome.reason);
      });
    } catch (error) {
      if (error instanceof Withheld) return { outcome: 'not_sent', cause: 'withheld', reason: error.message, retryAfterMs: null };
      if (this.#refused(error)) {
        return { outcome: 'not_sent', cause: 'circuit', reason: `not sent: the circuit to ${this.name} is open`, retryAfterMs: this.options.halfOpenAfterMs };
      }
      return { outcome: 'unknown', reason: this.#unknownReason(error) };
    }
  }

  async lookup(clientOrderId: string): Promise<GuardedLookup> {
    return this.#call('lookup', () => this.raw.lookup(clientOrderId)).then(
      (view): GuardedLookup => (view ? { kind: 'found', view } : { kind: 'absent' }),
      (error: unknown): GuardedLookup => ({
        kind: 'failed',
        reason: this.#refused(error) ? `the circuit to ${this.name} is open` : this.#unknownReason(error),
        retryAfterMs: error instanceof VenueThrottled ? error.retryAfterMs : this.#refused(error) ? this.options.halfOpenAfterMs : null,
      }),
    );
  }

  async cancel(clientOrderId: string): Promise<CancelOutcome> {
    try {
      return await this.#call('cancel', async () => {
        const outcome = await this.raw.cancel(clientOrderId);
        if (outcome.outcome !== 'unknown') return outcome;
        const retryAfterMs = retryAfterOf(outcome);
        if (retryAfterMs !== null) throw new VenueThrottled(outcome.reason, retryAfterMs);
        throw new Unanswered(outcome.reason);
      });
    } catch (error) {
      const retryAfterMs = error instanceof VenueThrottled ? error.retryAfterMs : undefined;
      const reason = this.#refused(error) ? `not sent: the circuit to ${this.name} is open` : this.#unknownReason(error);
      return { outcome: 'unknown', reason, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    }
  }

  /** Governor, breaker and timeout around a call whose failure is a thrown error. */
  async #call<T>(priority: RequestPriority, work: () => Promise<T>): Promise<T> {
    await this.governor.acquire(priority);
    return this.#breaker.execute(async () => {
      try {
        return await this.#timed(work);
      } catch (error) {
        if (error instanceof VenueThrottled) {
          this.governor.pauseFor(error.retryAfterMs);
          throw error;
        }
        if (error instanceof TaskCancelledError || error instanceof Unanswered) throw error;
        throw new Unanswered(error instanceof Error ? error.message : String(error));
      }
    });
  }

  /**
   * The call, or TaskCancelledError after timeoutMs. A plain timer: the venue's call takes no
   * abort signal, and cockatiel's timeout policy made (and aborted) one per call.
   */
  #timed<T>(work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new TaskCancelledError(`timed out after ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      Promise.resolve().then(work).then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  #refused(error: unknown): boolean {
    return error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError;
  }

  #unknownReason(error: unknown): string {
    if (error instanceof TaskCancelledError) return `no answer from ${this.name} within ${this.options.timeoutMs} ms`;
    return error instanceof Error ? error.message : String(error);
  }

  #asVenue(): Venue & Partial<FillSimulator> {
    const raw = this.raw;
    const venue: Venue & Partial<FillSimulator> = {
      name: raw.name,
      start: () => raw.start(),
      close: () => raw.close(),
      healthy: () => raw.healthy() && this.breakerState() !== 'open',
      onExecutionReport: (listener) => raw.onExecutionReport(listener),
      submit: async (request) => {
        const outcome = await this.submit(request, async () => true);
        return outcome.outcome === 'not_sent' ? { outcome: 'unknown', reason: outcome.reason } : outcome;
      },
      cancel: (clientOrderId) => this.cancel(clientOrderId),
      lookup: async (clientOrderId) => {
        const found = await this.lookup(clientOrderId);
        if (found.kind === 'failed') throw new Error(found.reason);
        return found.kind === 'found' ? found.view : null;
      },
    };
    if (raw.openOrders) venue.openOrders = () => this.#call('lookup', () => raw.openOrders!());
    if (raw.fillsSince) venue.fillsSince = (cursor, limit) => this.#call('lookup', () => raw.fillsSince!(cursor, limit));
    if (raw.onStreamRestored) venue.onStreamRestored = (listener) => raw.onStreamRestored!(listener);
    if (raw.simulateFills) venue.simulateFills = (clientOrderId, fills) => raw.simulateFills!(clientOrderId, fills);
    return venue;
  }
}

/** One guard per venue, made on first use from the venue the registry holds. */
export class VenueGuards {
  readonly #guards = new Map<string, VenueGuard>();

  constructor(
    private readonly venueOf: (name: string) => (Venue & Partial<FillSimulator>) | undefined,
    private readonly optionsFor: (name: string) => GuardOptions,
    private readonly clock: Clock,
    private readonly schedule: Schedule,
  ) {}

  get(name: string): VenueGuard | undefined {
    const existing = this.#guards.get(name);
    if (existing) return existing;
    const venue = this.venueOf(name);
    if (!venue) return undefined;
    const guard = new VenueGuard(venue, this.optionsFor(name), this.clock, this.schedule);
    this.#guards.set(name, guard);
    return guard;
  }
}
