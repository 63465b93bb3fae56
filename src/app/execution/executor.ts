/**
 * The executor loop that runs on every gateway instance: it claims due dispatch intents with
 * a lease (the store makes claims of concurrent instances disjoint), or takes the intent of an
 * order this instance commits in that very commit (claimOnCommit), runs each one (attempt.ts)
 * and wakes again when an intent's backoff ends, when a new order is committed (wake), and,
 * once started, every pollMs to pick up intents whose lease lapsed on another instance.
 * Invariants: an intent is run by at most one task of this instance at a time (a re-claim of an
 * intent still running here is ignored); at most maxInFlight intents run at once; timers come
 * from the Schedule port, so tests drive the loop on a hand-moved clock.
 */
import type { Clock, Schedule } from '../../ports/clock.ts';
import type { DispatchIntent } from '../../ports/execution.ts';
import { sendsTo, type OrderContext } from '../context.ts';
import type { ExecutionReportProcessor } from '../executionReports.ts';
import type { Order } from '../../domain/order/order.ts';
import { runClaimedOnCommit, runIntent, type AttemptDeps } from './attempt.ts';
import { claimedOnCommit, DEFAULT_RETRY_POLICY, leaseToken, type ClaimedOnCommit, type RetryPolicy } from './intents.ts';
import type { VenueGuard } from './venueGuard.ts';

export interface ExecutorOptions {
  /** This instance's name on its leases. A stable name lets a restarted instance resume its own work at once. */
  readonly owner: string;
  readonly policy: RetryPolicy;
  /**
   * How long a claim holds an intent. Renewed before each send (to outlast the guard's wait for
   * the answer) and, while a submit the guard stopped waiting for is still on its way, until it
   * settles (attempt.ts holdWhileSending), so no other instance claims an order mid-request.
   */
  readonly leaseMs: number;
  readonly pollMs: number;
  readonly maxInFlight: number;
  readonly claimBatch: number;
}

export const DEFAULT_EXECUTOR_OPTIONS: Omit<ExecutorOptions, 'owner'> = {
  policy: DEFAULT_RETRY_POLICY, leaseMs: 15_000, pollMs: 1_000, maxInFlight: 256, claimBatch: 64,
};

export class Executor {
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #deps: AttemptDeps;
  #cycle: Promise<void> | null = null;
  #again = false;
  /** The last claim was full: more may be due, so a finished task wakes the loop. */
  #backlog = false;
  /** Times an intent of ours falls due, ascending; the earliest has a timer. */
  #dueTimes: number[] = [];
  #timerAt: number | null = null;
  #cancelWake: (() => void) | null = null;
  #cancelPoll: (() => void) | null = null;
  #stopped = false;

  constructor(
    private readonly ctx: OrderContext,
    reports: ExecutionReportProcessor,
    guard: (venue: string) => VenueGuard | undefined,
    private readonly options: ExecutorOptions,
    private readonly clock: Clock,
    private readonly schedule: Schedule,
    random: () => number = Math.random,
  ) {
    this.#deps = { ctx, reports, guard, policy: options.policy, owner: options.owner, leaseMs: options.leaseMs, random };
  }

  /** Frees leases a previous life of this instance left, then polls. */
  async start(): Promise<void> {
    const released = await this.ctx.store.execution.releaseDispatchLeases(this.options.owner);
    if (released > 0) this.ctx.log.info({ owner: this.options.owner, released }, 'resuming dispatch intents leased before a restart');
    this.#stopped = false;
    this.#poll();
    this.wake();
  }

  stop(): void {
    this.#stopped = true;
    this.#cancelPoll?.();
    this.#cancelWake?.();
    this.#cancelPoll = null;
    this.#cancelWake = null;
    this.#timerAt = null;
    this.#dueTimes = [];
  }

  /**
   * For an order about to be committed: its intent, leased to this instance with the first
   * attempt started, when there is room to send it at once; null leaves it to a claim.
   */
  claimOnCommit(order: Order, at: Date): ClaimedOnCommit | null {
    if (this.#stopped || this.#inFlight.size >= this.options.maxInFlight) return null;
    if (!sendsTo(this.ctx.venues, order.venue)) return null;
    return claimedOnCommit(this.ctx.ids, order, this.options.owner, this.options.leaseMs, at);
  }

  /**
   * The venues whose intents this instance claims: those it has an adapter for and runs the
   * session of (Venue.serving). Another venue's intents are left to an instance that can send
   * them (a FIX session running elsewhere, an adapter started there first), never held here.
   */
  #claimable(): string[] {
    return this.ctx.venues.names().filter((name) => sendsTo(this.ctx.venues, name));
  }

