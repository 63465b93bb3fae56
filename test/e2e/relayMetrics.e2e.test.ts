/**
 * The outbox relay as an operator sees it on /metrics, with a real Redis or NATS server of the
 * test's own that it kills and starts again: while the bus is down the instance says so and its
 * sweep stands still; once it is back, what was committed meanwhile goes out by the sweep, not
 * the fast path, and the sweep runs to the end again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busBinariesToTest, ownServer, until, type BusKind, type OwnServer } from '../support/buses.ts';
import { eventually, startTestGateway, type TestGateway } from './harness.ts';

const KINDS = busBinariesToTest('relayMetrics.e2e');
const MARKET = { symbol: 'AAPL', side: 'buy', quantity: '1', type: 'market' };

interface RelayFigures {
  readonly fast: number;
  readonly sweep: number;
  readonly busUp: number;
  readonly sweepSucceededAt: number;
}

async function scrape(gw: TestGateway): Promise<RelayFigures> {
  const text = (await gw.call('GET', '/metrics', { token: null })).text;
  const value = (series: string) => {
    const row = text.split('\n').find((line) => line.startsWith(`${series} `));
    if (!row) throw new Error(`${series} is not on /metrics`);
    return Number(row.slice(series.length + 1));
  };
  return {
    fast: value('ordergate_outbox_published_total{path="fast"}'),
    sweep: value('ordergate_outbox_published_total{path="sweep"}'),
    busUp: value('ordergate_bus_up'),
    sweepSucceededAt: value('ordergate_outbox_sweep_last_success_timestamp_seconds') * 1000,
  };
}

async function scrapeWhen(gw: TestGateway, holds: (figures: RelayFigures) => boolean, what: string): Promise<RelayFigures> {
  let figures: RelayFigures | null = null;
  await until(async () => holds(figures = await scrape(gw)), `${what} (last seen ${JSON.stringify(figures)})`, 30_000);
  return figures!;
}

async function lastStoredSeq(gw: TestGateway): Promise<number> {
  let since = 0;
  for (;;) {
    const body = (await gw.call('GET', `/api/v1/events?since=${since}&limit=1000`)).json as { next_since: number; events: unknown[] };
    if (body.events.length === 0) return since;
    since = body.next_since;
  }
}

async function placeFilledOrder(gw: TestGateway): Promise<void> {
  const placed = await gw.call('POST', '/api/v1/orders', { body: MARKET });
  expect(placed.status).toBe(201);
  await eventually(async () => (await gw.call('GET', `/api/v1/orders/${placed.json.id}`)).json.status === 'filled', 15_000);
}

describe.each(KINDS)('outbox relay metrics on a %s bus', { timeout: 90_000 }, (kind: BusKind) => {
  let bus: OwnServer;
  let gw: TestGateway;

  beforeAll(async () => {
    bus = await ownServer(kind);
    gw = await startTestGateway({ ORDERGATE_BUS_URL: bus.url });
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    await bus?.dispose();
  }, 30_000);

  it('given the bus is killed while orders are accepted, then the instance reports it down and its sweep stands still; once the bus is back, the sweep publishes what was committed meanwhile', async () => {
    await placeFilledOrder(gw);
    const stored = await lastStoredSeq(gw);
    const before = await scrapeWhen(gw, (f) => f.busUp === 1 && f.fast >= 1 && f.fast + f.sweep >= stored, 'the first order\'s events published');

    await bus.kill();
    const down = await scrapeWhen(gw, (f) => f.busUp === 0, 'the bus reported down');
    await placeFilledOrder(gw);
    const committedMeanwhile = (await lastStoredSeq(gw)) - stored;
    expect(committedMeanwhile).toBeGreaterThan(0);
    const during = await scrape(gw);
    expect(during).toEqual({ ...before, busUp: 0, sweepSucceededAt: down.sweepSucceededAt });

    const restartedAt = Date.now();
    await bus.start();
    const after = await scrapeWhen(gw, (f) => f.busUp === 1 && f.sweep - before.sweep >= committedMeanwhile && f.sweepSucceededAt >= restartedAt,
      `the ${committedMeanwhile} events committed while the bus was down published by the sweep`);
    expect(after.fast).toBe(before.fast);
  });
});
