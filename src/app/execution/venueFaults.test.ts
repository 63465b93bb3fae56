/**
 * R2 with real numbers: 2,000 orders through the simulated exchange while it drops 20% of
 * submit answers (taking the order and, with it, that order's report stream), fails 5% with a
 * 5xx and leaves 5% unanswered. Checked against the exchange's own journal: no duplicate at the
 * venue, every retry preceded by a lookup of the same client order id, every order settled and
 * matching the venue, every backoff within its bounds. The negative control runs the same
 * executor against a venue whose lookups are blind, and the same checks must catch it.
 * Real time with millisecond backoffs keeps it fast; the timing itself is tested on a manual
 * clock in executor.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { checkAgainstVenue, sendsRecorded, violations, type GatewayOrder, type VenueFigures } from '../../../test/support/executionChecks.ts';
import { D } from '../../domain/money.ts';
import type { Venue } from '../../ports/venue.ts';
import { executionKit, type ExecutionKit, type KitOptions } from './executionTestKit.ts';

const R2_FAULTS = { dropAnswerPct: 20, errorPct: 5, timeoutPct: 5, seed: 2026 };
const FAST: KitOptions = {
  realTime: true,
  muteDroppedOrders: true,
  faults: R2_FAULTS,
  executor: { policy: { maxAttempts: 3, baseDelayMs: 4, jitterRatio: 0.2, maxDelayMs: 40 }, pollMs: 25, leaseMs: 5_000 },
  guard: { timeoutMs: 40, breakerFailures: 1_000, halfOpenAfterMs: 20 },
};

let kit: ExecutionKit | undefined;
afterEach(async () => {
  await kit?.close();
  kit = undefined;
});

interface Run {
  readonly figures: VenueFigures;
  readonly backoffOutOfBounds: number;
  readonly mismatches: string[];
  readonly unsettled: number;
}

async function load(k: ExecutionKit, count: number): Promise<Run> {
  const ids: string[] = [];
  for (let wave = 0; wave < count; wave += 200) {
    const orders = await Promise.all(Array.from({ length: Math.min(200, count - wave) }, (_, i) => {
      const market = (wave + i) % 2 === 0;
      return k.submit(market ? { type: 'market', limitPrice: null, quantity: new D(10), timeInForce: 'day' } : { quantity: new D(5) });
    }));
    ids.push(...orders.map((order) => order.id));
  }
  const deadline = Date.now() + 60_000;
  while ((await k.store.execution.listDispatchIntents({ limit: 1 })).length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await k.settled();

  const gateway: GatewayOrder[] = [];
  let backoffOutOfBounds = 0;
  for (const id of ids) {
    const [order, audit] = await Promise.all([k.store.findOrder(id), k.store.listAudit(id)]);
    gateway.push({ id, status: order!.status, attempts: sendsRecorded(audit.map((row) => row.kind)) });
    audit.forEach((row, index) => {
      if (row.kind !== 'execution_failed') return;
      const { attempt, retry_at: retryAt } = JSON.parse(row.payload) as { attempt: number; retry_at: string };
      const planned = new Date(retryAt).getTime() - row.at.getTime();
      const base = 4 * 2 ** (attempt - 1);
      const next = audit.slice(index + 1).find((later) => later.kind === 'execution_started' || later.kind === 'recovered');
      if (planned < base || planned > base * 1.2 + 1 || (next && next.at.getTime() < new Date(retryAt).getTime())) backoffOutOfBounds += 1;
    });
  }
  const figures = checkAgainstVenue(k.sim.journal(), gateway);
  const mismatches: string[] = [];
  for (const order of gateway) {
    const view = await k.sim.lookup(order.id);
    const stored = (await k.store.findOrder(order.id))!;
    const expected = view === null ? 'rejected' : view.status === 'working' ? (view.filledQuantity.isZero() ? 'acked' : 'partially_filled') : view.status;
    if (stored.status !== expected || (view && !stored.filledQuantity.eq(view.filledQuantity))) mismatches.push(`${order.id}: ${stored.status} vs ${expected}`);
  }
  return { figures, backoffOutOfBounds, mismatches, unsettled: (await k.store.execution.listDispatchIntents({ limit: 10_000 })).length };
}

describe('R2: venue faults', () => {
  it('given 2,000 orders, 20% answers dropped, 5% errors, 5% timeouts, then 0 duplicates and a lookup before every retry', async () => {
    kit = await executionKit(FAST);
    const run = await load(kit, 2_000);
    console.info('R2 figures', JSON.stringify({ ...run.figures, faults: kit.plan.injected, unsettled: run.unsettled }));

    expect(violations(run.figures)).toEqual({ duplicates: 0, retriesWithoutLookup: 0, ordersShortOfLookups: 0, unknownAtVenue: 0, acceptedButNotLive: 0 });
    expect(run.unsettled).toBe(0);
    expect(run.mismatches).toEqual([]);
    expect(run.backoffOutOfBounds).toBe(0);
    // The faults really happened, and really forced lookups and resends.
    expect(kit.plan.injected.drop).toBeGreaterThan(300);
    expect(run.figures.retriesAtVenue).toBeGreaterThan(50);
    expect(run.figures.lookups).toBeGreaterThan(run.figures.retriesAtVenue);
    expect(run.figures.attemptsRecorded).toBeGreaterThan(2_000);
  });

  it('negative control: with lookups that never find the order, the same checks report duplicates and blind retries', async () => {
    const blind = (venue: Venue): Venue => ({
      name: venue.name, start: () => venue.start(), close: () => venue.close(), healthy: () => venue.healthy(),
      onExecutionReport: (listener) => venue.onExecutionReport(listener), submit: (request) => venue.submit(request),
      cancel: (id) => venue.cancel(id), lookup: async () => null,
    });
    kit = await executionKit({ ...FAST, wrapVenue: blind });
    const run = await load(kit, 200);
    expect(run.figures.duplicates).toBeGreaterThan(0);
    expect(run.figures.retriesWithoutLookup).toBeGreaterThan(0);
    expect(run.figures.acceptedButNotLive + run.mismatches.length).toBeGreaterThan(0);
  });
});
