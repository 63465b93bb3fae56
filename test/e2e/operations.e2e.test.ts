/** Operations endpoints: /health, /api/v1/health/orders, /metrics, /docs. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestGateway, type TestGateway } from './harness.ts';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.stop();
});

describe('operations', () => {
  it('/health answers ok without a token', async () => {
    const r = await gw.call('GET', '/health', { token: null });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: 'ok' });
  });

  it('/api/v1/health/orders reports each dependency', async () => {
    const r = await gw.call('GET', '/api/v1/health/orders', { token: null });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: 'ok', dependencies: { database: 'ok', exchange: 'ok', bus: 'ok' } });
  });

  it('/metrics exposes request latency, orders by status and the order stages', async () => {
    const created = (await gw.call('POST', '/api/v1/orders', { body: { symbol: 'AAPL', side: 'buy', quantity: '1', type: 'market' } })).json;
    await eventually(async () => (await gw.call('GET', `/api/v1/orders/${created.id}`)).json.status === 'filled');
    const r = await gw.call('GET', '/metrics', { token: null });
    expect(r.status).toBe(200);
    expect(r.text).toContain('ordergate_http_request_duration_seconds_bucket');
    expect(r.text).toMatch(/ordergate_orders\{status="filled"\} [1-9]/);
    for (const stage of ['committed', 'venue_ack', 'fill']) {
      expect(r.text).toMatch(new RegExp(`ordergate_order_stage_seconds_count\\{stage="${stage}"\\} [1-9]`));
    }
    expect(r.text).toContain('ordergate_commit_batch_size_bucket');
  });

  it('/metrics exposes the outbox relay: published and failed per path, the bus, the backlog and the last sweep', async () => {
    await gw.call('POST', '/api/v1/orders', { body: { symbol: 'AAPL', side: 'buy', quantity: '1', type: 'market' } });
    const text = await eventually(async () => {
      const r = await gw.call('GET', '/metrics', { token: null });
      return /ordergate_outbox_published_total\{path="fast"\} [1-9]/.test(r.text) && /ordergate_outbox_sweep_last_success_timestamp_seconds [1-9]/.test(r.text) && r.text;
    });
    expect(text).toMatch(/ordergate_outbox_published_total\{path="sweep"\} \d+/);
    for (const path of ['fast', 'sweep']) expect(text).toMatch(new RegExp(`ordergate_outbox_publish_failures_total\\{path="${path}"\\} \\d+`));
    expect(text).toMatch(/\nordergate_bus_up 1\n/);
    for (const gauge of ['publishes_in_flight', 'marks_pending', 'sweep_found_events']) expect(text).toMatch(new RegExp(`\\nordergate_outbox_${gauge} \\d+\\n`));
  });

  it('/docs serves the OpenAPI document generated from the route schemas', async () => {
    const page = await gw.call('GET', '/docs', { token: null });
    expect(page.status).toBe(200);
    const doc = await gw.call('GET', '/docs/json', { token: null });
    expect(doc.json.openapi).toMatch(/^3\./);
    const post = doc.json.paths['/api/v1/orders'].post;
    const schema = post.requestBody.content['application/json'].schema;
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['symbol', 'side', 'quantity', 'type', 'limit_price']));
    expect(post.responses['201']).toBeDefined();
    expect(doc.json.paths['/api/v1/orders/{id}/cancel']).toBeDefined();
  });
});

describe('/metrics with ORDERGATE_METRICS_TOKEN set', () => {
  const metricsToken = 'scrape-only-7f3c9a1e5b2d';
  let guarded: TestGateway;
  beforeAll(async () => {
    guarded = await startTestGateway({ ORDERGATE_METRICS_TOKEN: metricsToken });
  });
  afterAll(async () => {
    await guarded?.stop();
  });

  it('answers the scraper that sends the token', async () => {
    const r = await guarded.call('GET', '/metrics', { token: metricsToken });
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/\nordergate_bus_up 1\n/);
  });

  it('refuses no token, a wrong one and a trader\'s token with a 401 that says what to send, and shows no figure', async () => {
    const trader = await guarded.token('alice');
    for (const token of [null, `${metricsToken}x`, trader]) {
      const r = await guarded.call('GET', '/metrics', { token });
      expect(r.status).toBe(401);
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(r.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      expect(r.json).toMatchObject({ code: 'unauthorized', detail: expect.stringContaining('ORDERGATE_METRICS_TOKEN') });
      expect(r.text).not.toContain('ordergate_');
    }
  });

  it('leaves /health and /api/v1/health/orders open to probes', async () => {
    expect((await guarded.call('GET', '/health', { token: null })).status).toBe(200);
    expect((await guarded.call('GET', '/api/v1/health/orders', { token: null })).status).toBe(200);
  });
});

