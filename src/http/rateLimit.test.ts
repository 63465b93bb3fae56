/**
 * The rate limit's counters: fixed windows in memory (clock injected) and the failover from
 * the shared count to this instance's. The Redis windows: rateLimit.int.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { FailoverWindows, LocalWindows, type WindowCounter } from './rateLimit.ts';

const counts = async (counter: WindowCounter, key: string, n: number, windowMs = 60_000) => {
  const seen = [];
  for (let i = 0; i < n; i += 1) seen.push((await counter.incr(key, windowMs)).current);
  return seen;
};

describe('local windows', () => {
  it('given requests within a window, then they count up and the time left shrinks; the next window starts again at 1', async () => {
    let now = 1_000_000;
    const windows = new LocalWindows(() => now);
    expect(await counts(windows, 'trader:a', 3)).toEqual([1, 2, 3]);
    now += 59_000;
    expect(await windows.incr('trader:a', 60_000)).toEqual({ current: 4, ttlMs: 1_000 });
    expect(await windows.incr('trader:b', 60_000)).toEqual({ current: 1, ttlMs: 60_000 });
    now += 1_000;
    expect(await windows.incr('trader:a', 60_000)).toEqual({ current: 1, ttlMs: 60_000 });
  });

  it('given more keys than it keeps, then ended windows go first and it keeps counting', async () => {
    let now = 0;
    const windows = new LocalWindows(() => now, 3);
    await counts(windows, 'old', 1, 10);
    now = 20;
    for (const key of ['x', 'y', 'z']) await windows.incr(key, 60_000);
    expect(await counts(windows, 'x', 2)).toEqual([2, 3]);
    expect((await windows.incr('old', 60_000)).current).toBe(1);
  });
});

describe('failover between the shared count and this instance’s', () => {
  it('given the shared count failing, then this instance counts alone, and the switch each way is reported once', async () => {
    let up = true;
    const shared = new LocalWindows(() => 0);
    const flaky: WindowCounter = { incr: (key, ms) => (up ? shared.incr(key, ms) : Promise.reject(new Error('ECONNREFUSED'))) };
    const switches: boolean[] = [];
    const counter = new FailoverWindows(flaky, new LocalWindows(() => 0), (failing) => switches.push(failing));
    expect(await counts(counter, 'k', 2)).toEqual([1, 2]);
    up = false;
    expect(await counts(counter, 'k', 3)).toEqual([1, 2, 3]);
    up = true;
    expect(await counts(counter, 'k', 1)).toEqual([3]);
    expect(switches).toEqual([true, false]);
  });
});
