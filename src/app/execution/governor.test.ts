/**
 * The rate governor on a hand-moved clock: burst then a steady rate, cancels before lookups
 * before new orders, and a Retry-After that holds every request to the venue.
 */
import { describe, expect, it } from 'vitest';
import { ManualTime } from '../../adapters/venues/sim/manualTime.ts';
import { RateGovernor, type RequestPriority } from './governor.ts';
import { DEFAULT_RETRY_POLICY, retryDelayMs } from './intents.ts';

function governor(ratePerSecond: number, burst: number) {
  const time = new ManualTime('2026-11-21T12:00:00.000Z');
  const gov = new RateGovernor({ ratePerSecond, burst }, time, time.schedule);
  const left: string[] = [];
  const start = time.now().getTime();
  const ask = (priority: RequestPriority, name: string) =>
    void gov.acquire(priority).then(() => left.push(`${name}@${time.now().getTime() - start}`));
  const flush = async () => {
    for (let i = 0; i < 5; i += 1) await Promise.resolve();
  };
  /** Moves the clock task by task, letting each released request record the time it left. */
  const run = async (ms: number) => {
    const until = time.now().getTime() + ms;
    await flush();
    for (let next = time.nextDue(); next && next.getTime() <= until; next = time.nextDue()) {
      time.advance(next.getTime() - time.now().getTime());
      await flush();
    }
    time.advance(until - time.now().getTime());
    await flush();
  };
  return { time, gov, left, ask, flush, run };
}

describe('rate governor', () => {
  it('tells each request whether it had to wait its turn', async () => {
    const { gov, run } = governor(10, 1);
    const waited: boolean[] = [];
    void gov.acquire('submit').then((w) => waited.push(w));
    void gov.acquire('submit').then((w) => waited.push(w));
    await run(100);
    expect(waited).toEqual([false, true]);
  });

  it('lets a burst through at once, then one request per 1/rate seconds', async () => {
    const { left, ask, run } = governor(10, 2);
    for (const name of ['a', 'b', 'c', 'd']) ask('submit', name);
    await run(0);
    expect(left).toEqual(['a@0', 'b@0']);
    await run(99);
    expect(left).toHaveLength(2);
    await run(101);
    expect(left).toEqual(['a@0', 'b@0', 'c@100', 'd@200']);
  });

  it('sends a waiting cancel before waiting lookups and new orders, whatever the arrival order', async () => {
    const { left, ask, run } = governor(1, 1);
    ask('submit', 'first');
    ask('submit', 'new-order');
    ask('lookup', 'lookup');
    ask('cancel', 'cancel');
    await run(3_000);
    expect(left).toEqual(['first@0', 'cancel@1000', 'lookup@2000', 'new-order@3000']);
  });

  it('holds every request until a Retry-After has passed; a shorter one never shortens it', async () => {
    const { gov, left, ask, run } = governor(1_000, 100);
    gov.pauseFor(5_000);
    gov.pauseFor(1_000);
    ask('cancel', 'cancel');
    ask('submit', 'order');
    await run(4_999);
    expect(left).toEqual([]);
    expect(gov.pausedUntil()).toEqual(new Date('2026-11-21T12:00:05.000Z'));
    await run(1);
    expect(left).toEqual(['cancel@5000', 'order@5000']);
  });
});

describe('retry backoff', () => {
  it('waits 1 s, 2 s, 4 s after attempts 1, 2, 3, plus up to 20% jitter, never past the cap', () => {
    expect([1, 2, 3].map((n) => retryDelayMs(DEFAULT_RETRY_POLICY, n, () => 0))).toEqual([1_000, 2_000, 4_000]);
    expect([1, 2, 3].map((n) => retryDelayMs(DEFAULT_RETRY_POLICY, n, () => 0.999999))).toEqual([1_200, 2_400, 4_800]);
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 40, () => 0.5)).toBe(66_000);
  });
});
