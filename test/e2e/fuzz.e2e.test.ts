/**
 * Fuzzed requests (RELIABILITY R11): random bodies, field values and headers never get an
 * answer ≥ 500; every refusal is a problem+json, and every 201 is an order that can be read.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './harness.ts';

let gw: TestGateway;
let token: string;
beforeAll(async () => {
  gw = await startTestGateway();
  token = await gw.token('fuzzer');
});
afterAll(async () => {
  await gw?.stop();
});

const anyValue = fc.oneof(
  fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
  fc.constantFrom('0', '-1', '1e9', '00.1', ' 1', '1.', '.5', '150.25', '100', 'NaN', 'Infinity', '9'.repeat(40)),
  fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
);
const fieldName = fc.constantFrom('symbol', 'side', 'quantity', 'type', 'time_in_force', 'limit_price', 'stop_price',
  'client_order_id', 'stop_loss', 'take_profit', 'venue', '__proto__', 'constructor', 'extra');
const plausible = fc.record({
  symbol: fc.constantFrom('AAPL', 'MSFT', 'ZZZZ', 'aapl', ''),
  side: fc.constantFrom('buy', 'sell', 'hold'),
  quantity: fc.oneof(fc.constantFrom('1', '10', '0', '-3', '2.5'), fc.integer({ min: -5, max: 50 })),
  type: fc.constantFrom('market', 'limit', 'stop', 'stop_limit', 'iceberg'),
}, { requiredKeys: [] });
const body = fc.oneof(
  fc.tuple(plausible, fc.dictionary(fieldName, anyValue, { maxKeys: 4 })).map(([a, b]) => JSON.stringify({ ...a, ...b })),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
);

describe('fuzzed requests', () => {
  it('never answer 5xx, and refusals are problem+json', async () => {
    await fc.assert(
      fc.asyncProperty(body, fc.option(fc.string({ maxLength: 300 }), { nil: undefined }), async (raw, key) => {
        const headers: Record<string, string> = {};
        if (key !== undefined) headers['idempotency-key'] = key.replace(/[\r\n\0]/g, '');
        const r = await gw.call('POST', '/api/v1/orders', { token, raw, headers });
        expect(r.status, `${r.status} for ${raw}: ${r.text}`).toBeLessThan(500);
        if (r.status >= 400) {
          expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
          expect(r.json.code).toMatch(/^[a-z_]+$/);
        } else {
          const read = await gw.call('GET', `/api/v1/orders/${r.json.id}`, { token });
          expect(read.status).toBe(200);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never answer 5xx to fuzzed paths and query strings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 60 }), fc.string({ maxLength: 60 }), async (segment, query) => {
        const path = `/api/v1/orders/${encodeURIComponent(segment)}?${encodeURIComponent(query)}=${encodeURIComponent(segment)}`;
        const r = await gw.call('GET', path, { token });
        expect(r.status, `${r.status} for ${path}`).toBeLessThan(500);
        const list = await gw.call('GET', `/api/v1/orders?limit=${encodeURIComponent(segment)}&status=${encodeURIComponent(query)}`, { token });
        expect(list.status).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
  });
});
