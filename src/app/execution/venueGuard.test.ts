/**
 * The venue guard: a call with no answer in time is unknown (and counts against the breaker),
 * an open breaker sends nothing until its half-open probe, a rejection keeps it closed, a
 * 429 pauses the venue without counting, and a submit the guard stopped waiting for is on its
 * way until the adapter's call settles. cockatiel keeps its own time, so these tests move
 * vitest's fake clock (Date and timers) instead of sleeping.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { D } from '../../domain/money.ts';
import { systemClock, systemSchedule } from '../../ports/clock.ts';
import type { SubmitOutcome, Venue, VenueOrderRequest, VenueOrderView } from '../../ports/venue.ts';
import { VenueGuard } from './venueGuard.ts';

const request: VenueOrderRequest = {
  clientOrderId: 'o-1', account: 'alice', symbol: 'AAPL', side: 'buy', type: 'limit', timeInForce: 'day',
  quantity: new D(1), limitPrice: new D(100), stopPrice: null,
};

/** `late`: the venue takes the order only when the adapter's call settles, this many ms after it left. */
type Answer = SubmitOutcome | 'hang' | { readonly late: number };

function scriptedVenue(answers: Answer[]) {
  let calls = 0;
  const held = new Set<string>();
  const lookups: string[] = [];
  const venue: Venue = {
    name: 'scripted', start: async () => {}, close: async () => {}, healthy: () => true, onExecutionReport: () => () => {},
    cancel: async () => ({ outcome: 'requested' }),
    lookup: async (clientOrderId) => {
      lookups.push(`${clientOrderId}@${Date.now() - START}`);
      return held.has(clientOrderId) ? viewOf(clientOrderId) : null;
    },
    submit: (order) => {
      const answer = answers[calls++] ?? { outcome: 'accepted', venueOrderId: `V-${calls}` };
      if (answer === 'hang') return new Promise(() => {});
      if ('late' in answer) {
        return new Promise((resolve) => setTimeout(() => {
          held.add(order.clientOrderId);
          resolve({ outcome: 'accepted', venueOrderId: 'V-late' });
        }, answer.late));
      }
      return Promise.resolve(answer);
    },
  };
  return { venue, calls: () => calls, lookups };
}

const START = new Date('2026-11-21T12:00:00.000Z').getTime();
const viewOf = (clientOrderId: string): VenueOrderView => ({
  clientOrderId, venueOrderId: 'V-late', status: 'working', quantity: new D(1), filledQuantity: new D(0), fills: [], reason: null,
});

const options = { timeoutMs: 1_000, breakerFailures: 2, halfOpenAfterMs: 10_000, rate: { ratePerSecond: 1_000, burst: 1_000 } };
const send = (guard: VenueGuard) => guard.submit(request, async () => true);

