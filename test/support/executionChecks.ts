/**
 * Checks a run against the venue's own record (R1, R2): the exchange's journal of requests on
 * one side, the gateway's orders and their execution audit on the other. Pure; used by the
 * fault test, the crash tests and `npm run chaos`.
 * What counts as a failure:
 * - a duplicate: a submit the venue refused as a duplicate client order id, or one id accepted twice;
 * - a retry without a lookup: a submit that is not the first request the venue saw for that id
 *   and is not immediately preceded by a lookup of the id; or an order the gateway tried n times
 *   whose id the venue looked up fewer than n − 1 times;
 * - an order at the venue the gateway never recorded; an order accepted at the venue that the
 *   gateway records as rejected or never sent.
 */
import { DUPLICATE_CLIENT_ORDER_ID } from '../../src/adapters/venues/sim/simulatedExchange.ts';

export interface JournalLike {
  readonly op: string;
  readonly clientOrderId: string;
  readonly result: string;
  readonly reason: string | null;
}

export interface GatewayOrder {
  readonly id: string;
  readonly status: string;
  /** Sends its audit trail records (sendsRecorded: execution_started, less execution_not_sent). */
  readonly attempts: number;
}

export interface VenueFigures {
  readonly orders: number;
  readonly submitsAtVenue: number;
  readonly acceptedAtVenue: number;
  readonly retriesAtVenue: number;
  readonly lookups: number;
  readonly attemptsRecorded: number;
  readonly duplicates: number;
  readonly retriesWithoutLookup: number;
  readonly ordersShortOfLookups: number;
  readonly unknownAtVenue: number;
  readonly acceptedButNotLive: number;
}

/** The figures that must be zero. */
export const violations = (f: VenueFigures) => ({
  duplicates: f.duplicates, retriesWithoutLookup: f.retriesWithoutLookup, ordersShortOfLookups: f.ordersShortOfLookups,
  unknownAtVenue: f.unknownAtVenue, acceptedButNotLive: f.acceptedButNotLive,
});

export function checkAgainstVenue(journal: readonly JournalLike[], orders: readonly GatewayOrder[]): VenueFigures {
  const byId = new Map<string, JournalLike[]>();
  for (const entry of journal) {
    if (entry.op !== 'submit' && entry.op !== 'lookup') continue;
    const list = byId.get(entry.clientOrderId) ?? [];
    list.push(entry);
    byId.set(entry.clientOrderId, list);
  }
  const known = new Map(orders.map((order) => [order.id, order]));
  let submits = 0, accepted = 0, retries = 0, lookups = 0, duplicates = 0, withoutLookup = 0, short = 0, unknown = 0, notLive = 0;
  for (const [id, entries] of byId) {
    const order = known.get(id);
    if (!order && entries.some((e) => e.op === 'submit' && e.result === 'accepted')) unknown += 1;
    let acceptedHere = 0;
    entries.forEach((entry, index) => {
      if (entry.op === 'lookup') {
        lookups += 1;
        return;
      }
      submits += 1;
      if (entry.result === 'accepted') acceptedHere += 1;
      if (entry.reason === DUPLICATE_CLIENT_ORDER_ID) duplicates += 1;
      if (index > 0) {
        retries += 1;
        if (entries[index - 1]!.op !== 'lookup') withoutLookup += 1;
      }
    });
    accepted += acceptedHere;
    if (acceptedHere > 1) duplicates += acceptedHere - 1;
    if (order && acceptedHere > 0 && (order.status === 'rejected' || order.status === 'pending')) notLive += 1;
  }
  let attempts = 0;
  for (const order of orders) {
    attempts += order.attempts;
    const seen = (byId.get(order.id) ?? []).filter((e) => e.op === 'lookup').length;
    if (seen < order.attempts - 1) short += 1;
  }
  return {
    orders: orders.length, submitsAtVenue: submits, acceptedAtVenue: accepted, retriesAtVenue: retries, lookups, attemptsRecorded: attempts,
    duplicates, retriesWithoutLookup: withoutLookup, ordersShortOfLookups: short, unknownAtVenue: unknown, acceptedButNotLive: notLive,
  };
}

/** Sends an order's audit trail records: each execution_started, less those that never left (execution_not_sent). */
export function sendsRecorded(kinds: readonly string[]): number {
  return kinds.filter((kind) => kind === 'execution_started').length - kinds.filter((kind) => kind === 'execution_not_sent').length;
}
