/**
 * Bad input (issue "Bad input"): every malformed body is a 4xx problem+json that names the
 * field, never a 5xx, and nothing is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './harness.ts';

let gw: TestGateway;
let token: string;
beforeAll(async () => {
  gw = await startTestGateway();
  token = await gw.token('validator');
});
afterAll(async () => {
  await gw?.stop();
});

const good = { symbol: 'AAPL', side: 'buy', quantity: '10', type: 'limit', limit_price: '150.25' };

const cases: Array<[string, unknown, string]> = [
  ['an unknown field', { ...good, quantiy: '10' }, 'quantiy'],
  ['a missing symbol', { side: 'buy', quantity: '1', type: 'market' }, 'symbol'],
  ['a side that does not exist', { ...good, side: 'hold' }, 'side'],
  ['an order type that does not exist', { ...good, type: 'iceberg' }, 'type'],
  ['a time in force that does not exist', { ...good, time_in_force: 'gtd' }, 'time_in_force'],
  ['a quantity of the wrong type', { ...good, quantity: true }, 'quantity'],
  ['a zero quantity', { ...good, quantity: '0' }, 'quantity'],
  ['a negative quantity', { ...good, quantity: '-5' }, 'quantity'],
  ['a fractional JSON number quantity', { ...good, quantity: 1.5 }, 'quantity'],
  ['a quantity in exponent notation', { ...good, quantity: '1e3' }, 'quantity'],
  ['a price given as a JSON number', { ...good, limit_price: 150.25 }, 'limit_price'],
  ['a limit price on a market order', { ...good, type: 'market' }, 'limit_price'],
  ['a limit order without a limit price', { symbol: 'AAPL', side: 'buy', quantity: '1', type: 'limit' }, 'limit_price'],
  ['a stop order without a stop price', { symbol: 'AAPL', side: 'sell', quantity: '1', type: 'stop' }, 'stop_price'],
  ['a stop price on a limit order', { ...good, stop_price: '140' }, 'stop_price'],
  ['a negative limit price', { ...good, limit_price: '-1' }, 'limit_price'],
  ['a price with too many decimals', { ...good, limit_price: '1.0000000000001' }, 'limit_price'],
  ['a client order id over 128 characters', { ...good, client_order_id: 'x'.repeat(129) }, 'client_order_id'],
  ['a client order id with a space', { ...good, client_order_id: 'a b' }, 'client_order_id'],
  ['a lower-case symbol', { ...good, symbol: 'aapl' }, 'symbol'],
  ['a bracket stop loss (not supported)', { ...good, stop_loss: '140' }, 'stop_loss'],
  ['an array instead of an object', [good], '(body)'],
];

describe('POST /api/v1/orders refuses bad input', () => {
  it.each(cases)('%s: 400 validation_failed naming the field', async (_name, body, field) => {
    const r = await gw.call('POST', '/api/v1/orders', { token, body });
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(r.json).toMatchObject({ status: 400, code: 'validation_failed', title: expect.any(String), error_id: expect.any(String) });
    expect(r.json.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(r.json.detail).toContain(field);
  });

  it('reports every bad field at once', async () => {
    const r = await gw.call('POST', '/api/v1/orders', { token, body: { symbol: 'AAPL', side: 'up', quantity: '0', type: 'limit', extra: 1 } });
    expect(r.status).toBe(400);
    const fields = r.json.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['side', 'extra']));
  });

  it('answers invalid JSON with 400 invalid_json', async () => {
    const r = await gw.call('POST', '/api/v1/orders', { token, raw: '{"symbol": "AAPL",' });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('invalid_json');
  });

  it('answers an empty body with 400', async () => {
    const r = await gw.call('POST', '/api/v1/orders', { token, raw: '' , headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
  });

  it('answers a body over 64 KiB with 413', async () => {
    const r = await gw.call('POST', '/api/v1/orders', { token, raw: JSON.stringify({ ...good, pad: 'x'.repeat(70_000) }) });
    expect(r.status).toBe(413);
    expect(r.json.code).toBe('body_too_large');
  });

  it('answers a non-JSON content type with 415', async () => {
    const r = await gw.call('POST', '/api/v1/orders', { token, raw: 'symbol=AAPL', headers: { 'content-type': 'text/plain' } });
    expect(r.status).toBe(415);
  });

  it('answers an over-long Idempotency-Key with 400 naming the header', async () => {
    const r = await gw.call('POST', '/api/v1/orders', { token, body: good, headers: { 'idempotency-key': 'k'.repeat(256) } });
    expect(r.status).toBe(400);
    expect(r.json.errors[0].field).toBe('Idempotency-Key');
  });

  it('stored nothing for any of it', async () => {
    const r = await gw.call('GET', '/api/v1/orders', { token });
    expect(r.json.total).toBe(0);
    const events = await gw.call('GET', '/api/v1/events', { token });
    expect(events.json.events).toEqual([]);
  });

  it('answers an unknown route with a 404 problem', async () => {
    const r = await gw.call('GET', '/api/v1/nothing-here', { token });
    expect(r.status).toBe(404);
    expect(r.json.code).toBe('not_found');
  });
});
