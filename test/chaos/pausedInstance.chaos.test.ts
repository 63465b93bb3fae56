/**
 * R5 inside `npm test` (PostgreSQL: skipped loudly when unreachable, required under CI=true):
 * instance A is paused with SIGSTOP for 10 s while its submits are in flight; B takes them over once
 * A's leases lapse, and nothing reaches the venue twice when A wakes.
 */
import { describe, expect, it } from 'vitest';
import { violations } from '../support/executionChecks.ts';
import { storesToTest } from '../support/postgres.ts';
import { runPausedInstance } from './pausedInstance.ts';

const postgres = (await storesToTest('R5 paused instance')).includes('postgres');

describe.skipIf(!postgres)('R5: two instances, one paused', () => {
  it('given A paused with submits in flight, then B takes them over and no order reaches the venue twice', async () => {
    const figures = await runPausedInstance({ seed: 5, pauseMs: 10_000, leaseMs: 1_500, traders: 4, orders: 400 });
    console.info('R5 figures', JSON.stringify(figures));
    expect(violations(figures.venue)).toEqual({ duplicates: 0, retriesWithoutLookup: 0, ordersShortOfLookups: 0, unknownAtVenue: 0, acceptedButNotLive: 0 });
    expect({ lost: figures.lost, unsettled: figures.unsettled, stateMismatches: figures.stateMismatches }).toEqual({ lost: 0, unsettled: 0, stateMismatches: 0 });
    expect(figures.inFlightAtPause).toBeGreaterThan(0);
    expect(figures.takenOver).toBe(figures.inFlightAtPause);
  }, 120_000);
});