beforeEach(() => {
  vi.useFakeTimers({ now: START });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('venue guard', () => {
  it('answers unknown when no answer comes in time; two in a row open the breaker, which then sends nothing', async () => {
    const { venue, calls } = scriptedVenue(['hang', 'hang']);
    const guard = new VenueGuard(venue, options, systemClock, systemSchedule);
    const first = send(guard);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await first).toEqual({ outcome: 'unknown', reason: 'no answer from scripted within 1000 ms' });
    const second = send(guard);
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await second).outcome).toBe('unknown');
    expect(guard.breakerState()).toBe('open');

    expect(await send(guard)).toMatchObject({ outcome: 'not_sent', cause: 'circuit', retryAfterMs: 10_000 });
    expect(calls()).toBe(2);
    expect(guard.venue.healthy()).toBe(false);

    await vi.advanceTimersByTimeAsync(10_000);
    expect(await send(guard)).toEqual({ outcome: 'accepted', venueOrderId: 'V-3' });
    expect(guard.breakerState()).toBe('closed');
  });

  it('keeps the breaker closed on rejections, and on 429s, which pause the venue for their Retry-After instead', async () => {
    const rejected: SubmitOutcome = { outcome: 'rejected', reason: 'unknown symbol' };
    const throttled: SubmitOutcome = { outcome: 'unknown', reason: '429 Too Many Requests: retry after 3 s' };
    const { venue } = scriptedVenue([rejected, rejected, rejected, throttled, throttled]);
    const guard = new VenueGuard(venue, options, systemClock, systemSchedule);
    for (let i = 0; i < 3; i += 1) expect(await send(guard)).toEqual(rejected);
    expect(await send(guard)).toEqual({ ...throttled, retryAfterMs: 3_000 });
    expect(guard.governor.pausedUntil()).toEqual(new Date('2026-11-21T12:00:03.000Z'));
    const waiting = send(guard);
    await vi.advanceTimersByTimeAsync(2_999);
    expect(guard.governor.waiting()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect((await waiting).outcome).toBe('unknown');
    expect(guard.breakerState()).toBe('closed');
  });

  it('given an adapter that sends nothing (no session), then it is not_sent from the venue and pauses it, and the breaker neither opens nor counts it', async () => {
    const down: SubmitOutcome = { outcome: 'not_sent', reason: 'not sent: no session', retryAfterMs: 1_000 };
    const { venue, calls } = scriptedVenue([down, down, down, 'hang']);
    const guard = new VenueGuard(venue, options, systemClock, systemSchedule);
    expect(await send(guard)).toEqual({ outcome: 'not_sent', cause: 'venue', reason: 'not sent: no session', retryAfterMs: 1_000 });
    expect(guard.governor.pausedUntil()).toEqual(new Date('2026-11-21T12:00:01.000Z'));
    for (let i = 0; i < 2; i += 1) {
      const next = send(guard);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(await next).toMatchObject({ outcome: 'not_sent', cause: 'venue' });
    }
    // Three in a row, two failures open this breaker: still closed, and one real timeout does not open it either.
    expect(guard.breakerState()).toBe('closed');
    const timedOut = send(guard);
    await vi.advanceTimersByTimeAsync(2_000);
    expect((await timedOut).outcome).toBe('unknown');
    expect(guard.breakerState()).toBe('closed');
    expect(calls()).toBe(4);
  });

  it('sends nothing when the last check before sending refuses', async () => {
    const { venue, calls } = scriptedVenue([]);
    const guard = new VenueGuard(venue, options, systemClock, systemSchedule);
    expect(await guard.submit(request, async () => false)).toMatchObject({ outcome: 'not_sent', cause: 'withheld' });
    expect(await guard.submit(request, async () => { throw new Error('store down'); })).toMatchObject({ outcome: 'not_sent', cause: 'withheld' });
    expect(calls()).toBe(0);
    expect(guard.breakerState()).toBe('closed');
  });

  it('given a submit that outlives the timeout and is taken late, then a lookup of it waits for that call and finds the order, never absent', async () => {
    const { venue, calls, lookups } = scriptedVenue([{ late: 8_000 }]);
    const guard = new VenueGuard(venue, options, systemClock, systemSchedule);
    const first = send(guard);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await first).toEqual({ outcome: 'unknown', reason: 'no answer from scripted within 1000 ms' });

    await vi.advanceTimersByTimeAsync(1_000);
    const found = guard.lookup('o-1');
    await vi.advanceTimersByTimeAsync(5_999);
    expect(lookups).toEqual([]);

    await vi.advanceTimersByTimeAsync(1);
    expect(await found).toEqual({ kind: 'found', view: viewOf('o-1') });
    expect(lookups).toEqual(['o-1@8000']);
    expect(guard.sends.inFlight('o-1')).toBe(false);
    expect(calls()).toBe(1);
  });

  it('given a submit whose call never settles, then a lookup waits up to the cap and then fails, never says absent', async () => {
    const { venue, lookups } = scriptedVenue(['hang']);
    const guard = new VenueGuard(venue, { ...options, sendCapMs: 30_000 }, systemClock, systemSchedule);
    const first = send(guard);
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await first).outcome).toBe('unknown');

    const found = guard.lookup('o-1');
    await vi.advanceTimersByTimeAsync(28_999);
    expect(lookups).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(await found).toMatchObject({ kind: 'failed', reason: expect.stringMatching(/has not settled within 30000 ms/) });
    expect(lookups).toEqual([]);
    expect([guard.sends.inFlight('o-1'), await guard.sends.settled('o-1')]).toEqual([true, 'overdue']);
  });
});
