/**
 * The venue checks must catch what they promise to catch: each kind of violation, fed to them
 * as a journal and a store would show it, is counted; a clean run counts none.
 */
import { describe, expect, it } from 'vitest';
import { DUPLICATE_CLIENT_ORDER_ID } from '../../src/adapters/venues/sim/simulatedExchange.ts';
import { checkAgainstVenue, violations } from './executionChecks.ts';

const submit = (id: string, result = 'accepted', reason: string | null = null) => ({ op: 'submit', clientOrderId: id, result, reason });
const lookup = (id: string, result = 'not_found') => ({ op: 'lookup', clientOrderId: id, result, reason: null });

describe('venue checks', () => {
  it('count nothing for a clean run with retries after lookups', () => {
    const figures = checkAgainstVenue(
      [submit('a'), lookup('b'), submit('b'), lookup('c', 'found')],
      [{ id: 'a', status: 'acked', attempts: 1 }, { id: 'b', status: 'filled', attempts: 2 }, { id: 'c', status: 'acked', attempts: 1 }],
    );
    expect(violations(figures)).toEqual({ duplicates: 0, retriesWithoutLookup: 0, ordersShortOfLookups: 0, unknownAtVenue: 0, acceptedButNotLive: 0 });
    expect(figures).toMatchObject({ retriesAtVenue: 1, lookups: 2, submitsAtVenue: 2 });
  });

  it('catch a resend without a lookup, a refused duplicate, a second acceptance, a stranger and a live order recorded as rejected', () => {
    const figures = checkAgainstVenue(
      [submit('a'), submit('a', 'rejected', DUPLICATE_CLIENT_ORDER_ID), submit('b'), lookup('b'), submit('b'), submit('stranger'), submit('c')],
      [{ id: 'a', status: 'rejected', attempts: 2 }, { id: 'b', status: 'acked', attempts: 2 }, { id: 'c', status: 'acked', attempts: 3 }],
    );
    expect(violations(figures)).toEqual({ duplicates: 2, retriesWithoutLookup: 1, ordersShortOfLookups: 2, unknownAtVenue: 1, acceptedButNotLive: 1 });
  });
});
