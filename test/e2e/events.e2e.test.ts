/**
 * Live status: /ws/orders/events with since replay then live, gap-free per-trader seq, a bad
 * token closed with 4401, and GET /api/v1/events including its long poll.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/http/auth.ts';
import { eventually, SECRET, startTestGateway, type TestGateway } from './harness.ts';
import { storesToTest } from '../support/postgres.ts';

const STORES = await storesToTest('events.e2e');

describe.each(STORES)('on the %s store', (store) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({}, store);
  });
  afterAll(async () => {
    await gw?.stop();
  });

  interface Received {
    readonly messages: any[];
    readonly closed: Promise<{ code: number; reason: string }>;
    readonly socket: WebSocket;
  }

  function connect(query: string): Promise<Received> {
    const socket = new WebSocket(`${gw.url.replace('http', 'ws')}/ws/orders/events?${query}`);
    const messages: any[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
    return new Promise((resolve, reject) => {
      socket.on('open', () => resolve({ messages, closed, socket }));
      socket.on('error', reject);
    });
  }

  const market = { symbol: 'AAPL', side: 'buy', quantity: '3', type: 'market' };

  describe('the WebSocket event stream', () => {
    it('closes with 4401 for a bad token before sending any event', async () => {
      const ws = await connect('token=nonsense');
      const closed = await ws.closed;
      expect(closed.code).toBe(4401);
      expect(ws.messages).toEqual([]);
    });

    it('closes with 4401 when the token that opened it expires, after serving it until then', async () => {
      const token = await signToken(SECRET, { sub: 'ws-expiring', roles: ['trader'] }, 2);
      const ws = await connect(`token=${token}`);
      await gw.call('POST', '/api/v1/orders', { token, body: market });
      await eventually(async () => ws.messages.length >= 1);
      const closed = await ws.closed;
      expect(closed).toEqual({ code: 4401, reason: expect.stringContaining('token expired') });
      expect(ws.messages[0]).toMatchObject({ seq: 1, event: 'order.submitted', trader_id: 'ws-expiring' });
    });

    it('streams the trader’s own events live, in seq order with no gap', async () => {
      const token = await gw.token('ws-live');
      const ws = await connect(`token=${token}`);
      const created = (await gw.call('POST', '/api/v1/orders', { token, body: market })).json;
      await gw.call('POST', '/api/v1/orders', { token: await gw.token('ws-other'), body: market });
      await eventually(async () => ws.messages.length >= 3);
      ws.socket.close();
      expect(ws.messages.map((m) => m.event)).toEqual(['order.submitted', 'order.acked', 'order.filled']);
      expect(ws.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
      expect(ws.messages.every((m) => m.trader_id === 'ws-live' && m.order_id === created.id)).toBe(true);
      expect(ws.messages[2]).toMatchObject({ status: 'filled', quantity_filled: '3', total_filled: '3', venue: 'sim', reason: null, error_code: null });
      expect(ws.messages[2].price_at_fill).toMatch(/^\d+(\.\d+)?$/);
    });

    it('replays everything after `since`, then goes live', async () => {
      const token = await gw.token('ws-replay');
      for (let i = 0; i < 2; i++) await gw.call('POST', '/api/v1/orders', { token, body: market });
      await eventually(async () => (await gw.call('GET', '/api/v1/events', { token })).json.events.length === 6);
      const ws = await connect(`token=${token}&since=2`);
      await eventually(async () => ws.messages.length === 4);
      await gw.call('POST', '/api/v1/orders', { token, body: market });
      await eventually(async () => ws.messages.length === 7);
      ws.socket.close();
      expect(ws.messages.map((m) => m.seq)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    });

    it('refuses a malformed since', async () => {
      const token = await gw.token('ws-bad-since');
      const ws = await connect(`token=${token}&since=abc`);
      expect((await ws.closed).code).toBe(4400);
    });
  });

  describe('GET /api/v1/events', () => {
    it('returns the same events after since, with next_since', async () => {
      const token = await gw.token('http-events');
      await gw.call('POST', '/api/v1/orders', { token, body: market });
      await eventually(async () => (await gw.call('GET', '/api/v1/events', { token })).json.events.length === 3);
      const r = await gw.call('GET', '/api/v1/events?since=1&limit=1', { token });
      expect(r.json.events.map((e: { seq: number }) => e.seq)).toEqual([2]);
      expect(r.json.next_since).toBe(2);
    });

    it('long-polls: waits for the next event when nothing is newer', async () => {
      const token = await gw.token('long-poll');
      const poll = gw.call('GET', '/api/v1/events?since=0&wait_ms=5000', { token });
      await new Promise((r) => setTimeout(r, 100));
      await gw.call('POST', '/api/v1/orders', { token, body: { ...market, type: 'limit', limit_price: '1', time_in_force: 'gtc' } });
      const r = await poll;
      expect(r.json.events[0]).toMatchObject({ seq: 1, event: 'order.submitted' });
    });
  });
});
