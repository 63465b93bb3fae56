/**
 * R12, the authorization matrix: every route the running server has (read from fastify's own
 * route table, so a new route cannot escape) and the WebSocket event stream, against every
 * kind of bad token and, with a valid one, the caller's own ids, another trader's and random
 * ones. What must hold: every bad token is refused (401; the stream closes 4401 before any
 * event); another trader's ids are answered exactly as ids that do not exist (404), desk-only
 * routes refuse traders (403) whatever the ids; the caller's own ids work (so a server that
 * refused everything would fail here); public routes hold no trader data; and afterwards the
 * other trader's orders, account, limits and events are exactly as before.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storesToTest } from '../support/postgres.ts';
import { badTokens, goodToken, type TokenIssuer } from '../support/tokens.ts';
import { eventually, SECRET, startTestGateway, type Reply, type TestGateway } from './harness.ts';

const ISSUER: TokenIssuer = { secret: SECRET, issuer: 'https://idp.example', audience: 'ordergate' };
const STORES = await storesToTest('authMatrix.e2e');
const run = randomUUID().slice(0, 8);
const ALICE = `alice-${run}`;
const BOB = `bob-${run}`;
const CAROL = `carol-${run}`;
const ZED = `zed-${run}`;
const RANDOM_TRADER = `nobody-${run}`;
const RANDOM_ORDER = '0190b0c0-0000-7000-8000-000000000000';

/** Routes anyone may call, by design: no trader's data behind them. */
const PUBLIC = new Set(['GET /', 'GET /assets/:file', 'GET /docs', 'GET /docs/*', 'GET /docs/json', 'GET /docs/yaml',
  'GET /docs/static/index.html', 'GET /docs/static/swagger-initializer.js', 'GET /health', 'GET /api/v1/health/orders', 'GET /metrics',
  // A venue's own pushes (Kite postbacks): no bearer token, each body is checked by its checksum.
  'POST /api/v1/venues/:name/postbacks']);
const STREAM = 'GET /ws/orders/events';

interface World {
  price: string;
  alice: { resting: string; toCancel: string; toFill: string };
  bob: { resting: string; filled: string };
}
type Variant = 'own' | 'other' | 'random';
type Params = Record<string, string>;
/** How a route is called for each variant: its path parameters and body; `who` overrides the caller of the own case. */
interface Cell { readonly params?: Params; readonly body?: unknown }
interface RouteCase {
  /** `trader`: any trader, scoped to its own data; `desk`: risk or admin only (a trader gets 403 whatever the ids). */
  readonly access: 'trader' | 'desk';
  readonly cells: (w: World) => Partial<Record<Variant, Cell>> & { own: Cell };
  /** The caller that succeeds with the own cell: the trader for trader routes, a desk role for desk routes. */
  readonly allowed?: 'risk' | 'admin' | 'carol';
  readonly ownStatus?: number;
}

const order = (w: World) => ({ symbol: 'AAPL', side: 'buy', quantity: '1', type: 'limit', limit_price: w.price, time_in_force: 'gtc' });
const byOrder = (own: (w: World) => string, body?: (w: World) => unknown) => (w: World) => ({
  own: { params: { id: own(w) }, body: body?.(w) }, other: { params: { id: w.bob.resting }, body: body?.(w) }, random: { params: { id: RANDOM_ORDER }, body: body?.(w) },
});
const byTrader = (own: string, body?: unknown) => () => ({
  own: { params: { trader_id: own }, body }, other: { params: { trader_id: BOB }, body }, random: { params: { trader_id: RANDOM_TRADER }, body },
});
const plain = (body?: (w: World) => unknown) => (w: World) => ({ own: { body: body?.(w) } });

