/**
 * Broker venues end to end, through the admin API as an operator configures them: an Alpaca
 * venue (the in-repository Alpaca test server) gets its adapter as soon as its credentials are
 * set over the API, with no restart, and orders routed to it are acked and filled there; a
 * Zerodha venue's daily access token set again replaces its adapter while the gateway runs,
 * and it takes Kite postbacks on the gateway's postback route, checked by checksum; bad
 * configurations and credentials are refused with the field named, and no answer ever
 * carries a credential.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AlpacaTestServer } from '../../src/adapters/venues/alpaca/testServer.ts';
import { generateEncryptionKey } from '../../src/adapters/venues/credentials.ts';
import { tagFor } from '../../src/adapters/venues/zerodha/kiteWire.ts';
import { KiteTestServer } from '../../src/adapters/venues/zerodha/testServer.ts';
import { eventually } from './harness.ts';
import { restartableGateway, type Restartable } from './restartableGateway.ts';

const ADMIN = { as: 'ops', roles: ['admin' as const] };
const ALPACA = { keyId: 'PKE2ETESTKEY000000001', secretKey: 'e2e-alpaca-secret-0f9e8d7c6b5a4' };
const KITE = { apiKey: 'kitee2eapikey', accessToken: 'e2e-kite-access-token-77aa11', apiSecret: 'e2e-kite-api-secret-5566ff' };
/** A broker venue that is active or has credentials needs the key to start (venueFactory.ts). */
const WITH_KEY = { ORDERGATE_CREDENTIALS_KEY: generateEncryptionKey() };

const limitBuy = (venue: string, clientOrderId: string) => ({
  symbol: 'AAPL', side: 'buy', quantity: '10', type: 'limit', limit_price: '100.25', time_in_force: 'day', venue, client_order_id: clientOrderId,
});

/** Places an order once the venue's adapter has started and reconciled (before that: 503 venue_reconciling). */
async function placeWhenReconciled(gw: Restartable, body: Record<string, unknown>): Promise<{ status: number; json: Record<string, any> }> {
  return eventually(async () => {
    const created = await gw.call('POST', '/api/v1/orders', { body });
    if (created.status === 201) return created;
    if (created.status === 503 && created.json.code === 'venue_reconciling') return null;
    throw new Error(`order answered ${created.status}: ${created.text}`);
  });
}

async function orderWhen(gw: Restartable, id: string, status: string): Promise<Record<string, any>> {
  return eventually(async () => {
    const read = await gw.call('GET', `/api/v1/orders/${id}`);
    return read.json.status === status ? read.json : null;
  });
}

