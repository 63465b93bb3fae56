/**
 * A clock and scheduler driven by hand, so tests of the simulated exchange (and of anything
 * wired to it) control latency and ticks without sleeping.
 * Invariants: time only moves forward, through advance(); callbacks run in due-time order,
 * ties in the order they were scheduled, each with the clock set to its due time.
 */
import type { Clock } from '../../../ports/clock.ts';

interface Task {
  readonly due: number;
  readonly order: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export class ManualTime implements Clock {
  #now: number;
  #scheduled = 0;
  #tasks: Task[] = [];

  constructor(start: Date | string = '2026-01-05T14:30:00.000Z') {
    this.#now = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  /** Matches the exchange's `schedule` option; returns a function that cancels the task. */
  readonly schedule = (fn: () => void, delayMs: number): (() => void) => {
    const task: Task = { due: this.#now + Math.max(0, delayMs), order: this.#scheduled++, fn, cancelled: false };
    this.#tasks.push(task);
    return () => {
      task.cancelled = true;
    };
  };

  /** Moves time forward by `ms`, running every task that falls due on the way. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (let task = this.#takeNext(until); task; task = this.#takeNext(until)) {
      this.#now = task.due;
      task.fn();
    }
    this.#now = until;
  }

  /** Runs what is due now, including tasks those tasks schedule with no delay. */
  flush(): void {
    this.advance(0);
  }

  /** When the earliest task not yet run falls due, or null; lets a test step through async work. */
  nextDue(): Date | null {
    const due = this.#tasks.filter((task) => !task.cancelled).map((task) => task.due);
    return due.length === 0 ? null : new Date(Math.min(...due));
  }

  pendingTasks(): number {
    return this.#tasks.filter((task) => !task.cancelled).length;
  }

  #takeNext(until: number): Task | undefined {
    this.#tasks = this.#tasks.filter((task) => !task.cancelled);
    let next: Task | undefined;
    for (const task of this.#tasks) {
      if (task.due <= until && (!next || task.due < next.due || (task.due === next.due && task.order < next.order))) next = task;
    }
    if (next) this.#tasks.splice(this.#tasks.indexOf(next), 1);
    return next;
  }
}
