/**
 * Properties of the whole exchange under random sequences of requests, reference moves,
 * ticks, session ends and latencies.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { D, ZERO, type Dec } from '../../../domain/money.ts';
import type { ExecutionReport, VenueOrderRequest } from '../../../ports/venue.ts';
import { ManualTime } from './manualTime.ts';
import { SimulatedExchange } from './simulatedExchange.ts';
import { counter } from './simFixtures.ts';

const tenths = (min: number, max: number) => fc.integer({ min, max }).map((n) => new D(100).plus(new D(n).div(10)));
const halves = fc.integer({ min: 1, max: 30 }).map((n) => new D(n).div(2));

const submitOp = fc.record({
  kind: fc.constant('submit' as const),
  account: fc.constantFrom('alice', 'bob'),
  side: fc.constantFrom('buy' as const, 'sell' as const),
  type: fc.constantFrom('market' as const, 'limit' as const, 'limit' as const, 'stop' as const, 'stop_limit' as const),
  timeInForce: fc.constantFrom('day' as const, 'gtc' as const, 'ioc' as const, 'fok' as const),
  quantity: halves,
  limitPrice: tenths(-20, 20),
  stopPrice: tenths(-20, 20),
});

const simulateOp = fc.record({ kind: fc.constant('simulate' as const), target: fc.nat(), quantity: halves, price: tenths(-10, 10) });

/** Simulated fills are one-sided by nature, so the buy-equals-sell property leaves them out. */
const op = (withSimulatedFills: boolean) =>
  fc.oneof(
    { arbitrary: submitOp, weight: 6 },
    { arbitrary: fc.record({ kind: fc.constant('cancel' as const), target: fc.nat() }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('move' as const), to: tenths(-30, 30) }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('tick' as const) }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('end_session' as const) }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 15 }) }), weight: 1 },
    ...(withSimulatedFills ? [{ arbitrary: simulateOp, weight: 1 }] : []),
  );
type Op = typeof op extends (x: boolean) => fc.Arbitrary<infer T> ? T : never;

interface Run {
  readonly sim: SimulatedExchange;
  readonly time: ManualTime;
  readonly delivered: ExecutionReport[];
  readonly requests: VenueOrderRequest[];
}

function open(config: { liquidity: string | null; ackLatencyMs: number; fillLatencyMs: number; seed: number }): Run {
  const time = new ManualTime();
  const sim = new SimulatedExchange({
    clock: time,
    schedule: time.schedule,
    startPrices: { AAPL: '100' },
    seed: config.seed,
    volatilityBps: 30,
    referenceLiquidity: config.liquidity,
    ackLatencyMs: config.ackLatencyMs,
    fillLatencyMs: config.fillLatencyMs,
    instanceId: 'prop',
    orderNumber: counter(),
  });
  const delivered: ExecutionReport[] = [];
  sim.onExecutionReport((report) => delivered.push(report));
  return { sim, time, delivered, requests: [] };
}

async function apply(run: Run, o: Op): Promise<void> {
  const { sim, time, requests } = run;
  const target = (n: number) => requests[n % Math.max(1, requests.length)]?.clientOrderId ?? 'none';
  switch (o.kind) {
    case 'submit': {
      const request: VenueOrderRequest = {
        clientOrderId: `o${requests.length}`,
        account: o.account,
        symbol: 'AAPL',
        side: o.side,
        type: o.type,
        timeInForce: o.timeInForce,
        quantity: o.quantity,
        limitPrice: o.type === 'limit' || o.type === 'stop_limit' ? o.limitPrice : null,
        stopPrice: o.type === 'stop' || o.type === 'stop_limit' ? o.stopPrice : null,
      };
      requests.push(request);
      void sim.submit(request);
      return;
    }
    case 'cancel': void sim.cancel(target(o.target)); return;
    case 'move': sim.moveReferencePrice('AAPL', o.to); return;
    case 'tick': sim.tick(); return;
    case 'end_session': sim.endSession(); return;
    case 'advance': time.advance(o.ms); return;
    case 'simulate': await sim.simulateFills(target(o.target), [{ price: o.price, quantity: o.quantity }]); return;
  }
}

const sum = (values: Dec[]) => values.reduce((a, b) => a.plus(b), ZERO);

