/**
 * A small R1 inside `npm test`: a few kill -9s of a gateway process under load, checked against
 * the simulated exchange's own journal. The full run (100+ kills) is `npm run chaos`.
 */
import { describe, expect, it } from 'vitest';
import { r1Violations, runCrashLoop } from './crashLoop.ts';

describe('R1: crash loop (small)', () => {
  it('given 3 kill -9s under load, then 0 acknowledged orders lost, 0 duplicates, every order settled and matching the venue', async () => {
    const figures = await runCrashLoop({
      seed: 7, kills: 3, traders: 4, orders: 300, killAfterMs: [1_500, 3_000], paceMs: 30, store: 'sqlite', venueLatencyMs: 20,
    });
    console.info('R1 (small) figures', JSON.stringify(figures));
    expect(r1Violations(figures)).toEqual({
      duplicates: 0, retriesWithoutLookup: 0, ordersShortOfLookups: 0, unknownAtVenue: 0, acceptedButNotLive: 0,
      lost: 0, unsettled: 0, stateMismatches: 0, settledLate: 0, auditBroken: 0,
    });
    expect(figures.kills).toBeGreaterThanOrEqual(3);
    expect(figures.acknowledged).toBeGreaterThan(100);
  }, 120_000);
});
