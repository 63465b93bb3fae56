/**
 * Authentication and isolation: a trader sees and acts on its own orders only; another
 * trader's order answers 404 exactly like one that does not exist. Tokens: exp required,
 * algorithm pinned, signature checked, iss/aud checked when configured.
 */
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET, eventually, startTestGateway, type TestGateway } from './harness.ts';

let gw: TestGateway;
let aliceOrder: { id: string; client_order_id: string };
beforeAll(async () => {
  gw = await startTestGateway({ ORDERGATE_JWT_ISSUER: 'https://idp.example', ORDERGATE_JWT_AUDIENCE: 'ordergate' });
  aliceOrder = (await gw.call('POST', '/api/v1/orders', {
    token: await good('alice'),
    body: { symbol: 'AAPL', side: 'buy', quantity: '10', type: 'limit', limit_price: '100', client_order_id: 'alice-secret', time_in_force: 'gtc' },
  })).json;
});
afterAll(async () => {
  await gw?.stop();
});

const key = new TextEncoder().encode(SECRET);
const now = () => Math.floor(Date.now() / 1000);

function good(sub: string, roles = ['trader']) {
  return new SignJWT({ roles }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuer('https://idp.example')
    .setAudience('ordergate').setExpirationTime(now() + 600).sign(key);
}

describe('tokens', () => {
  const bad: Array<[string, () => Promise<string | null>]> = [
    ['no token', async () => null],
    ['an expired token', () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setIssuer('https://idp.example').setAudience('ordergate').setExpirationTime(now() - 10).sign(key)],
    ['a token without exp', () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setIssuer('https://idp.example').setAudience('ordergate').sign(key)],
    ['a token with a bad signature', () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setIssuer('https://idp.example').setAudience('ordergate').setExpirationTime(now() + 60).sign(new TextEncoder().encode('another-secret-another-secret-another!'))],
    ['an unsigned token (alg none)', async () => new UnsecuredJWT({}).setSubject('alice').setIssuer('https://idp.example').setAudience('ordergate').setExpirationTime(now() + 60).encode()],
    ['a token with another algorithm', () => new SignJWT({}).setProtectedHeader({ alg: 'HS512' }).setSubject('alice').setIssuer('https://idp.example').setAudience('ordergate').setExpirationTime(now() + 60).sign(new TextEncoder().encode(SECRET + SECRET))],
    ['a token for another audience', () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setIssuer('https://idp.example').setAudience('other').setExpirationTime(now() + 60).sign(key)],
    ['a token from another issuer', () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setIssuer('https://evil.example').setAudience('ordergate').setExpirationTime(now() + 60).sign(key)],
    ['garbage', async () => 'not.a.jwt'],
  ];
  const endpoints: Array<[string, string, unknown?]> = [
    ['POST', '/api/v1/orders', { symbol: 'AAPL', side: 'buy', quantity: '1', type: 'market' }],
    ['GET', '/api/v1/orders'],
    ['GET', '/api/v1/events'],
  ];
  it.each(bad)('%s is refused with 401 on every order endpoint', async (_name, make) => {
    const token = await make();
    for (const [method, path, body] of endpoints) {
      const r = await gw.call(method, path, { token, ...(body ? { body } : {}) });
      expect(r.status, `${method} ${path}`).toBe(401);
      expect(r.json.code).toBe('unauthorized');
    }
    for (const path of [`/api/v1/orders/${aliceOrder.id}`, `/api/v1/orders/${aliceOrder.id}/cancel`]) {
      const r = await gw.call(path.endsWith('cancel') ? 'POST' : 'GET', path, { token });
      expect(r.status).toBe(401);
    }
  });
});

describe('isolation between traders', () => {
  it("answers 404 for another trader's order on every endpoint, exactly as for a missing one", async () => {
    const bob = await good('bob');
    const missing = await gw.call('GET', '/api/v1/orders/0190b0c0-0000-7000-8000-000000000000', { token: bob });
    const read = await gw.call('GET', `/api/v1/orders/${aliceOrder.id}`, { token: bob });
    expect(read.status).toBe(404);
    expect(read.json.title).toBe(missing.json.title);
    expect((await gw.call('GET', '/api/v1/orders/by-client-id/alice-secret', { token: bob })).status).toBe(404);
    expect((await gw.call('POST', `/api/v1/orders/${aliceOrder.id}/cancel`, { token: bob })).status).toBe(404);
    expect((await gw.call('POST', `/api/v1/orders/${aliceOrder.id}/simulate_fill`, { token: bob, body: { fills: [{ fill_price: '1', fill_qty: '1' }] } })).status).toBe(404);
    const list = await gw.call('GET', '/api/v1/orders', { token: bob });
    expect(list.json.orders.some((o: { id: string }) => o.id === aliceOrder.id)).toBe(false);
    const events = await gw.call('GET', '/api/v1/events', { token: bob });
    expect(events.text).not.toContain(aliceOrder.id);
  });

  it("left alice's order untouched by bob's attempts", async () => {
    const order = await eventually(async () => {
      const r = await gw.call('GET', `/api/v1/orders/${aliceOrder.id}`, { token: await good('alice') });
      return r.json.status === 'acked' ? r.json : null;
    });
    expect(order.filled_quantity).toBe('0');
    expect(order.events.map((e: { type: string }) => e.type)).toEqual(['submitted', 'acked']);
  });
});
