/**
 * The daily FIX session: at a fixed local time in a time zone (e.g. 17:00 America/New_York)
 * the session ends and the next one starts with both sequence numbers at 1. This module only
 * computes the instants of those resets. Pure: time is given, the zone rules come from Intl.
 * Invariants: a reset instant shows the configured wall-clock time in the zone; on a day whose
 * clocks skip that time (a DST gap) the reset falls at the same offset the day began with, an
 * hour off, never on another day.
 */

export interface DailyReset {
  /** HH:MM, 24-hour. */
  readonly time: string;
  /** IANA zone; UTC when unset. */
  readonly timeZone: string;
}

const DAY_MS = 86_400_000;

/** The zone's wall clock at an instant, as if that wall clock were UTC (ms). */
function wallClock(at: number, timeZone: string): number {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(at)).map((part) => [part.type, Number(part.value)]));
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!) + (at % 1000 + 1000) % 1000;
}

/** The instant the zone's clock shows `wall` (a wall-clock time written as UTC ms). */
function instantOf(wall: number, timeZone: string): number {
  let guess = wall - (wallClock(wall, timeZone) - wall);
  guess = wall - (wallClock(guess, timeZone) - guess);
  return guess;
}

/** The reset on the local day `dayOffset` days from the one `at` falls in. */
function resetOnDay(at: number, reset: DailyReset, dayOffset: number): number {
  const wall = wallClock(at, reset.timeZone);
  const midnight = Math.floor(wall / DAY_MS) * DAY_MS + dayOffset * DAY_MS;
  const [hours, minutes] = reset.time.split(':').map(Number) as [number, number];
  return instantOf(midnight + (hours * 60 + minutes) * 60_000, reset.timeZone);
}

/** The first reset strictly after `at`. */
export function nextReset(at: Date, reset: DailyReset): Date {
  for (let day = 0; day <= 2; day++) {
    const candidate = resetOnDay(at.getTime(), reset, day);
    if (candidate > at.getTime()) return new Date(candidate);
  }
  throw new Error(`no reset at ${reset.time} ${reset.timeZone} within two days of ${at.toISOString()}`);
}

/** The last reset at or before `at`. */
export function previousReset(at: Date, reset: DailyReset): Date {
  for (let day = 0; day >= -2; day--) {
    const candidate = resetOnDay(at.getTime(), reset, day);
    if (candidate <= at.getTime()) return new Date(candidate);
  }
  throw new Error(`no reset at ${reset.time} ${reset.timeZone} within two days before ${at.toISOString()}`);
}
