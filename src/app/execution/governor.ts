/**
 * The rate governor of one venue: a token bucket every request to the venue passes through,
 * with a priority queue in front of it (cancels first, then lookups, then new orders) and a
 * pause that honours the venue's 429 / Retry-After for every request, not just the one refused.
 * Invariants: no more than `burst` requests in any instant and `ratePerSecond` sustained; no
 * request leaves while paused; within a priority, requests leave in arrival order; a waiting
 * cancel always leaves before a waiting submit. Time comes from the Clock and Schedule ports.
 */
import type { Clock, Schedule } from '../../ports/clock.ts';

export type RequestPriority = 'cancel' | 'lookup' | 'submit';
const ORDER: readonly RequestPriority[] = ['cancel', 'lookup', 'submit'];

export interface GovernorOptions {
  readonly ratePerSecond: number;
  readonly burst: number;
}

export class RateGovernor {
  readonly #queues: Record<RequestPriority, Array<() => void>> = { cancel: [], lookup: [], submit: [] };
  #tokens: number;
  #refilledAt: number;
  #pausedUntil = 0;
  #wakeAt: number | null = null;
  #cancelWake: (() => void) | null = null;

  constructor(
    private readonly options: GovernorOptions,
    private readonly clock: Clock,
    private readonly schedule: Schedule,
  ) {
    if (!(options.ratePerSecond > 0) || !(options.burst >= 1)) throw new RangeError('a governor needs ratePerSecond > 0 and burst ≥ 1');
    this.#tokens = options.burst;
    this.#refilledAt = clock.now().getTime();
  }

  /** Resolves when a request of this priority may be sent: true if it had to wait its turn, false if it went at once. */
  acquire(priority: RequestPriority): Promise<boolean> {
    return new Promise((resolve) => {
      let waiting = false;
      this.#queues[priority].push(() => resolve(waiting));
      this.#pump();
      waiting = true;
    });
  }

  /** The venue said "retry after": nothing is sent before then. A shorter pause never shortens a longer one. */
  pauseFor(ms: number): void {
    const until = this.clock.now().getTime() + Math.max(0, ms);
    if (until <= this.#pausedUntil) return;
    this.#pausedUntil = until;
    this.#pump();
  }

  pausedUntil(): Date | null {
    return this.#pausedUntil > this.clock.now().getTime() ? new Date(this.#pausedUntil) : null;
  }

  waiting(): number {
    return ORDER.reduce((sum, priority) => sum + this.#queues[priority].length, 0);
  }

  #pump(): void {
    const now = this.clock.now().getTime();
    this.#refill(now);
    for (;;) {
      const queue = ORDER.map((priority) => this.#queues[priority]).find((q) => q.length > 0);
      if (!queue) return;
      if (now < this.#pausedUntil) return this.#wakeAtTime(this.#pausedUntil);
      if (this.#tokens < 1) return this.#wakeAtTime(now + Math.ceil(((1 - this.#tokens) * 1000) / this.options.ratePerSecond));
      this.#tokens -= 1;
      queue.shift()!();
    }
  }

  #refill(now: number): void {
    const earned = ((now - this.#refilledAt) * this.options.ratePerSecond) / 1000;
    this.#tokens = Math.min(this.options.burst, this.#tokens + earned);
    this.#refilledAt = now;
  }

  #wakeAtTime(at: number): void {
    if (this.#wakeAt !== null && this.#wakeAt <= at) return;
    this.#cancelWake?.();
    this.#wakeAt = at;
    this.#cancelWake = this.schedule(() => {
      this.#wakeAt = null;
      this.#cancelWake = null;
      this.#pump();
    }, at - this.clock.now().getTime());
  }
}
