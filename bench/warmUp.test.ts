import { describe, expect, it } from 'vitest';
import { WarmUp } from './warmUp.ts';

describe('WarmUp', () => {
  it('given no warm-up time, then only the minimum number of samples is cold', () => {
    const warmUp = new WarmUp(0, 3);
    expect([warmUp.cold(), warmUp.cold(), warmUp.cold(), warmUp.cold(), warmUp.cold()]).toEqual([true, true, true, false, false]);
  });

  it('given a warm-up time, then samples stay cold until it has passed, however many were taken', async () => {
    const warmUp = new WarmUp(0.08, 1);
    for (let i = 0; i < 50; i++) expect(warmUp.cold()).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(warmUp.cold()).toBe(false);
    expect(warmUp.cold()).toBe(false);
  });
});
