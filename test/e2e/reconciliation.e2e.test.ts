/**
 * R8: a gateway restarts while its venue (the simulated exchange behind its HTTP front, which
 * outlives the gateway) holds open orders and fills the gateway has not seen, and an order the
 * gateway never sent. New orders for the venue wait (503) until reconciliation has run; then
 * the store matches the venue, the drift is shown by the admin API and the metrics, and orders
 * flow again. On both stores.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSimFront, type SimFront } from '../../src/adapters/venues/sim/httpFront.ts';
import { SimulatedExchange } from '../../src/adapters/venues/sim/simulatedExchange.ts';
import { D } from '../../src/domain/money.ts';
import { storesToTest } from '../support/postgres.ts';
import { eventually } from './harness.ts';
import { restartableGateway, type Restartable } from './restartableGateway.ts';

const stores = await storesToTest('reconciliation e2e');

describe.each(stores)('R8 on the %s store', (store) => {
  let front: SimFront;
  let exchange: SimulatedExchange;
  let gw: Restartable;
  beforeEach(async () => {
    exchange = new SimulatedExchange({ halfSpreadTicks: 2, journalCapacity: 100_000 });
    await exchange.start();
    front = await startSimFront({ exchange });
  });
  afterEach(async () => {
    await gw?.dispose();
    await front.close();
    await exchange.close();
  });

  const resting = (client: string) => ({
    symbol: 'AAPL', side: 'buy', quantity: '10', type: 'limit', limit_price: '100.00', time_in_force: 'gtc', client_order_id: `${store}-${client}`,
  });

  it('given fills, a cancel and a stranger order at the venue while the gateway was down, then new orders wait until it has reconciled, and it matches the venue', async () => {
    gw = await restartableGateway(store, { ORDERGATE_SIM_URL: front.url, ORDERGATE_INSTANCE_ID: `r8-${store}` });
    const ids: string[] = [];
    for (const name of ['filled', 'partial', 'cancelled']) {
      const created = await gw.call('POST', '/api/v1/orders', { body: resting(name) });
      expect(created.status).toBe(201);
      ids.push(created.json.id);
    }
    for (const id of ids) await eventually(async () => (await gw.call('GET', `/api/v1/orders/${id}`)).json.status === 'acked');
    await gw.stop();

    const [filled, partial, cancelled] = ids as [string, string, string];
    await exchange.simulateFills(filled, [{ quantity: new D(6), price: new D(100) }, { quantity: new D(4), price: new D('99.5') }]);
    await exchange.simulateFills(partial, [{ quantity: new D(4), price: new D(100) }]);
    await exchange.cancel(cancelled);
    const stranger = `stranger-${store}`;
    await exchange.submit({ clientOrderId: stranger, account: 'someone', symbol: 'AAPL', side: 'buy', type: 'limit', timeInForce: 'gtc',
      quantity: new D(1), limitPrice: new D(100), stopPrice: null });

    front.plan.settings = { ...front.plan.settings, lookupErrorPct: 100 };
    await gw.restart();
    const waiting = await gw.call('POST', '/api/v1/orders', { body: resting('too-early') });
    expect(waiting.status).toBe(503);
    expect(waiting.json.code).toBe('venue_reconciling');

    front.plan.settings = { ...front.plan.settings, lookupErrorPct: 0 };
    const restoredAt = Date.now();
    const run = await gw.call('POST', '/api/v1/admin/reconciliation/sim', { as: 'ops', roles: ['admin'] });
    expect(run.status).toBe(200);
    expect(run.json).toMatchObject({ status: 'ok', drift: 4 });
    expect(run.json.details.map((d: { kind: string }) => d.kind).sort()).toEqual(['adopted', 'adopted', 'adopted', 'unknown_order_at_venue']);

    for (const id of ids) {
      const here = (await gw.call('GET', `/api/v1/orders/${id}`)).json;
      const there = (await exchange.lookup(id))!;
      expect(here.filled_quantity).toBe(there.filledQuantity.toFixed());
      expect(here.fills.map((f: { venue_fill_id: string }) => f.venue_fill_id)).toEqual(there.fills.map((f) => f.venueFillId));
    }
    expect((await gw.call('GET', `/api/v1/orders/${filled}`)).json).toMatchObject({ status: 'filled', average_fill_price: '99.8' });
    expect((await gw.call('GET', `/api/v1/orders/${partial}`)).json.status).toBe('partially_filled');
    expect((await gw.call('GET', `/api/v1/orders/${cancelled}`)).json.status).toBe('cancelled');
    expect(Date.now() - restoredAt).toBeLessThan(30_000);

    expect((await gw.call('POST', '/api/v1/orders', { body: resting('after') })).status).toBe(201);
    const report = await gw.call('GET', '/api/v1/admin/reconciliation', { as: 'ops', roles: ['admin'] });
    expect(report.json.venues).toEqual([expect.objectContaining({ venue: 'sim', reconciled: true, last_run: expect.objectContaining({ drift: 4 }) })]);
    expect(report.json.in_doubt).toEqual({ count: 0, orders: [] });
    expect((await gw.call('GET', '/api/v1/admin/reconciliation')).status).toBe(403);
    const metrics = await (await fetch(`${gw.gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/ordergate_reconciliation_drift\{venue="sim"\} 4/);

    // A second pass finds nothing more: what the first one made is deduplicated.
    expect((await gw.call('POST', '/api/v1/admin/reconciliation/sim', { as: 'ops', roles: ['admin'] })).json).toMatchObject({ status: 'ok', drift: 1 });
  });
});
