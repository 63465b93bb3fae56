/**
 * Everything between the gateway and one venue: the rate governor (cancels first, 429 and
 * Retry-After honoured), a circuit breaker (cockatiel; consecutive unknown outcomes and failed
 * lookups open it, a rejection is the venue working), a timeout on every call, and the book of
 * submits still on their way (sendsOnTheirWay.ts).
 * Invariants:
 * - An answer that does not arrive in time is `unknown`, never a failure: the venue may have
 *   acted on the request.
 * - A send is over only when its request is over: a lookup of an order whose submit is still on
 *   its way (`sends`) waits for it, at most until sendCapMs after it left, after which it fails,
 *   never `absent`. The executor asks `sends` too, and sends nothing again meanwhile.
 * - `not_sent` is reported only when nothing reached the venue (breaker open, the caller's
 *   last check refused, or the adapter itself sent nothing), so it is not counted as an attempt.
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
import { SEND_CAP_MS, SendsOnTheirWay } from './sendsOnTheirWay.ts';

export interface GuardOptions {
  /**
   * How long a caller waits for an answer before it is told `unknown` and the breaker counts a
   * failure. The request itself goes on to the adapter's own deadline, bounded by sendCapMs.
   */
  readonly timeoutMs: number;
  /** Consecutive failures that open the breaker. */
  readonly breakerFailures: number;
  /** How long the breaker stays open before it lets one request through to test the venue. */
  readonly halfOpenAfterMs: number;
  readonly rate: GovernorOptions;
  /**
   * The longest a submit counts as on its way, from when it left: a hard cap for an adapter whose
   * own deadline never fires, so one hung call cannot hold its order forever. Default SEND_CAP_MS.
   */
  readonly sendCapMs?: number;
}

export const DEFAULT_GUARD_OPTIONS: GuardOptions = {
  timeoutMs: 5_000, breakerFailures: 5, halfOpenAfterMs: 10_000, rate: { ratePerSecond: 200, burst: 50 },
};

/**
 * not_sent: `withheld` by the caller's last check, refused by an open `circuit`, or not sent by
 * the `venue` adapter itself (no session). Nothing reached the venue.
 */
export type GuardedSubmit =
  | Exclude<SubmitOutcome, { readonly outcome: 'not_sent' }>
  | { readonly outcome: 'not_sent'; readonly cause: 'withheld' | 'circuit'; readonly reason: string; readonly retryAfterMs: number | null }
  | { readonly outcome: 'not_sent'; readonly cause: 'venue'; readonly reason: string; readonly retryAfterMs: number };

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

/**
 * The adapter sent nothing (no session). Not counted by the breaker: nothing went to the
 * venue, so there is nothing to spare it, and an open circuit would hold every lookup and
 * cancel back for its half-open wait after the session returns. The venue is paused for the
 * adapter's Retry-After instead.
 */
class NotSent extends Error {
  constructor(readonly reason: string, readonly retryAfterMs: number) {
    super(reason);
  }
}

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
  readonly #schedule: Schedule;
  /** Submits whose adapter call has not settled, whether or not anyone still waits for them. */
  readonly sends: SendsOnTheirWay;

  /** `sends`: the book of the guard this one succeeds (the venue's adapter was replaced), whose submits may still be on their way. */
  constructor(
    readonly raw: Venue & Partial<FillSimulator>,
    readonly options: GuardOptions,
    clock: Clock,
    schedule: Schedule,
    sends?: SendsOnTheirWay,
  ) {
    this.#schedule = schedule;
    this.sends = sends ?? new SendsOnTheirWay(options.sendCapMs ?? SEND_CAP_MS, clock, schedule);
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
        const outcome = await this.#timed(() => this.sends.track(request.clientOrderId, () => this.raw.submit(request)));
        if (outcome.outcome === 'not_sent') {
          this.governor.pauseFor(outcome.retryAfterMs);
          throw new NotSent(outcome.reason, outcome.retryAfterMs);
        }
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
      if (error instanceof NotSent) return { outcome: 'not_sent', cause: 'venue', reason: error.reason, retryAfterMs: error.retryAfterMs };
      if (this.#refused(error)) {
        return { outcome: 'not_sent', cause: 'circuit', reason: `not sent: the circuit to ${this.name} is open`, retryAfterMs: this.options.halfOpenAfterMs };
      }
      return { outcome: 'unknown', reason: this.#unknownReason(error) };
    }
  }

  async lookup(clientOrderId: string): Promise<GuardedLookup> {
    if ((await this.sends.settled(clientOrderId)) !== 'settled') {
      const reason = `the last submit of ${clientOrderId} to ${this.name} has not settled within ${this.sends.capMs} ms; it may still reach the venue`;
      return { kind: 'failed', reason, retryAfterMs: null };
    }
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
   * The call, or TaskCancelledError after timeoutMs. A timer of the Schedule port rather than
   * cockatiel's timeout policy, which made (and aborted) a signal per call that the venue's call
   * does not take; the call goes on after it (`sends` keeps track of it).
   */
  #timed<T>(work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const cancel = this.#schedule(() => reject(new TaskCancelledError(`timed out after ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      Promise.resolve().then(work).then(
        (value) => {
          cancel();
          resolve(value);
        },
        (error: unknown) => {
          cancel();
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
        if (outcome.outcome !== 'not_sent') return outcome;
        return outcome.cause === 'venue'
          ? { outcome: 'not_sent', reason: outcome.reason, retryAfterMs: outcome.retryAfterMs }
          : { outcome: 'unknown', reason: outcome.reason };
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
    if (raw.serving) venue.serving = () => raw.serving!();
    if (raw.simulateFills) venue.simulateFills = (clientOrderId, fills) => raw.simulateFills!(clientOrderId, fills);
    return venue;
  }
}

/** One guard per venue, made on first use from the venue the registry holds, or put when its adapter starts later. */
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

  /**
   * Guards a new adapter of a venue (started while the gateway runs, or replacing the one
   * before). A replaced adapter's submits still on their way stay on the new guard's book, so
   * no order is looked up as absent and sent again while its last submit may still arrive.
   */
  put(venue: Venue & Partial<FillSimulator>): VenueGuard {
    const before = this.get(venue.name);
    const guard = new VenueGuard(venue, this.optionsFor(venue.name), this.clock, this.schedule, before?.sends);
    this.#guards.set(venue.name, guard);
    return guard;
  }
}
