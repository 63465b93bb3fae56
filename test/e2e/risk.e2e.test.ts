/**
 * Pre-trade risk through the API: denials are 422 with the code, numbers and sentence; only
 * the risk role changes limits (a trader gets 403), another trader's account is 404; the
 * account shows cash, reservations and positions after a fill; the kill switch halts and
 * cancels; the API rate limit answers 429 with Retry-After and X-RateLimit-* headers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storesToTest } from '../support/postgres.ts';
import { eventually, startTestGateway, type TestGateway } from './harness.ts';

const STORES = await storesToTest('risk.e2e');
const restingBuy = (extra: Record<string, unknown> = {}) =>
  ({ symbol: 'AAPL', side: 'buy', quantity: '10', type: 'limit', limit_price: '100', time_in_force: 'gtc', ...extra });

describe.each(STORES)('on the %s store', (store) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ ORDERGATE_DEMO_CASH: '3200', ORDERGATE_RATE_LIMIT_PER_MIN: '20' }, store);
  });
  afterAll(async () => gw?.stop());

  it('denies an order past buying power with 422, the code, the numbers and one sentence', async () => {
    const r = await gw.call('POST', '/api/v1/orders', { token: await gw.token('poor'), body: restingBuy({ quantity: '150' }) });
    expect(r.status).toBe(422);
    expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(r.json).toMatchObject({ code: 'insufficient_buying_power', requested: '15000', available: '3200',
      detail: 'Insufficient funds for $15,000.00 order; available: $3,200.00' });
  });

  it('lets only the risk role change limits, and keeps other traders’ accounts and limits out of sight', async () => {
    const trader = await gw.token('carol');
    expect((await gw.call('PUT', '/api/v1/risk/limits/carol', { token: trader, body: { max_order_quantity: '1' } })).status).toBe(403);
    expect((await gw.call('GET', '/api/v1/risk/limits/dave', { token: trader })).status).toBe(404);
    expect((await gw.call('GET', '/api/v1/accounts/dave', { token: trader })).status).toBe(404);
    expect((await gw.call('POST', '/api/v1/admin/accounts/carol/cash', { token: trader, body: { amount: '1', reason: 'x' } })).status).toBe(403);
    const risk = await gw.token('desk', ['risk']);
    const put = await gw.call('PUT', '/api/v1/risk/limits/carol', { token: risk, body: { max_order_quantity: '5', reason: 'new trader' } });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ trader_id: 'carol', max_order_quantity: '5', price_collar_pct: '10' });
    expect((await gw.call('GET', '/api/v1/risk/limits/carol', { token: trader })).json.max_order_quantity).toBe('5');
    const r = await gw.call('POST', '/api/v1/orders', { token: trader, body: restingBuy({ quantity: '6', limit_price: '1' }) });
    expect(r.json).toMatchObject({ code: 'max_order_quantity_exceeded', limit: '5', requested: '6' });
    expect((await gw.call('GET', '/api/v1/accounts/carol', { token: risk })).json.limits.max_order_quantity).toBe('5');
  });

  it('shows cash, reservation and the position after a fill', async () => {
    const token = await gw.token('erin');
    const order = (await gw.call('POST', '/api/v1/orders', { token, body: restingBuy({ quantity: '10', limit_price: '100' }) })).json;
    expect((await gw.call('GET', '/api/v1/account', { token })).json).toMatchObject({ cash: '3200', reserved: '1000', buying_power: '2200' });
    await eventually(async () => (await gw.call('GET', `/api/v1/orders/${order.id}`, { token })).json.status === 'acked');
    await gw.call('POST', `/api/v1/orders/${order.id}/simulate_fill`, { token, body: { fills: [{ fill_price: '99', fill_qty: '10' }] } });
    const account = await eventually(async () => {
      const a = (await gw.call('GET', '/api/v1/account', { token })).json;
      return a.positions.length > 0 ? a : null;
    });
    expect(account).toMatchObject({ cash: '2210', reserved: '0', buying_power: '2210', trading_state: 'active' });
    expect(account.positions).toEqual([{ symbol: 'AAPL', quantity: '10', average_price: '99', market_price: '150', unrealized_pnl: '510' }]);
  });

  it('trips the kill switch for a trader, who then gets trading_halted, until the risk desk releases it', async () => {
    const token = await gw.token('frank');
    const order = (await gw.call('POST', '/api/v1/orders', { token, body: restingBuy({ quantity: '1' }) })).json;
    const trip = await gw.call('POST', '/api/v1/kill-switch', { token, body: { scope: 'trader', reason: 'my algo is looping' } });
    expect(trip.json).toMatchObject({ scope: 'trader', trader_id: 'frank', trading_state: 'halted', cancel_requested: 1 });
    await eventually(async () => (await gw.call('GET', `/api/v1/orders/${order.id}`, { token })).json.status === 'cancelled');
    expect((await gw.call('POST', '/api/v1/orders', { token, body: restingBuy({ quantity: '1' }) })).json.code).toBe('trading_halted');
    expect((await gw.call('POST', '/api/v1/kill-switch', { token, body: { scope: 'firm' } })).status).toBe(403);
    expect((await gw.call('DELETE', '/api/v1/kill-switch', { token, body: { scope: 'trader' } })).status).toBe(403);
    const release = await gw.call('DELETE', '/api/v1/kill-switch', { token: await gw.token('desk', ['risk']), body: { scope: 'trader', trader_id: 'frank' } });
    expect(release.status).toBe(200);
    expect((await gw.call('POST', '/api/v1/orders', { token, body: restingBuy({ quantity: '1' }) })).status).toBe(201);
    const events = (await gw.call('GET', '/api/v1/events?since=0&limit=100', { token })).json.events.map((e: { event: string }) => e.event);
    expect(events).toEqual(expect.arrayContaining(['kill_switch.tripped', 'kill_switch.released']));
  });

  it('answers 429 with Retry-After and X-RateLimit-* past the per-minute order budget, per trader', async () => {
    const token = await gw.token('greedy');
    const statuses: number[] = [];
    let last: Awaited<ReturnType<TestGateway['call']>> | undefined;
    for (let i = 0; i < 21; i++) {
      last = await gw.call('POST', '/api/v1/orders', { token, body: restingBuy({ quantity: '1', limit_price: '1' }) });
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 20).every((s) => s === 201)).toBe(true);
    expect(last!.status).toBe(429);
    expect(last!.json.code).toBe('rate_limited');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last!.headers.get('x-ratelimit-limit')).toBe('20');
    expect(last!.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(last!.headers.get('x-ratelimit-reset')).not.toBeNull();
    expect((await gw.call('POST', '/api/v1/orders', { token: await gw.token('patient'), body: restingBuy({ quantity: '1', limit_price: '1' }) })).status).toBe(201);
  });
});
