/** Time and ids come through ports so use cases and the exchange can be tested deterministically. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface Ids {
  /** A new UUIDv7: time-ordered, so newest-first listings can sort by id. */
  next(): string;
}