const ROUTES: Record<string, RouteCase> = {
  'POST /api/v1/orders': { access: 'trader', cells: plain(order), ownStatus: 201 },
  'GET /api/v1/orders': { access: 'trader', cells: plain() },
  'GET /api/v1/orders/:id': { access: 'trader', cells: byOrder((w) => w.alice.resting) },
  'GET /api/v1/orders/by-client-id/:client_order_id': {
    access: 'trader',
    cells: () => ({ own: { params: { client_order_id: `${ALICE}-resting` } }, other: { params: { client_order_id: `${BOB}-resting` } }, random: { params: { client_order_id: `${RANDOM_TRADER}-x` } } }),
  },
  'POST /api/v1/orders/:id/cancel': { access: 'trader', cells: byOrder((w) => w.alice.toCancel) },
  'POST /api/v1/orders/:id/simulate_fill': { access: 'trader', cells: byOrder((w) => w.alice.toFill, (w) => ({ fills: [{ fill_price: w.price, fill_qty: '1' }] })) },
  'GET /api/v1/events': { access: 'trader', cells: plain() },
  'GET /api/v1/account': { access: 'trader', cells: plain() },
  'GET /api/v1/accounts/:trader_id': { access: 'trader', cells: byTrader(ALICE) },
  'GET /api/v1/positions': { access: 'trader', cells: plain() },
  'GET /api/v1/risk/limits/:trader_id': { access: 'trader', cells: byTrader(ALICE) },
  'GET /api/v1/instruments': { access: 'trader', cells: plain() },
  'POST /api/v1/kill-switch': {
    access: 'trader', allowed: 'carol',
    cells: () => ({ own: { body: { scope: 'trader', reason: 'matrix' } }, other: { body: { scope: 'trader', trader_id: BOB } }, random: { body: { scope: 'trader', trader_id: RANDOM_TRADER } } }),
  },
  'DELETE /api/v1/kill-switch': {
    access: 'desk', allowed: 'risk',
    cells: () => ({ own: { body: { scope: 'trader', trader_id: CAROL } }, other: { body: { scope: 'trader', trader_id: BOB } }, random: { body: { scope: 'trader', trader_id: RANDOM_TRADER } } }),
  },
  'PUT /api/v1/risk/limits/:trader_id': { access: 'desk', allowed: 'risk', cells: byTrader(ZED, { max_order_quantity: '5000' }) },
  'PUT /api/v1/risk/state/:trader_id': { access: 'desk', allowed: 'risk', cells: byTrader(ZED, { trading_state: 'active' }) },
  'POST /api/v1/admin/accounts/:trader_id/cash': { access: 'desk', allowed: 'admin', cells: byTrader(ZED, { amount: '10', reason: 'matrix' }) },
  'PUT /api/v1/instruments/:symbol': {
    access: 'desk', allowed: 'admin',
    cells: () => ({ own: { params: { symbol: 'ZZMX' }, body: { lot_size: '1', tick_size: '0.01', reference_price: '10', tradable: true } } }),
    ownStatus: 201,
  },
  'GET /api/v1/admin/reconciliation': { access: 'desk', allowed: 'admin', cells: plain() },
  'POST /api/v1/admin/reconciliation/:venue': { access: 'desk', allowed: 'admin', cells: () => ({ own: { params: { venue: 'sim' } } }) },
  'GET /api/v1/admin/venues': { access: 'desk', allowed: 'admin', cells: plain() },
  'PUT /api/v1/admin/venues/:name': { access: 'desk', allowed: 'admin', cells: () => ({ own: { params: { name: 'sim' }, body: { kind: 'sim', settings: {}, active: true } } }) },
  // The built-in sim takes no credentials: the admin gets through to the route's own answer.
  'PUT /api/v1/admin/venues/:name/credentials': { access: 'desk', allowed: 'admin', cells: () => ({ own: { params: { name: 'sim' }, body: { password: 'x' } } }), ownStatus: 400 },
  'GET /api/v1/admin/venues/:name/credentials': { access: 'desk', allowed: 'admin', cells: () => ({ own: { params: { name: 'sim' } } }), ownStatus: 404 },
  'DELETE /api/v1/admin/venues/:name/credentials': { access: 'desk', allowed: 'admin', cells: () => ({ own: { params: { name: 'sim' } } }), ownStatus: 404 },
  'GET /api/v1/admin/routing-rules': { access: 'desk', allowed: 'admin', cells: plain() },
  'PUT /api/v1/admin/routing-rules': { access: 'desk', allowed: 'admin', cells: () => ({ own: { body: { rules: [] } } }) },
};

