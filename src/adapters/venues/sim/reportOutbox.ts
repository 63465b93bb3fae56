/**
 * Delivers the simulated exchange's execution reports with latency, as a network would, but
 * never out of order for one order: a report is delivered once its own delay has passed and
 * every earlier report of the same order has been delivered.
 * Invariant: per key, delivery order equals posting order, whatever the delays and however
 * the scheduler orders its callbacks.
 */
import type { ExecutionReport } from '../../../ports/venue.ts';

/** Runs `fn` once after `delayMs`; may return a function that cancels it. Must not run fn synchronously. */
export type Schedule = (fn: () => void, delayMs: number) => void | (() => void);

interface Pending {
  readonly report: ExecutionReport;
  readonly onDelivered: (() => void) | undefined;
  ready: boolean;
}

export class ReportOutbox {
  readonly #queues = new Map<string, Pending[]>();

  constructor(
    private readonly schedule: Schedule,
    private readonly deliver: (report: ExecutionReport) => void,
  ) {}

  /** `onDelivered` runs right after this report reaches the listeners (to settle a request). */
  post(report: ExecutionReport, delayMs: number, onDelivered?: () => void): void {
    const key = report.clientOrderId;
    const pending: Pending = { report, onDelivered, ready: false };
    const queue = this.#queues.get(key);
    if (queue) queue.push(pending);
    else this.#queues.set(key, [pending]);
    this.schedule(() => {
      pending.ready = true;
      this.#flush(key);
    }, delayMs);
  }

  /** Reports posted but not yet delivered, for tests and for a clean shutdown. */
  pendingCount(): number {
    let count = 0;
    for (const queue of this.#queues.values()) count += queue.length;
    return count;
  }

  #flush(key: string): void {
    const queue = this.#queues.get(key);
    while (queue && queue[0]?.ready) {
      const next = queue.shift()!;
      if (queue.length === 0) this.#queues.delete(key);
      this.deliver(next.report);
      next.onDelivered?.();
    }
  }
}