describe('broker venues configured over the admin API', () => {
  let gw: Restartable | null = null;
  let alpaca: AlpacaTestServer | null = null;
  let kite: KiteTestServer | null = null;
  afterEach(async () => {
    await gw?.dispose();
    await alpaca?.close();
    await kite?.close();
    gw = null;
    alpaca = null;
    kite = null;
  });

  it('given an alpaca venue and its credentials set over the API, then without a restart orders routed to it are acked and filled at Alpaca', async () => {
    alpaca = await AlpacaTestServer.start({ ...ALPACA, buyingPower: '1000000', symbols: ['AAPL'] });
    gw = await restartableGateway('sqlite', WITH_KEY);
    const configured = await gw.call('PUT', '/api/v1/admin/venues/paper', {
      ...ADMIN, body: { kind: 'alpaca', settings: { baseUrl: alpaca.baseUrl, streamUrl: alpaca.streamUrl }, active: true },
    });
    expect(configured.status).toBe(200);
    expect(configured.json).toMatchObject({ connected: false });
    const set = await gw.call('PUT', '/api/v1/admin/venues/paper/credentials', { ...ADMIN, body: { key_id: ALPACA.keyId, secret_key: ALPACA.secretKey } });
    expect(set.status).toBe(200);
    expect(set.json).toMatchObject({ venue: 'paper', fields: ['key_id', 'secret_key'], updated_by: 'ops', connected: true });
    const described = await gw.call('GET', '/api/v1/admin/venues/paper/credentials', ADMIN);
    expect(described.json).toEqual({ venue: 'paper', fields: ['key_id', 'secret_key'], updated_at: expect.any(String), updated_by: 'ops' });
    const listed = await gw.call('GET', '/api/v1/admin/venues', ADMIN);
    expect(listed.json.venues.find((v: { name: string }) => v.name === 'paper')).toMatchObject({ credentials: { fields: ['key_id', 'secret_key'] } });
    for (const reply of [set, described, listed]) expect(reply.text).not.toContain(ALPACA.secretKey);
    expect((await gw.call('PUT', '/api/v1/admin/venues/paper/credentials', { body: { key_id: 'x', secret_key: 'y' } })).status).toBe(403);

    // Orders wait (503 venue_reconciling) until the new adapter's first reconciliation.
    await eventually(async () => {
      const venues = await gw!.call('GET', '/api/v1/admin/venues', ADMIN);
      return venues.json.venues.find((v: { name: string }) => v.name === 'paper')?.reconciled === true ? true : null;
    });
    const created = await gw.call('POST', '/api/v1/orders', { body: limitBuy('paper', 'e2e-alpaca-1') });
    expect(created.status).toBe(201);
    const acked = await orderWhen(gw, created.json.id, 'acked');
    expect(alpaca.book.byClientOrderId(created.json.id)).toMatchObject({ id: acked.venue_order_id, qty: '10', limit_price: '100.25' });
    alpaca.fill(created.json.id, '10', '100.25');
    const filled = await orderWhen(gw, created.json.id, 'filled');
    expect(filled).toMatchObject({ venue: 'paper', filled_quantity: '10', average_fill_price: '100.25' });
    const venues = await gw.call('GET', '/api/v1/admin/venues', ADMIN);
    expect(venues.json.venues.find((v: { name: string }) => v.name === 'paper')).toMatchObject({ connected: true, reconciled: true });
  });

  it('given a zerodha venue, when its access token is set again (Kite\'s next session), then its adapter is replaced with no restart and orders placed before are still followed', async () => {
    kite = await KiteTestServer.start({ apiKey: KITE.apiKey, accessToken: KITE.accessToken, instruments: ['AAPL'] });
    gw = await restartableGateway('sqlite', WITH_KEY);
    await gw.call('PUT', '/api/v1/admin/venues/kite', {
      ...ADMIN, body: { kind: 'zerodha', settings: { baseUrl: kite.baseUrl, streamUrl: kite.streamUrl, exchange: 'NSE', product: 'CNC' }, active: true },
    });
    await gw.call('PUT', '/api/v1/admin/venues/kite/credentials', { ...ADMIN, body: { api_key: KITE.apiKey, access_token: KITE.accessToken } });
    const yesterday = await placeWhenReconciled(gw, limitBuy('kite', 'e2e-kite-yesterday'));
    await orderWhen(gw, yesterday.json.id, 'acked');

    const nextToken = 'e2e-kite-access-token-88bb22';
    kite.rotateAccessToken(nextToken);
    const set = await gw.call('PUT', '/api/v1/admin/venues/kite/credentials', { ...ADMIN, body: { api_key: KITE.apiKey, access_token: nextToken } });
    expect(set.json).toMatchObject({ connected: true });
    expect(set.text).not.toContain(nextToken);
    const today = await placeWhenReconciled(gw, limitBuy('kite', 'e2e-kite-today'));
    await orderWhen(gw, today.json.id, 'acked');
    // Yesterday's order fills at Kite: the new adapter's stream carries it.
    kite.fill(yesterday.json.id, '10', '100.25');
    expect(await orderWhen(gw, yesterday.json.id, 'filled')).toMatchObject({ filled_quantity: '10' });
    expect(kite.book.byTag(tagFor(yesterday.json.id))).toHaveLength(1);
    expect(kite.book.byTag(tagFor(today.json.id))).toHaveLength(1);
  });

  it('given executions at Alpaca while the gateway was down, when it starts, then reconciliation adopts them from the open orders and the fill activities', async () => {
    alpaca = await AlpacaTestServer.start({ ...ALPACA, buyingPower: '1000000', symbols: ['AAPL'] });
    gw = await restartableGateway('sqlite', WITH_KEY);
    await gw.call('PUT', '/api/v1/admin/venues/paper', { ...ADMIN, body: { kind: 'alpaca', settings: { baseUrl: alpaca.baseUrl, streamUrl: alpaca.streamUrl }, active: true } });
    await gw.call('PUT', '/api/v1/admin/venues/paper/credentials', { ...ADMIN, body: { key_id: ALPACA.keyId, secret_key: ALPACA.secretKey } });
    await gw.restart();
    const [working, done] = [
      await gw.call('POST', '/api/v1/orders', { body: limitBuy('paper', 'e2e-recon-working') }),
      await gw.call('POST', '/api/v1/orders', { body: limitBuy('paper', 'e2e-recon-done') }),
    ];
    await orderWhen(gw, working.json.id, 'acked');
    await orderWhen(gw, done.json.id, 'acked');

    await gw.stop();
    alpaca.fill(working.json.id, '4', '100.25');
    alpaca.fill(done.json.id, '10', '100.25');
    await gw.restart();

    expect(await orderWhen(gw, working.json.id, 'partially_filled')).toMatchObject({ filled_quantity: '4' });
    expect(await orderWhen(gw, done.json.id, 'filled')).toMatchObject({ filled_quantity: '10' });
    const read = await gw.call('GET', `/api/v1/orders/${working.json.id}`);
    expect(read.json.fills).toEqual([expect.objectContaining({ quantity: '4', price: '100.25', venue: 'paper' })]);
    const runs = await gw.call('GET', '/api/v1/admin/reconciliation', ADMIN);
    const paper = runs.json.venues.find((v: { venue: string }) => v.venue === 'paper');
    expect(paper.last_run).toMatchObject({ status: 'ok', fills_cursor: alpaca.book.activities.at(-1)!.id });
  });

  it('given a venue configuration or credentials that cannot work, then each is refused with a 4xx naming the field, never echoing a value', async () => {
    gw = await restartableGateway('sqlite', {});
    const put = (name: string, body: unknown) => gw!.call('PUT', `/api/v1/admin/venues/${name}`, { ...ADMIN, body });
    const secretInSettings = await put('paper', { kind: 'alpaca', settings: { secret_key: 'do-not-store-me' }, active: true });
    expect(secretInSettings.status).toBe(400);
    expect(secretInSettings.json.errors).toEqual([{ field: 'settings.secret_key', message: expect.stringMatching(/credentials never go in settings/) }]);
    expect(secretInSettings.text).not.toContain('do-not-store-me');
    expect((await put('paper', { kind: 'alpacca', active: true })).json.errors).toEqual([{ field: 'kind', message: expect.stringMatching(/must be one of/) }]);
    expect((await put('paper', { kind: 'alpaca', settings: { baseUrl: 'ftp://x' }, active: true })).json.errors).toEqual([{ field: 'settings.baseUrl', message: expect.any(String) }]);
    expect((await put('paper', { kind: 'alpaca', settings: { baseUrl: 'https://user:pw@x.example' }, active: true })).json.errors[0].field).toBe('settings.baseUrl');
    expect((await put('fixed', { kind: 'fix', settings: { host: '127.0.0.1' }, active: true })).json.errors.map((e: { field: string }) => e.field))
      .toEqual(['settings.port', 'settings.senderCompId', 'settings.targetCompId']);
    expect((await put('fixed', { kind: 'fix', settings: { host: '127.0.0.1', port: 9876, senderCompId: 'A', targetCompId: 'B', sessionResetTime: '25:00' }, active: true })).json.errors)
      .toEqual([{ field: 'settings.sessionResetTime', message: 'must be HH:MM, 24-hour' }]);
    expect((await put('paper', { kind: 'alpaca', settings: {}, active: true })).status).toBe(200);

    const credentials = (name: string, body: unknown) => gw!.call('PUT', `/api/v1/admin/venues/${name}/credentials`, { ...ADMIN, body });
    expect((await credentials('nowhere', { key_id: 'a', secret_key: 'b' })).status).toBe(404);
    const wrongField = await credentials('paper', { key_id: 'a', api_secret: 'leak-me-not' });
    expect(wrongField.status).toBe(400);
    expect(wrongField.json.errors).toEqual([
      { field: 'api_secret', message: expect.stringMatching(/not a credential of a alpaca venue/) },
      { field: 'secret_key', message: 'is required for a alpaca venue' },
    ]);
    expect(wrongField.text).not.toContain('leak-me-not');
    expect((await credentials('paper', { key_id: '' })).status).toBe(400);
    expect((await credentials('paper', ['a'])).status).toBe(400);
    expect((await credentials('sim', { password: 'x' })).json.errors).toEqual([{ field: '(venue)', message: 'a sim venue takes no credentials' }]);
    expect((await gw.call('GET', '/api/v1/admin/venues/paper/credentials', ADMIN)).status).toBe(404);
    expect((await gw.call('DELETE', '/api/v1/admin/venues/paper/credentials', ADMIN)).status).toBe(404);
    expect((await credentials('paper', { key_id: 'a', secret_key: 'b' })).status).toBe(200);
    expect((await gw.call('DELETE', '/api/v1/admin/venues/paper/credentials', ADMIN)).status).toBe(204);
  });

  it('given a zerodha venue with an api_secret, then a postback with a good checksum fills the order and a bad one is refused', async () => {
    kite = await KiteTestServer.start({ apiKey: KITE.apiKey, accessToken: KITE.accessToken, instruments: ['AAPL'] });
    gw = await restartableGateway('sqlite', WITH_KEY);
    await gw.call('PUT', '/api/v1/admin/venues/kite', {
      ...ADMIN, body: { kind: 'zerodha', settings: { baseUrl: kite.baseUrl, streamUrl: kite.streamUrl, exchange: 'NSE', product: 'CNC' }, active: true },
    });
    expect((await gw.call('PUT', '/api/v1/admin/venues/kite/credentials', {
      ...ADMIN, body: { api_key: KITE.apiKey, access_token: KITE.accessToken, api_secret: KITE.apiSecret },
    })).json).toMatchObject({ connected: true });
    const created = await placeWhenReconciled(gw, limitBuy('kite', 'e2e-kite-1'));
    expect(created.status).toBe(201);
    await orderWhen(gw, created.json.id, 'acked');
    kite.book.fill(tagFor(created.json.id), '4', '100.25');

    const post = (body: string, contentType = 'application/json') => fetch(`${gw!.gateway.url}/api/v1/venues/kite/postbacks`, {
      method: 'POST', headers: { 'content-type': contentType }, body,
    });
    const forged = JSON.parse(kite.postbackOf(created.json.id, 'not-the-api-secret')) as Record<string, unknown>;
    const refused = await post(JSON.stringify(forged));
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: 'invalid_checksum' });
    const missing = await post(JSON.stringify({ ...forged, order_id: undefined }));
    expect(missing.status).toBe(400);
    expect((await missing.json()).errors).toEqual([{ field: 'order_id', message: expect.any(String) }]);
    expect((await post('not json', 'text/plain')).status).toBe(400);
    expect((await fetch(`${gw.gateway.url}/api/v1/venues/sim/postbacks`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await gw.call('GET', `/api/v1/orders/${created.json.id}`)).json.status).toBe('acked');

    const genuine = kite.postbackOf(created.json.id, KITE.apiSecret);
    const checksum = createHash('sha256').update(`${forged.order_id}${forged.order_timestamp}${KITE.apiSecret}`).digest('hex');
    expect(JSON.parse(genuine).checksum).toBe(checksum);
    const yesterday = '2020-01-02 09:15:00';
    const stale = await post(JSON.stringify({
      ...forged, order_timestamp: yesterday, checksum: createHash('sha256').update(`${forged.order_id}${yesterday}${KITE.apiSecret}`).digest('hex'),
    }));
    expect(stale.status).toBe(400);
    expect((await stale.json()).errors).toEqual([{ field: 'order_timestamp', message: expect.stringMatching(/not today's exchange day/) }]);
    const taken = await post(genuine, 'text/plain; charset=utf-8');
    expect(taken.status).toBe(200);
    const partial = await orderWhen(gw, created.json.id, 'partially_filled');
    expect(partial).toMatchObject({ filled_quantity: '4' });
  });
});
