import { describe, expect, it } from 'vitest';
import { percentile, summarize } from './stats.ts';

describe('percentile (nearest rank)', () => {
  it('given 100 samples 1..100, p50 is 50 and p99 is 99', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
  });

  it('given fewer than 100 samples, p99 is the slowest one rather than an interpolation', () => {
    expect(percentile([1, 2, 3, 40], 99)).toBe(40);
    expect(percentile([1, 2, 3, 40], 50)).toBe(2);
  });

  it('given no samples, every percentile is NaN', () => {
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('summarize', () => {
  it('when samples arrive unsorted, then it sorts them and leaves the input alone', () => {
    const samples = [5, 1, 3, 2, 4];
    expect(summarize(samples)).toEqual({ count: 5, p50: 3, p99: 5, max: 5, mean: 3 });
    expect(samples).toEqual([5, 1, 3, 2, 4]);
  });
});
