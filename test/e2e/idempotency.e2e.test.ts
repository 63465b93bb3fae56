/**
 * Idempotency-Key (API.md, RELIABILITY R9): a replay is byte-identical with
 * Idempotency-Replayed; a different body is 422; keys are scoped per trader; 50 concurrent
 * requests with one key make exactly one order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestGateway, type TestGateway } from './harness.ts';
import { storesToTest } from '../support/postgres.ts';

const STORES = await storesToTest('idempotency.e2e');

describe.each(STORES)('on the %s store', (store) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({}, store);
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const order = { symbol: 'AAPL', side: 'buy', quantity: '10', type: 'limit', limit_price: '100', time_in_force: 'gtc' };

  describe('Idempotency-Key', () => {
    it('replays the first answer byte for byte, doing nothing twice', async () => {
      const token = await gw.token('idem-replay');
      const headers = { 'idempotency-key': 'order-1' };
      const first = await gw.call('POST', '/api/v1/orders', { token, body: order, headers });
      await new Promise((r) => setTimeout(r, 50)); // the order is acked meanwhile: the replay must not show it
      const second = await gw.call('POST', '/api/v1/orders', { token, raw: JSON.stringify({ ...order }, null, 2), headers });
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.text).toBe(first.text);
      expect(second.headers.get('idempotency-replayed')).toBe('true');
      expect(first.headers.get('idempotency-replayed')).toBeNull();
      expect((await gw.call('GET', '/api/v1/orders', { token })).json.total).toBe(1);
    });

    it('treats the same fields in another order as the same request', async () => {
      const token = await gw.token('idem-order');
      const headers = { 'idempotency-key': 'k' };
      const first = await gw.call('POST', '/api/v1/orders', { token, raw: '{"symbol":"AAPL","side":"buy","quantity":"1","type":"market"}', headers });
      const second = await gw.call('POST', '/api/v1/orders', { token, raw: '{"type":"market","quantity":"1","side":"buy","symbol":"AAPL"}', headers });
      expect(second.text).toBe(first.text);
    });

    it('answers 422 idempotency_key_reused when the key comes with a different body', async () => {
      const token = await gw.token('idem-reuse');
      const headers = { 'idempotency-key': 'order-2' };
      await gw.call('POST', '/api/v1/orders', { token, body: order, headers });
      const r = await gw.call('POST', '/api/v1/orders', { token, body: { ...order, quantity: '11' }, headers });
      expect(r.status).toBe(422);
      expect(r.json.code).toBe('idempotency_key_reused');
      expect((await gw.call('GET', '/api/v1/orders', { token })).json.total).toBe(1);
    });

    it('scopes keys per trader', async () => {
      const headers = { 'idempotency-key': 'shared-key' };
      const a = await gw.call('POST', '/api/v1/orders', { token: await gw.token('idem-a'), body: order, headers });
      const b = await gw.call('POST', '/api/v1/orders', { token: await gw.token('idem-b'), body: order, headers });
      expect(a.status).toBe(201);
      expect(b.status).toBe(201);
      expect(b.json.id).not.toBe(a.json.id);
      expect(b.headers.get('idempotency-replayed')).toBeNull();
    });

    it('makes exactly one order from 50 concurrent requests with one key; the rest are 409 or the replay', async () => {
      const token = await gw.token('idem-storm');
      const headers = { 'idempotency-key': 'storm' };
      const replies = await Promise.all(Array.from({ length: 50 }, () => gw.call('POST', '/api/v1/orders', { token, body: order, headers })));
      const created = replies.filter((r) => r.status === 201);
      const inUse = replies.filter((r) => r.status === 409);
      expect(created.length + inUse.length).toBe(50);
      expect(new Set(created.map((r) => r.json.id)).size).toBe(1);
      expect(created.filter((r) => r.headers.get('idempotency-replayed') === null)).toHaveLength(1);
      for (const r of inUse) expect(r.json.code).toBe('idempotency_key_in_use');
      expect((await gw.call('GET', '/api/v1/orders', { token })).json.total).toBe(1);
    });

    it('replays a cancel instead of refusing the second one', async () => {
      const token = await gw.token('idem-cancel');
      const created = (await gw.call('POST', '/api/v1/orders', { token, body: order })).json;
      const headers = { 'idempotency-key': 'cancel-1' };
      const first = await gw.call('POST', `/api/v1/orders/${created.id}/cancel`, { token, headers });
      const second = await gw.call('POST', `/api/v1/orders/${created.id}/cancel`, { token, headers });
      expect(first.status).toBe(200);
      expect(second.status).toBe(200);
      expect(second.text).toBe(first.text);
      expect(second.headers.get('idempotency-replayed')).toBe('true');
    });

    it('replays a simulated fill instead of filling twice', async () => {
      const token = await gw.token('idem-fill');
      const created = (await gw.call('POST', '/api/v1/orders', { token, body: order })).json;
      await eventually(async () => (await gw.call('GET', `/api/v1/orders/${created.id}`, { token })).json.status === 'acked');
      const headers = { 'idempotency-key': 'fill-1' };
      const body = { fills: [{ fill_price: '99', fill_qty: '4' }] };
      const first = await gw.call('POST', `/api/v1/orders/${created.id}/simulate_fill`, { token, body, headers });
      const second = await gw.call('POST', `/api/v1/orders/${created.id}/simulate_fill`, { token, body, headers });
      expect(first.json.filled_quantity).toBe('4');
      expect(second.text).toBe(first.text);
      expect(second.headers.get('idempotency-replayed')).toBe('true');
      expect((await gw.call('GET', `/api/v1/orders/${created.id}`, { token })).json.fills).toHaveLength(1);
    });

    it('does not remember a refused request: the key is free for a corrected one', async () => {
      const token = await gw.token('idem-fix');
      const headers = { 'idempotency-key': 'fix-me' };
      const bad = await gw.call('POST', '/api/v1/orders', { token, body: { ...order, quantity: '0' }, headers });
      expect(bad.status).toBe(400);
      const fixed = await gw.call('POST', '/api/v1/orders', { token, body: order, headers });
      expect(fixed.status).toBe(201);
    });
  });
});
