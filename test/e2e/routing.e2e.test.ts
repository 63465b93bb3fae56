/**
 * Routing through the admin API: venue configurations in the database (an inactive venue is
 * 422 venue_unavailable, an unknown one too), rules by symbol and trader with the default
 * venue behind them, an order naming its venue, and a venue added by configuration that gets
 * its adapter at the next start. Admin endpoints refuse traders.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from './harness.ts';
import { restartableGateway, type Restartable } from './restartableGateway.ts';

const ADMIN = { as: 'ops', roles: ['admin' as const] };
const order = (symbol: string, extra: Record<string, unknown> = {}) => ({
  symbol, side: 'buy', quantity: '1', type: 'limit', limit_price: symbol === 'AAPL' ? '100.00' : '300.00', time_in_force: 'gtc', ...extra,
});

describe('routing', () => {
  let gw: Restartable;
  afterEach(async () => {
    await gw?.dispose();
  });

  it('given the built-in venue made inactive, then orders for it are 422 venue_unavailable until it is active again', async () => {
    gw = await restartableGateway('sqlite', {});
    const venues = await gw.call('GET', '/api/v1/admin/venues', ADMIN);
    expect(venues.json).toMatchObject({ default_venue: 'sim', venues: [{ name: 'sim', kind: 'sim', active: true, connected: true, reconciled: true }] });
    expect((await gw.call('GET', '/api/v1/admin/venues')).status).toBe(403);

    expect((await gw.call('PUT', '/api/v1/admin/venues/sim', { ...ADMIN, body: { kind: 'sim', active: false } })).status).toBe(200);
    const refused = await gw.call('POST', '/api/v1/orders', { body: order('AAPL') });
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({ code: 'venue_unavailable' });
    expect((await gw.call('POST', '/api/v1/orders', { body: order('AAPL', { venue: 'nowhere' }) })).json.code).toBe('venue_unavailable');

    await gw.call('PUT', '/api/v1/admin/venues/sim', { ...ADMIN, body: { kind: 'sim', active: true } });
    expect((await gw.call('POST', '/api/v1/orders', { body: order('AAPL') })).status).toBe(201);
  });

  it('given rules by symbol and by trader, then each order goes where the most specific rule says, else to the default venue', async () => {
    gw = await restartableGateway('sqlite', {});
    expect((await gw.call('PUT', '/api/v1/admin/venues/second', { ...ADMIN, body: { kind: 'sim', settings: { seed: 7 }, active: true } })).json)
      .toMatchObject({ connected: true });
    const unknownVenue = await gw.call('PUT', '/api/v1/admin/routing-rules', { ...ADMIN, body: { rules: [{ priority: 1, symbol: null, trader_id: null, venue: 'nowhere' }] } });
    expect(unknownVenue.status).toBe(400);
    const rules = await gw.call('PUT', '/api/v1/admin/routing-rules', { ...ADMIN, body: { rules: [
      { priority: 1, symbol: 'MSFT', trader_id: null, venue: 'second' },
      { priority: 1, symbol: 'MSFT', trader_id: 'bob', venue: 'sim' },
    ] } });
    expect(rules.status).toBe(200);
    // Its adapter started with the configuration, no restart: orders wait only for its first reconciliation.
    const routed = await eventually(async () => {
      const placed = await gw!.call('POST', '/api/v1/orders', { body: order('MSFT') });
      return placed.status === 201 ? placed : null;
    });
    expect(routed.json).toMatchObject({ status: 'pending', venue: 'second' });
    expect((await gw.call('POST', '/api/v1/orders', { as: 'bob', body: order('MSFT') })).json.venue).toBe('sim');
    expect((await gw.call('POST', '/api/v1/orders', { body: order('AAPL') })).json.venue).toBe('sim');
    expect((await gw.call('POST', '/api/v1/orders', { body: order('MSFT', { venue: 'sim' }) })).json.venue).toBe('sim');
    const acked = await eventually(async () => {
      const read = await gw.call('GET', `/api/v1/orders/${routed.json.id}`);
      return read.json.status === 'acked' ? read.json : null;
    });
    expect(acked.venue_order_id).toMatch(/^SECOND-/);
    expect((await gw.call('GET', '/api/v1/admin/routing-rules', ADMIN)).json.rules).toHaveLength(2);
  });
});
