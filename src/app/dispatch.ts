/**
 * Hands committed orders to their venue: the front door of the execution core (execution/).
 * Every order is committed together with a durable dispatch intent; dispatch() only wakes the
 * executor, which claims intents with a lease, sends with the same client order id on every
 * attempt, looks the order up before any retry, and records each attempt in the audit trail.
 * A submit ends accepted, rejected (definitive) or unknown; unknown is never treated as failed.
 * An intent for a venue whose session runs on another instance (Venue.serving) is that
 * instance's to claim: dispatch() tells it through the store's dispatch signal, if it has one.
 */
import type { Order } from '../domain/order/order.ts';
import { systemClock, systemSchedule, type Clock, type Schedule } from '../ports/clock.ts';
import type { Venue } from '../ports/venue.ts';
import { sendsTo, standsBy, type OrderContext } from './context.ts';
import { SubscriptionsByName } from './subscriptionsByName.ts';
import type { ExecutionReportProcessor } from './executionReports.ts';
import { DEFAULT_EXECUTOR_OPTIONS, Executor, type ExecutorOptions } from './execution/executor.ts';
import { DEFAULT_GUARD_OPTIONS, VenueGuards } from './execution/venueGuard.ts';
import type { ClaimedOnCommit } from './execution/intents.ts';

export { venueRequest } from './execution/intents.ts';

export interface DispatchOptions {
  readonly executor?: Partial<ExecutorOptions>;
  /** The venues as the executor reaches them; by default each registry venue behind default guards. */
  readonly guards?: VenueGuards;
  readonly clock?: Clock;
  readonly schedule?: Schedule;
  /** Jitter's randomness, [0, 1). */
  readonly random?: () => number;
}

export class Dispatcher {
  readonly executor: Executor;
  readonly guards: VenueGuards;

  #stopAnnounced: (() => void) | null = null;
  readonly #restored = new SubscriptionsByName();

  constructor(private readonly ctx: OrderContext, reports: ExecutionReportProcessor, options: DispatchOptions = {}) {
    const clock = options.clock ?? systemClock;
    const schedule = options.schedule ?? systemSchedule;
    this.guards = options.guards ?? new VenueGuards((name) => ctx.venues.get(name), () => DEFAULT_GUARD_OPTIONS, clock, schedule);
    const executorOptions: ExecutorOptions = { owner: `instance-${ctx.ids.next()}`, ...DEFAULT_EXECUTOR_OPTIONS, ...options.executor };
    this.executor = new Executor(ctx, reports, (name) => this.guards.get(name), executorOptions, clock, schedule, options.random);
  }

  /** What a new order's commit carries so that it is sent as soon as it is durable (Executor.claimOnCommit). */
  prepare(order: Order, at: Date): ClaimedOnCommit | null {
    return this.executor.claimOnCommit(order, at);
  }

  /**
   * The order and its intent are committed: send it now if prepare() claimed it, otherwise let
   * the executor claim it now rather than at its next poll.
   */
  dispatch(order: Order, claimed: ClaimedOnCommit | null = null): void {
    if (claimed) {
      this.executor.runClaimed(claimed, order);
      return;
    }
    this.executor.wake();
    if (standsBy(this.ctx.venues, order.venue)) this.ctx.store.dispatchSignal?.announce(order.venue);
  }

  /**
   * Starts polling for intents of other instances whose lease lapsed, and backoffs that ended,
   * and listens for intents other instances commit for venues whose session runs here.
   */
  start(): Promise<void> {
    const announced = this.ctx.store.dispatchSignal?.onAnnounced((name) => {
      if (sendsTo(this.ctx.venues, name)) this.executor.wake();
    });
    this.#stopAnnounced = announced ?? null;
    for (const name of this.ctx.venues.names()) this.#watchRestored(this.ctx.venues.get(name)!);
    return this.executor.start();
  }

  /** A venue whose adapter started while the gateway runs, or was replaced: what waited for it may go now. */
  watch(venue: Venue): void {
    this.#watchRestored(venue);
    this.executor.wake();
  }

  stop(): void {
    this.#stopAnnounced?.();
    this.#stopAnnounced = null;
    this.#restored.clear();
    this.executor.stop();
  }

  /** A session back (a reconnect, or a takeover from another instance): what waited for it is due. */
  #watchRestored(venue: Venue): void {
    this.#restored.set(venue.name, venue.onStreamRestored?.(() => this.executor.wake()));
  }

  /** Resolves when every send started so far has been answered and recorded. */
  settled(): Promise<void> {
    return this.executor.settled();
  }
}
