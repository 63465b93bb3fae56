/** Time and ids come through ports so use cases and the exchange can be tested deterministically. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * Runs `fn` once after `delayMs` (never synchronously) and returns a function that cancels it.
 * Waiting goes through this port so backoffs, leases and rate limits are tested on a hand-driven
 * clock instead of with sleeps.
 */
export type Schedule = (fn: () => void, delayMs: number) => () => void;

/** Real timers, unref'd: a pending retry or poll never keeps the process alive on its own. */
export const systemSchedule: Schedule = (fn, delayMs) => {
  const handle = setTimeout(fn, Math.max(0, delayMs));
  handle.unref();
  return () => clearTimeout(handle);
};

export interface Ids {
  /** A new UUIDv7: time-ordered, so newest-first listings can sort by id. */
  next(): string;
}
