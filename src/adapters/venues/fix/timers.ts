/**
 * Time as the FIX venue sees it: the current instant and one-shot timers. Heartbeats, answer
 * timeouts, request deadlines and reconnect backoff all go through it, so tests drive them
 * with a manual clock (the simulated exchange's ManualTime fits) instead of sleeping.
 * Invariant: a scheduled function never runs synchronously, and never after it was cancelled.
 */
import type { Clock } from '../../../ports/clock.ts';

export interface Timers extends Clock {
  /** Runs `fn` once after `delayMs`; returns a function that cancels it. */
  schedule(fn: () => void, delayMs: number): () => void;
}

export const realTimers: Timers = {
  now: () => new Date(),
  schedule: (fn, delayMs) => {
    const handle = setTimeout(fn, Math.max(0, delayMs));
    return () => clearTimeout(handle);
  },
};
