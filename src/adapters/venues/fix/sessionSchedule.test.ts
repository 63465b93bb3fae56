/** Daily session resets at a local time: in UTC, in New York across both DST changes, and the one before a given instant. */
import { describe, expect, it } from 'vitest';
import { nextReset, previousReset } from './sessionSchedule.ts';

const at = (iso: string) => new Date(iso);
const NEW_YORK = { time: '17:00', timeZone: 'America/New_York' };

describe('daily session reset', () => {
  it('given a reset time in UTC, then the next one is later today, or tomorrow once it has passed', () => {
    const reset = { time: '22:15', timeZone: 'UTC' };
    expect(nextReset(at('2026-12-03T08:00:00.000Z'), reset).toISOString()).toBe('2026-12-03T22:15:00.000Z');
    expect(nextReset(at('2026-12-03T22:15:00.000Z'), reset).toISOString()).toBe('2026-12-04T22:15:00.000Z');
    expect(previousReset(at('2026-12-03T22:15:00.000Z'), reset).toISOString()).toBe('2026-12-03T22:15:00.000Z');
    expect(previousReset(at('2026-12-03T22:14:59.999Z'), reset).toISOString()).toBe('2026-12-02T22:15:00.000Z');
  });

  it('given 17:00 New York, then the instant follows daylight saving time in both directions', () => {
    expect(nextReset(at('2026-03-06T12:00:00.000Z'), NEW_YORK).toISOString()).toBe('2026-03-06T22:00:00.000Z');
    // Clocks go forward on Sunday 8 March 2026: 17:00 is then 21:00 UTC.
    expect(nextReset(at('2026-03-08T12:00:00.000Z'), NEW_YORK).toISOString()).toBe('2026-03-08T21:00:00.000Z');
    // And back on Sunday 1 November 2026.
    expect(nextReset(at('2026-10-31T22:00:00.000Z'), NEW_YORK).toISOString()).toBe('2026-11-01T22:00:00.000Z');
    expect(previousReset(at('2026-11-02T03:00:00.000Z'), NEW_YORK).toISOString()).toBe('2026-11-01T22:00:00.000Z');
  });

  it('given a zone east of UTC where the local day is already tomorrow, then the reset is the local day\'s', () => {
    const tokyo = { time: '06:30', timeZone: 'Asia/Tokyo' };
    expect(nextReset(at('2026-12-03T20:00:00.000Z'), tokyo).toISOString()).toBe('2026-12-03T21:30:00.000Z');
    expect(nextReset(at('2026-12-03T21:30:00.000Z'), tokyo).toISOString()).toBe('2026-12-04T21:30:00.000Z');
  });
});
