/**
 * When each venue is reconciled: once at start (orders for a venue wait until its first pass
 * has succeeded), every intervalMs after, and whenever a venue's report stream comes back
 * after a break. Passes of one venue never overlap: a pass asked for while one runs is run
 * once more after it. A venue whose start pass failed is retried every retryMs until one
 * succeeds. The latest run of each venue is kept here (and in the store) for the admin API
 * and the drift metric.
 */
import type { Schedule } from '../../ports/clock.ts';
import type { ReconciliationRun } from '../../ports/execution.ts';
import { servesHere, type Venue } from '../../ports/venue.ts';
import type { OrderContext } from '../context.ts';
import type { ExecutionReportProcessor } from '../executionReports.ts';
import { SubscriptionsByName } from '../subscriptionsByName.ts';
import { reconcileVenue, type PassOptions } from './reconcileVenue.ts';

export interface ReconcilerOptions extends PassOptions {
  readonly intervalMs: number;
  /** How soon a venue whose last pass failed is tried again (until its first success, and after). */
  readonly retryMs: number;
}

export const DEFAULT_RECONCILER_OPTIONS: ReconcilerOptions = { intervalMs: 60_000, retryMs: 5_000, fillsPageSize: 500, maxDetails: 50 };

interface VenueState {
  running: Promise<ReconciliationRun> | null;
  again: ReconciliationRun['trigger'] | null;
  reconciled: boolean;
  last: ReconciliationRun | null;
  cancelTimer: (() => void) | null;
}

export class Reconciler {
  readonly #states = new Map<string, VenueState>();
  /** Each venue's onStreamRestored subscription: a replaced adapter's is replaced. */
  readonly #restored = new SubscriptionsByName();
  #stopped = false;

  constructor(
    private readonly ctx: OrderContext,
    private readonly reports: ExecutionReportProcessor,
    private readonly venues: () => readonly Venue[],
    private readonly options: ReconcilerOptions,
    private readonly schedule: Schedule,
  ) {}

  /**
   * True once the venue's first pass since this instance started has succeeded, or while the
   * venue's session runs on another instance: that instance reconciles it.
   */
  isReconciled(venue: string): boolean {
    if (this.#states.get(venue)?.reconciled) return true;
    const adapter = this.venues().find((v) => v.name === venue);
    return adapter !== undefined && !servesHere(adapter);
  }

  lastRun(venue: string): ReconciliationRun | null {
    return this.#states.get(venue)?.last ?? null;
  }

  /**
   * Runs every venue's start pass (in parallel), then keeps reconciling on schedule and on
   * stream restores. A venue whose session runs on another instance is left to it (no run).
   */
  async start(): Promise<ReconciliationRun[]> {
    this.#stopped = false;
    for (const venue of this.venues()) this.#subscribe(venue);
    const runs = await Promise.all(this.venues().map((venue) => this.run(venue.name, 'start')));
    return runs.filter((run): run is ReconciliationRun => run !== null);
  }

  /**
   * A venue whose adapter started while the gateway runs, or was replaced: orders for it wait
   * again until a pass through the new adapter has succeeded, which starts now.
   */
  watch(venue: Venue): void {
    this.#subscribe(venue);
    this.#state(venue.name).reconciled = false;
    if (!this.#stopped) void this.run(venue.name, 'start');
  }

  #subscribe(venue: Venue): void {
    this.#restored.set(venue.name, venue.onStreamRestored?.(() => void this.run(venue.name, 'stream_restored')));
  }

  stop(): void {
    this.#stopped = true;
    this.#restored.clear();
    for (const state of this.#states.values()) state.cancelTimer?.();
  }

  /**
   * Runs a pass now, or once more right after the one running. Null, with no pass, while the
   * venue's session runs on another instance; the schedule goes on, so a takeover is reconciled
   * (also at once: the venue tells onStreamRestored).
   */
  run(venueName: string, trigger: ReconciliationRun['trigger']): Promise<ReconciliationRun | null> {
    const state = this.#state(venueName);
    if (state.running) {
      state.again = trigger;
      return state.running;
    }
    const venue = this.venues().find((v) => v.name === venueName);
    if (!venue) return Promise.reject(new Error(`venue ${venueName} is not connected`));
    if (!servesHere(venue)) {
      this.#plan(venueName, this.options.intervalMs);
      return Promise.resolve(null);
    }
    state.cancelTimer?.();
    state.running = reconcileVenue(this.ctx, this.reports, venueName, venue, trigger, this.options).then((run) => {
      state.running = null;
      state.last = run;
      if (run.status === 'ok') state.reconciled = true;
      this.#report(run);
      const again = state.again;
      state.again = null;
      if (again && !this.#stopped) void this.run(venueName, again);
      else this.#plan(venueName, run.status === 'ok' ? this.options.intervalMs : this.options.retryMs);
      return run;
    });
    return state.running;
  }

  async settled(): Promise<void> {
    for (;;) {
      const running = [...this.#states.values()].flatMap((state) => (state.running ? [state.running] : []));
      if (running.length === 0) return;
      await Promise.allSettled(running);
    }
  }

  #plan(venueName: string, delayMs: number): void {
    if (this.#stopped) return;
    const state = this.#state(venueName);
    state.cancelTimer?.();
    state.cancelTimer = this.schedule(() => void this.run(venueName, 'periodic'), delayMs);
  }

  #state(venue: string): VenueState {
    let state = this.#states.get(venue);
    if (!state) {
      state = { running: null, again: null, reconciled: false, last: null, cancelTimer: null };
      this.#states.set(venue, state);
    }
    return state;
  }

  #report(run: ReconciliationRun): void {
    const fields = { venue: run.venue, trigger: run.trigger, examined: run.examined, drift: run.drift, ms: run.finishedAt.getTime() - run.startedAt.getTime() };
    if (run.status === 'failed') this.ctx.log.error({ ...fields, err: run.error }, 'reconciliation failed; orders for this venue wait if it never succeeded');
    else if (run.drift > 0) {
      this.ctx.telemetry.anomaly('reconciliation_drift');
      this.ctx.log.warn({ ...fields, details: run.details.slice(0, 5) }, 'reconciliation corrected drift');
    } else this.ctx.log.info(fields, 'reconciled');
  }
}