  /** The order and what claimOnCommit() gave are committed: send it now. */
  runClaimed(claimed: ClaimedOnCommit, order: Order): void {
    // Stopping: the lease lapses, and whoever claims the intent next looks the order up first.
    if (this.#stopped) return;
    this.#run(claimed.intent, () => runClaimedOnCommit(this.#deps, claimed.intent, order));
  }

  /** Claims and runs whatever is due now. Cheap to call often: concurrent calls coalesce. */
  wake(): void {
    if (this.#stopped) return;
    if (this.#cycle) {
      this.#again = true;
      return;
    }
    this.#cycle = this.#claimWhileDue()
      .catch((error: unknown) => {
        this.ctx.log.error({ err: String(error) }, 'claiming dispatch intents failed; retrying at the next poll');
        this.#wakeAtTime(this.clock.now().getTime() + this.options.pollMs);
      })
      .finally(() => {
        this.#cycle = null;
        if (this.#again) {
          this.#again = false;
          this.wake();
        }
      });
  }

  /** Resolves when no claim or intent is running (retries scheduled for later are not waited for). */
  async settled(): Promise<void> {
    while (this.#cycle || this.#inFlight.size > 0) {
      await Promise.allSettled([this.#cycle, ...this.#inFlight.values()]);
    }
  }

  inFlight(): number {
    return this.#inFlight.size;
  }

  async #claimWhileDue(): Promise<void> {
    for (;;) {
      this.#again = false;
      const room = this.options.maxInFlight - this.#inFlight.size;
      if (room <= 0) {
        this.#backlog = true;
        return;
      }
      const limit = Math.min(room, this.options.claimBatch);
      const claimed = await this.ctx.store.execution.claimDispatchIntents({
        owner: leaseToken(this.options.owner, this.ctx.ids), now: this.clock.now(), leaseMs: this.options.leaseMs, limit, venues: this.#claimable(),
      });
      for (const intent of claimed) this.#run(intent, () => runIntent(this.#deps, intent));
      this.#backlog = claimed.length === limit;
      if (!this.#backlog) return;
    }
  }

  /**
   * Runs a claimed intent's turn. A claim of an order whose earlier task is still running here
   * (that task gave its lease up, or outlived it) runs once that task is over, under its own
   * lease: the earlier task's writes are fenced out by then (leaseToken), and dropping the claim
   * would leave the order to wait out a lease no one works under.
   */
  #run(intent: DispatchIntent, turn: () => Promise<Date | null>): void {
    const earlier = this.#inFlight.get(intent.orderId);
    const task: Promise<void> = (earlier ? earlier.then(turn) : turn())
      .then((next) => {
        if (next) this.#wakeAtTime(next.getTime());
      })
      .catch((error: unknown) => {
        this.ctx.log.error({ orderId: intent.orderId, err: String(error) }, 'dispatch attempt failed; the intent is retried when its lease lapses');
        this.#wakeAtTime(this.clock.now().getTime() + this.options.leaseMs);
      })
      .finally(() => {
        if (this.#inFlight.get(intent.orderId) === task) this.#inFlight.delete(intent.orderId);
        if (this.#backlog) this.wake();
      });
    this.#inFlight.set(intent.orderId, task);
  }

  #wakeAtTime(at: number): void {
    if (this.#stopped) return;
    const index = this.#dueTimes.findIndex((time) => time >= at);
    if (this.#dueTimes[index] === at) return;
    this.#dueTimes.splice(index === -1 ? this.#dueTimes.length : index, 0, at);
    this.#armTimer();
  }

  #armTimer(): void {
    const next = this.#dueTimes[0];
    if (next === undefined || this.#timerAt === next) return;
    this.#cancelWake?.();
    this.#timerAt = next;
    this.#cancelWake = this.schedule(() => {
      this.#timerAt = null;
      this.#cancelWake = null;
      const now = this.clock.now().getTime();
      while (this.#dueTimes.length > 0 && this.#dueTimes[0]! <= now) this.#dueTimes.shift();
      this.wake();
      this.#armTimer();
      // A little late rather than early: a timer that beats the stored due time claims nothing.
    }, Math.max(0, next - this.clock.now().getTime()) + 2);
  }

  #poll(): void {
    this.#cancelPoll = this.schedule(() => {
      if (this.#stopped) return;
      this.wake();
      this.#poll();
    }, this.options.pollMs);
  }
}