/**
 * Every (method, path) in fastify's route table, from its printed tree (segments concatenate down
 * the tree). Checked against the OpenAPI document below, so a change in the printing shows.
 */
function routeTable(gw: TestGateway): string[] {
  const stack: string[] = [];
  const routes: string[] = [];
  for (const line of gw.gateway.http.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^(.*?)(?:├── |└── )(.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    const parent = stack[depth - 1] ?? '';
    // The printed tree drops the slash before a wildcard child ("/docs/*" prints as "*" under "/docs").
    const path = parent + (match[2] === '*' && !parent.endsWith('/') ? '/*' : match[2]!);
    stack[depth] = path;
    stack.length = depth + 1;
    for (const method of (match[3] ?? '').split(', ').filter((m) => m !== '' && m !== 'HEAD')) routes.push(`${method} ${path}`);
  }
  return [...new Set(routes)].sort();
}

const fill = (template: string, params: Params = {}) =>
  template.replace(/:([a-z_]+)/g, (_m, name: string) => encodeURIComponent(params[name] ?? 'x')).replace('*', 'anything');

/** A problem answer with what varies between calls (its error id, the echoed path and ids) taken out. */
const normalized = (reply: Reply, ids: string[]) => {
  let text = JSON.stringify({ ...reply.json, error_id: null, instance: null });
  for (const id of ids) text = text.split(id).join('<id>');
  return { status: reply.status, body: JSON.parse(text) as unknown };
};

describe.each(STORES)('R12 authorization matrix on %s', { timeout: 120_000 }, (store) => {
  let gw: TestGateway;
  let world: World;
  let bobBefore: unknown;
  const token = (sub: string, roles: string[] = ['trader']) => goodToken(ISSUER, sub, roles);
  const as = (who: string, method: string, path: string, body?: unknown) =>
    gw.call(method, path, { token: who === 'risk' ? token(`risk-${run}`, ['risk']) : who === 'admin' ? token(`admin-${run}`, ['admin']) : token(who), ...(body === undefined ? {} : { body }) });

  async function place(trader: string, clientOrderId: string, body: Record<string, unknown>): Promise<string> {
    const reply = await as(trader, 'POST', '/api/v1/orders', { ...body, client_order_id: clientOrderId });
    expect(reply.status, reply.text).toBe(201);
    return reply.json.id as string;
  }
  const statusOf = async (trader: string, id: string) => (await as(trader, 'GET', `/api/v1/orders/${id}`)).json.status as string;

  /** What another trader could have read or changed of bob's: his orders with their trails, account, limits and events. */
  async function bobState() {
    const list = await as(BOB, 'GET', '/api/v1/orders?limit=100');
    const details = await Promise.all((list.json.orders as Array<{ id: string }>).map(async (o) => (await as(BOB, 'GET', `/api/v1/orders/${o.id}`)).json));
    const account = (await as(BOB, 'GET', '/api/v1/account')).json;
    return {
      list: list.json, details,
      account: {
        cash: account.cash, reserved: account.reserved, realized: account.realized_pnl_today, state: account.trading_state,
        positions: account.positions.map((p: Record<string, unknown>) => [p['symbol'], p['quantity'], p['average_price']]),
      },
      limits: (await as(BOB, 'GET', `/api/v1/risk/limits/${BOB}`)).json,
      events: (await as(BOB, 'GET', '/api/v1/events?since=0&limit=100')).json,
    };
  }

  beforeAll(async () => {
    gw = await startTestGateway({ ORDERGATE_JWT_ISSUER: ISSUER.issuer, ORDERGATE_JWT_AUDIENCE: ISSUER.audience, ORDERGATE_RATE_LIMIT_PER_MIN: '1000000' }, store);
    const aapl = (await as(ALICE, 'GET', '/api/v1/instruments')).json.instruments.find((i: { symbol: string }) => i.symbol === 'AAPL');
    // 5 % under the market: rests at the venue, inside the price collar.
    const price = (Number(aapl.reference_price) * 0.95).toFixed(2);
    const resting = { symbol: 'AAPL', side: 'buy', quantity: '10', type: 'limit', limit_price: price, time_in_force: 'gtc' };
    world = {
      price,
      alice: {
        resting: await place(ALICE, `${ALICE}-resting`, resting),
        toCancel: await place(ALICE, `${ALICE}-cancel`, resting),
        toFill: await place(ALICE, `${ALICE}-fill`, resting),
      },
      bob: {
        resting: await place(BOB, `${BOB}-resting`, resting),
        filled: await place(BOB, `${BOB}-filled`, { symbol: 'AAPL', side: 'buy', quantity: '2', type: 'market' }),
      },
    };
    await eventually(async () => (await Promise.all([
      ...Object.values(world.alice).map((id) => statusOf(ALICE, id)), statusOf(BOB, world.bob.resting),
    ])).every((s) => s === 'acked'));
    await eventually(async () => (await statusOf(BOB, world.bob.filled)) === 'filled');
    bobBefore = await bobState();
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
  });

  it('lists every route the server has, hidden ones included, as public by design or in the matrix', async () => {
    const table = routeTable(gw);
    const documented = Object.keys((await gw.call('GET', '/docs/json', { token: null })).json.paths as object)
      .map((path) => path.replace(/\{([a-z_]+)\}/g, ':$1'));
    // The parse of the route table is checked against the OpenAPI document, which lists all but hidden routes.
    for (const path of documented) expect(table.some((route) => route.endsWith(` ${path}`)), path).toBe(true);
    expect(table).toContain(STREAM);
    const unknown = table.filter((route) => !PUBLIC.has(route) && route !== STREAM && !(route in ROUTES));
    expect(unknown, 'routes missing from the authorization matrix (add them to ROUTES or PUBLIC)').toEqual([]);
    expect(Object.keys(ROUTES).filter((route) => !table.includes(route)), 'matrix rows for routes that no longer exist').toEqual([]);
  });

  it('refuses every bad token on every protected route (HEAD too), and the event stream closes 4401 before any event', async () => {
    const aliceOrdersBefore = (await as(ALICE, 'GET', '/api/v1/orders?limit=100')).json.total as number;
    let cells = 0;
    for (const [name, bad] of badTokens(ISSUER, ALICE, BOB)) {
      for (const [route, spec] of Object.entries(ROUTES)) {
        const [method, template] = route.split(' ') as [string, string];
        const { own } = spec.cells(world);
        const path = fill(template, own.params);
        for (const m of method === 'GET' ? ['GET', 'HEAD'] : [method]) {
          const reply = await gw.call(m, path, { token: bad, ...(own.body === undefined || m === 'HEAD' ? {} : { body: own.body }) });
          expect(reply.status, `${name}: ${m} ${path} ${reply.text}`).toBe(401);
          if (m !== 'HEAD') expect(reply.json.code, `${name}: ${m} ${path}`).toBe('unauthorized');
          cells += 1;
        }
      }
      const stream = await streamOutcome(gw.url, bad);
      expect(stream, name).toEqual({ code: 4401, messages: 0 });
      cells += 1;
    }
    expect((await as(ALICE, 'GET', '/api/v1/orders?limit=100')).json.total).toBe(aliceOrdersBefore);
    console.info(`R12 (${store}): ${cells} bad-token cells, all refused (${badTokens(ISSUER, ALICE, BOB).length} kinds × ${Object.keys(ROUTES).length} routes and HEADs, and the stream)`);
  });

  it("answers another trader's ids exactly as ids that do not exist, refuses desk routes to traders whatever the ids, and serves the caller's own", async () => {
    let denied = 0;
    let allowed = 0;
    for (const [route, spec] of Object.entries(ROUTES)) {
      const [method, template] = route.split(' ') as [string, string];
      const cells = spec.cells(world);
      const call = (who: string, cell: Cell) => as(who, method, fill(template, cell.params), cell.body);
      const idsOf = (cell: Cell | undefined) => [...Object.values(cell?.params ?? {}), ...Object.values((cell?.body ?? {}) as Params).filter((v) => typeof v === 'string')];

      if (spec.access === 'desk') {
        for (const variant of ['own', 'other', 'random'] as const) {
          const cell = cells[variant];
          if (!cell) continue;
          const reply = await call(ALICE, cell);
          expect([reply.status, reply.json.code], `${route} ${variant} as a trader`).toEqual([403, 'forbidden']);
          denied += 1;
        }
      } else if (cells.other && cells.random) {
        const other = await call(ALICE, cells.other);
        const random = await call(ALICE, cells.random);
        expect(other.status, `${route} with another trader's id: ${other.text}`).toBe(404);
        expect(normalized(other, idsOf(cells.other)), `${route}: another trader's id must look like a missing one`).toEqual(normalized(random, idsOf(cells.random)));
        denied += 2;
      }

      const caller = spec.allowed === 'carol' ? CAROL : spec.allowed ?? ALICE;
      const own = await call(caller, cells.own);
      expect(own.status, `${route} for its own caller (${caller}): ${own.text}`).toBe(spec.ownStatus ?? 200);
      expect(own.text).not.toContain(world.bob.resting);
      expect(own.text).not.toContain(world.bob.filled);
      allowed += 1;
    }

    // Ids a trader could name elsewhere: the firm's limits, a body field naming another trader, the firm kill switch.
    expect((await as(ALICE, 'GET', '/api/v1/risk/limits/_firm')).status).toBe(403);
    expect((await as(ALICE, 'POST', '/api/v1/orders', { ...order(world), trader_id: BOB })).json).toMatchObject({ code: 'validation_failed', errors: [{ field: 'trader_id' }] });
    expect((await as(ALICE, 'POST', '/api/v1/kill-switch', { scope: 'firm' })).status).toBe(403);
    denied += 3;

    // Lists and streams hold the caller's own data only.
    const mine = await as(ALICE, 'GET', '/api/v1/orders?limit=100');
    expect(new Set((mine.json.orders as Array<{ trader_id: string }>).map((o) => o.trader_id))).toEqual(new Set([ALICE]));
    const events = (await as(ALICE, 'GET', '/api/v1/events?since=0&limit=100')).json.events as Array<{ trader_id: string; order_id?: string }>;
    expect(events.length).toBeGreaterThan(0);
    expect(events.filter((e) => e.trader_id !== ALICE)).toEqual([]);
    const stream = await streamOutcome(gw.url, token(ALICE), `&trader_id=${BOB}`, events.length);
    expect(stream.code).toBeNull();
    expect(stream.messages).toBe(events.length);
    console.info(`R12 (${store}): ${denied} cross-trader and role cells denied, ${allowed} own-id controls served`);
  });

  it('keeps trader data out of the public routes', async () => {
    const secrets = [world.alice.resting, world.bob.resting, world.bob.filled, ALICE, BOB];
    for (const route of PUBLIC) {
      const reply = await gw.call('GET', fill(route.split(' ')[1]!), { token: null });
      expect(reply.status, route).toBeLessThan(500);
      for (const secret of secrets) expect(reply.text.includes(secret), `${route} shows ${secret}`).toBe(false);
    }
  });

  it("left the other trader's orders, account, limits and events exactly as they were", async () => {
    expect(await bobState()).toEqual(bobBefore);
  });
});

/**
 * Opens the event stream with `token` (none when null); resolves with how it closed (null: still open) and how
 * many events arrived, once it closed, or once `expected` events arrived, or after 3 s with neither.
 */
function streamOutcome(baseUrl: string, token: string | null, query = '', expected = 1): Promise<{ code: number | null; messages: number }> {
  const url = `${baseUrl.replace(/^http/, 'ws')}/ws/orders/events?since=0${token === null ? '' : `&token=${encodeURIComponent(token)}`}${query}`;
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    let messages = 0;
    const done = (code: number | null) => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => {});
      if (code === null) socket.close();
      resolve({ code, messages });
    };
    const timer = setTimeout(() => done(null), 3_000);
    socket.on('message', () => {
      messages += 1;
      if (messages >= expected && token !== null) done(null);
    });
    socket.on('close', (code) => done(code));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
