/**
 * The listener side of a connector: who hears its execution reports and its "stream restored"
 * signal, and the wait of start() for the stream. Every connector (brokers and FIX) keeps one.
 * Invariants: a listener that throws does not keep the report from the others (its error still
 * surfaces, on a microtask); "restored" fires on every live stream after the first, never on
 * the first; a start wait ends once, by the stream, a refusal, close() or its bound.
 */
import type { ExecutionReport, ExecutionReportListener } from '../../../ports/venue.ts';
import type { Schedule } from './brokerHttp.ts';

export class ReportChannel {
  readonly #listeners = new Set<ExecutionReportListener>();
  readonly #restoredListeners = new Set<() => void>();
  #liveBefore = false;
  #startWaiters: (() => void)[] = [];

  onExecutionReport(listener: ExecutionReportListener): () => void {
    const subscription: ExecutionReportListener = (report) => listener(report);
    this.#listeners.add(subscription);
    return () => {
      this.#listeners.delete(subscription);
    };
  }

  onStreamRestored(listener: () => void): () => void {
    const subscription = () => listener();
    this.#restoredListeners.add(subscription);
    return () => {
      this.#restoredListeners.delete(subscription);
    };
  }

  deliver(report: ExecutionReport): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(report);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** The stream is live: ends the start wait, and after a break tells the restored listeners. */
  streamLive(): void {
    this.releaseStart();
    if (this.#liveBefore) for (const listener of [...this.#restoredListeners]) listener();
    this.#liveBefore = true;
  }

  /** Calls `begin`, then waits until the stream is live, releaseStart() is called, or `boundMs` passes. */
  async waitForStart(schedule: Schedule, boundMs: number, begin: () => void): Promise<void> {
    const started = new Promise<void>((resolve) => this.#startWaiters.push(resolve));
    const cancel = schedule(() => this.releaseStart(), boundMs);
    begin();
    await started;
    cancel();
  }

  releaseStart(): void {
    const waiters = this.#startWaiters;
    this.#startWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