async function checkInvariants(run: Run): Promise<void> {
  const book = run.sim.bookSnapshot('AAPL')!;
  const [bestBid, bestAsk] = [book.bids[0], book.asks[0]];
  if (bestBid && bestAsk) expect(new D(bestBid.price).lt(bestAsk.price)).toBe(true);
  const resting = new Map([...book.bids, ...book.asks].map((entry) => [entry.clientOrderId, entry.leavesQuantity]));
  for (const request of run.requests) {
    const view = (await run.sim.lookup(request.clientOrderId))!;
    expect(view.filledQuantity.lte(view.quantity)).toBe(true);
    expect(view.filledQuantity.eq(sum(view.fills.map((f) => f.quantity)))).toBe(true);
    expect(view.status === 'filled').toBe(view.filledQuantity.eq(view.quantity));
    const immediate = request.type === 'market' || request.type === 'limit';
    if (immediate && (request.timeInForce === 'ioc' || request.timeInForce === 'fok')) expect(view.status).not.toBe('working');
    if (immediate && request.timeInForce === 'fok') expect(view.fills.length === 0 || view.status === 'filled').toBe(true);
    const leaves = resting.get(request.clientOrderId);
    if (leaves !== undefined) {
      expect(view.status).toBe('working');
      expect(view.quantity.minus(view.filledQuantity).toFixed()).toBe(leaves);
    }
  }
}

/** Once everything is delivered, each order's reports tell the same story as its lookup. */
async function checkDelivered(run: Run): Promise<void> {
  run.time.advance(1_000);
  expect(run.sim.undeliveredReports()).toBe(0);
  const fillIds = run.delivered.flatMap((r) => (r.kind === 'fill' ? [r.venueFillId] : []));
  expect(new Set(fillIds).size).toBe(fillIds.length);
  for (const request of run.requests) {
    const view = (await run.sim.lookup(request.clientOrderId))!;
    const reports = run.delivered.filter((r) => r.clientOrderId === request.clientOrderId && r.kind !== 'cancel_rejected');
    const story = reports.map((r) => r.kind).join(' ');
    expect(story).toMatch(/^(rejected|ack( fill)*( cancelled| expired)?)$/);
    const last = reports.at(-1)!.kind;
    const expectedLast = { working: ['ack', 'fill'], filled: ['fill'], cancelled: ['cancelled'], expired: ['expired'], rejected: ['rejected'] };
    expect(expectedLast[view.status]).toContain(last);
    const fills = reports.flatMap((r) => (r.kind === 'fill' ? [r] : []));
    expect(fills.map((f) => f.venueFillId)).toEqual(view.fills.map((f) => f.venueFillId));
  }
}

const config = fc.record({
  liquidity: fc.constantFrom(null, '0', '1', '2.5', '5'),
  ackLatencyMs: fc.integer({ min: 0, max: 10 }),
  fillLatencyMs: fc.integer({ min: 0, max: 10 }),
  seed: fc.integer(),
});

describe('simulated exchange (property)', () => {
  it('never leaves a crossed book nor an overfilled order, and reports what it did, in order', async () => {
    await fc.assert(
      fc.asyncProperty(config, fc.array(op(true), { maxLength: 40 }), async (settings, ops) => {
        const run = open(settings);
        await run.sim.start();
        for (const o of ops) {
          await apply(run, o);
          await checkInvariants(run);
        }
        await checkDelivered(run);
      }),
      { numRuns: 1_000 },
    );
  });

  it('book-against-book trades fill as much on the buy side as on the sell side, at the same prices', async () => {
    await fc.assert(
      fc.asyncProperty(config, fc.array(op(false), { maxLength: 40 }), async (settings, ops) => {
        const run = open({ ...settings, liquidity: '0' });
        await run.sim.start();
        for (const o of ops) await apply(run, o);
        const totals = { buy: { quantity: ZERO, notional: ZERO }, sell: { quantity: ZERO, notional: ZERO } };
        for (const request of run.requests) {
          const side = totals[request.side];
          for (const fill of (await run.sim.lookup(request.clientOrderId))!.fills) {
            side.quantity = side.quantity.plus(fill.quantity);
            side.notional = side.notional.plus(fill.quantity.times(fill.price));
          }
        }
        expect(totals.buy.quantity.toFixed()).toBe(totals.sell.quantity.toFixed());
        expect(totals.buy.notional.toFixed()).toBe(totals.sell.notional.toFixed());
      }),
      { numRuns: 1_000 },
    );
  });
});
