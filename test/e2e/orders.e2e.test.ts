/**
 * The order endpoints of API.md, black-box against a running gateway on the embedded store:
 * submit, read, list, look up, cancel, simulate fills, duplicate client order ids.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestGateway, type TestGateway } from './harness.ts';
import { storesToTest } from '../support/postgres.ts';

const STORES = await storesToTest('orders.e2e');

describe.each(STORES)('on the %s store', (store) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({}, store);
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const restingBuy = (extra: Record<string, unknown> = {}) => ({
    symbol: 'AAPL', side: 'buy', quantity: '100', type: 'limit', limit_price: '100.00', time_in_force: 'gtc', ...extra,
  });

  async function acked(id: string, token?: string) {
    return eventually(async () => {
      const r = await gw.call('GET', `/api/v1/orders/${id}`, token ? { token } : {});
      return r.json.status === 'acked' ? r.json : null;
    });
  }

  describe('submitting an order', () => {
    it('answers 201 with the order, pending and durable, in the shape of API.md', async () => {
      const r = await gw.call('POST', '/api/v1/orders', { body: restingBuy({ client_order_id: 'first-1' }) });
      expect(r.status).toBe(201);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(Object.keys(r.json)).toEqual([
        'id', 'client_order_id', 'trader_id', 'symbol', 'side', 'type', 'time_in_force', 'quantity', 'limit_price',
        'stop_price', 'status', 'filled_quantity', 'average_fill_price', 'venue', 'venue_order_id', 'batch_id',
        'reject_reason', 'in_doubt', 'created_at', 'updated_at',
      ]);
      expect(r.json).toMatchObject({
        client_order_id: 'first-1', trader_id: 'alice', symbol: 'AAPL', side: 'buy', type: 'limit', time_in_force: 'gtc',
        quantity: '100', limit_price: '100', stop_price: null, status: 'pending', filled_quantity: '0',
        average_fill_price: null, venue: 'sim', venue_order_id: null, reject_reason: null, in_doubt: false,
      });
      expect(r.json.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
      expect(r.json.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });

    it('makes a client order id when none is given, and accepts an integer quantity', async () => {
      const r = await gw.call('POST', '/api/v1/orders', { body: { ...restingBuy(), quantity: 5 } });
      expect(r.status).toBe(201);
      expect(r.json.client_order_id).toBe(r.json.id);
      expect(r.json.quantity).toBe('5');
    });

    it('is acknowledged by the venue, then readable with its audit trail', async () => {
      const created = (await gw.call('POST', '/api/v1/orders', { body: restingBuy() })).json;
      const order = await acked(created.id);
      expect(order.venue_order_id).toMatch(/^SIM-/);
      expect(order.fills).toEqual([]);
      expect(order.events.map((e: { type: string }) => e.type)).toEqual(['submitted', 'acked']);
      expect(order.events[0].data).toMatchObject({ symbol: 'AAPL', quantity: '100', limit_price: '100' });
    });

    it('fills a market order against the reference price', async () => {
      const created = (await gw.call('POST', '/api/v1/orders', { body: { symbol: 'MSFT', side: 'buy', quantity: '10', type: 'market' } })).json;
      const filled = await eventually(async () => {
        const r = await gw.call('GET', `/api/v1/orders/${created.id}`);
        return r.json.status === 'filled' ? r.json : null;
      });
      expect(filled.filled_quantity).toBe('10');
      expect(Number(filled.average_fill_price)).toBeGreaterThan(300);
      expect(filled.fills).toHaveLength(1);
      expect(filled.fills[0]).toMatchObject({ quantity: '10', venue: 'sim', commission: '0' });
    });

    it('refuses a symbol that is not listed with 400 unknown_symbol, storing nothing', async () => {
      const r = await gw.call('POST', '/api/v1/orders', { body: { symbol: 'NOPE', side: 'buy', quantity: '1', type: 'market', client_order_id: 'nope-1' } });
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ code: 'unknown_symbol', symbol: 'NOPE' });
      expect(r.json.detail).toBe('Symbol NOPE is not listed; GET /api/v1/instruments lists the symbols you can trade.');
      expect((await gw.call('GET', '/api/v1/orders/by-client-id/nope-1')).status).toBe(404);
    });

    it('refuses a client order id the trader already used, naming the existing order', async () => {
      const first = await gw.call('POST', '/api/v1/orders', { body: restingBuy({ client_order_id: 'dup-1' }) });
      const second = await gw.call('POST', '/api/v1/orders', { body: restingBuy({ client_order_id: 'dup-1', quantity: '7' }) });
      expect(second.status).toBe(409);
      expect(second.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(second.json).toMatchObject({ code: 'duplicate_client_order_id', existing_order_id: first.json.id, status: 409 });
      expect(second.json.detail).toContain(first.json.id);
      const bob = await gw.call('POST', '/api/v1/orders', { token: await gw.token('bob'), body: restingBuy({ client_order_id: 'dup-1' }) });
      expect(bob.status).toBe(201);
    });

    it('answers 422 venue_unavailable for a venue that is not configured', async () => {
      const r = await gw.call('POST', '/api/v1/orders', { body: restingBuy({ venue: 'nyse' }) });
      expect(r.status).toBe(422);
      expect(r.json.code).toBe('venue_unavailable');
      expect(r.json.detail).toContain('sim');
    });
  });

  describe('reading and listing', () => {
    it('lists the caller’s orders newest first, filtered and paged, with the total', async () => {
      const token = await gw.token('lister');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await gw.call('POST', '/api/v1/orders', { token, body: restingBuy({ symbol: i < 3 ? 'AAPL' : 'MSFT', limit_price: '10' }) })).json.id);
      }
      const all = await gw.call('GET', '/api/v1/orders', { token });
      expect(all.json.total).toBe(5);
      expect(all.json.orders.map((o: { id: string }) => o.id)).toEqual([...ids].reverse());
      const page = await gw.call('GET', '/api/v1/orders?limit=2&offset=1', { token });
      expect(page.json).toMatchObject({ limit: 2, offset: 1, total: 5 });
      expect(page.json.orders.map((o: { id: string }) => o.id)).toEqual([ids[3], ids[2]]);
      const msft = await gw.call('GET', '/api/v1/orders?symbol=MSFT', { token });
      expect(msft.json.total).toBe(2);
      const rejectedOnly = await gw.call('GET', '/api/v1/orders?status=rejected', { token });
      expect(rejectedOnly.json.total).toBe(0);
    });

    it('refuses a page size over 100 and unknown query fields', async () => {
      expect((await gw.call('GET', '/api/v1/orders?limit=101')).json).toMatchObject({ status: 400, code: 'validation_failed' });
      expect((await gw.call('GET', '/api/v1/orders?limit=0')).status).toBe(400);
      const unknown = await gw.call('GET', '/api/v1/orders?colour=red');
      expect(unknown.status).toBe(400);
      expect(unknown.json.errors[0].field).toContain('colour');
    });

    it('looks an order up by client order id', async () => {
      const created = (await gw.call('POST', '/api/v1/orders', { body: restingBuy({ client_order_id: 'lookup:me.1' }) })).json;
      const r = await gw.call('GET', '/api/v1/orders/by-client-id/lookup:me.1');
      expect(r.status).toBe(200);
      expect(r.json.id).toBe(created.id);
      expect((await gw.call('GET', '/api/v1/orders/by-client-id/never-used')).status).toBe(404);
    });

    it('answers 404 for an id that is not a uuid or does not exist', async () => {
      expect((await gw.call('GET', '/api/v1/orders/not-a-uuid')).status).toBe(404);
      expect((await gw.call('GET', '/api/v1/orders/0190b0c0-0000-7000-8000-000000000000')).json.code).toBe('not_found');
    });
  });

  describe('cancelling', () => {
    it('cancels a working order at the venue, and refuses to cancel it twice', async () => {
      const created = (await gw.call('POST', '/api/v1/orders', { body: restingBuy() })).json;
      await acked(created.id);
      const r = await gw.call('POST', `/api/v1/orders/${created.id}/cancel`);
      expect(r.status).toBe(200);
      expect(['pending_cancel', 'cancelled']).toContain(r.json.status);
      const cancelled = await eventually(async () => {
        const o = await gw.call('GET', `/api/v1/orders/${created.id}`);
        return o.json.status === 'cancelled' ? o.json : null;
      });
      expect(cancelled.events.map((e: { type: string }) => e.type)).toEqual(['submitted', 'acked', 'cancel_requested', 'cancelled']);
      const again = await gw.call('POST', `/api/v1/orders/${created.id}/cancel`);
      expect(again.status).toBe(400);
      expect(again.json.code).toBe('order_not_cancelable');
      expect(again.json.detail).toBe('Cannot cancel order in CANCELLED status. Only working orders can be cancelled.');
    });

    it('refuses to cancel a filled order', async () => {
      const created = (await gw.call('POST', '/api/v1/orders', { body: { symbol: 'AAPL', side: 'buy', quantity: '1', type: 'market' } })).json;
      await eventually(async () => (await gw.call('GET', `/api/v1/orders/${created.id}`)).json.status === 'filled');
      const r = await gw.call('POST', `/api/v1/orders/${created.id}/cancel`);
      expect(r.status).toBe(400);
      expect(r.json.detail).toBe('Cannot cancel order in FILLED status. Only working orders can be cancelled.');
    });
  });

  describe('simulated fills', () => {
    it('fills partially then fully, with fills recorded and the average price exact', async () => {
      const created = (await gw.call('POST', '/api/v1/orders', { body: restingBuy() })).json;
      await acked(created.id);
      const partial = await gw.call('POST', `/api/v1/orders/${created.id}/simulate_fill`, { body: { fills: [{ fill_price: '99.50', fill_qty: '40' }] } });
      expect(partial.status).toBe(200);
      expect(partial.json).toMatchObject({ status: 'partially_filled', filled_quantity: '40', average_fill_price: '99.5' });
      const full = await gw.call('POST', `/api/v1/orders/${created.id}/simulate_fill`, { body: { fills: [{ fill_price: '100', fill_qty: 60 }] } });
      expect(full.json).toMatchObject({ status: 'filled', filled_quantity: '100', average_fill_price: '99.8' });
      const detail = (await gw.call('GET', `/api/v1/orders/${created.id}`)).json;
      expect(detail.fills.map((f: { quantity: string; price: string }) => [f.quantity, f.price])).toEqual([['40', '99.5'], ['60', '100']]);
    });

    it('refuses a fill beyond the remaining quantity with 400 overfill, recording nothing', async () => {
      const created = (await gw.call('POST', '/api/v1/orders', { body: restingBuy() })).json;
      await acked(created.id);
      const r = await gw.call('POST', `/api/v1/orders/${created.id}/simulate_fill`, {
        body: { fills: [{ fill_price: '100', fill_qty: '60' }, { fill_price: '100', fill_qty: '41' }] },
      });
      expect(r.status).toBe(400);
      expect(r.json.code).toBe('overfill');
      expect(r.json.detail).toBe('The fills total 101 but only 100 remain on the order.');
      expect((await gw.call('GET', `/api/v1/orders/${created.id}`)).json.filled_quantity).toBe('0');
    });

    it('validates the fills it is given', async () => {
      const created = (await gw.call('POST', '/api/v1/orders', { body: restingBuy() })).json;
      const r = await gw.call('POST', `/api/v1/orders/${created.id}/simulate_fill`, { body: { fills: [{ fill_price: 99.5, fill_qty: '-1' }] } });
      expect(r.status).toBe(400);
      expect(r.json.errors.map((e: { field: string }) => e.field).sort()).toEqual(['fills.0.fill_price']);
    });
  });
});
