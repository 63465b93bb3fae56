import { describe, expect, it } from 'vitest';
import { describeStalls, measureStalls, summarizeStalls } from './stalls.ts';

describe('scheduling stall baseline', () => {
  it('given gaps between clock reads, then it counts those over 0.5 and 1 ms and the share of time they took', () => {
    const stalls = summarizeStalls(2, [0.6, 1.5, 4, 0.7]);
    expect(stalls).toEqual({ seconds: 2, over500us: 4, over1ms: 2, longestMs: 4, stalledPercent: (100 * 6.8) / 2000 });
    expect(describeStalls(stalls)).toContain('stalled 2 times for over 1 ms in 2 s');
  });

  it('given a real probe process, then its gaps come back and are summarised consistently', () => {
    const stalls = measureStalls(0.2);
    expect(stalls.seconds).toBe(0.2);
    expect(Number.isInteger(stalls.over500us)).toBe(true);
    expect(stalls.over1ms).toBeLessThanOrEqual(stalls.over500us);
    expect(stalls.longestMs > 0.5).toBe(stalls.over500us > 0);
  });
});
