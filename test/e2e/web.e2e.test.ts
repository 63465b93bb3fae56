/**
 * The web page in a real browser (Debian's Chromium driven by playwright-core) against a real
 * gateway, as a trader uses it: place an order and watch it go live and fill, a field's
 * validation error and a risk denial shown in place, a double click placing one order,
 * cancel, one trader never seeing another's orders, and catching up after the live connection
 * drops or goes silent, or falling back to long polling when WebSockets are refused. The
 * browser reaches the gateway through a relay the test controls, so a drop is a real one.
 * Without Chromium the suite skips with a loud line, except under CI=true, where it fails.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuilt } from '../../web/ensureBuilt.ts';
import { startTestGateway, type TestGateway } from './harness.ts';
import { TcpRelay } from './tcpRelay.ts';

const CHROMIUM = process.env.ORDERGATE_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  if (process.env.CI === 'true') throw new Error(`web.e2e: Chromium is not at ${CHROMIUM} and CI=true requires it (apt-get install -y chromium)`);
  console.warn(`\n!!! web.e2e: SKIPPING the browser tests of the web page: no Chromium at ${CHROMIUM}. Install it with: apt-get install -y chromium\n`);
}

const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const LIVE_SOCKET = /^Live \(WebSocket\)/;

// A browser and a gateway share two cores with the rest of the suite: allow each case time.
describe.skipIf(!haveChromium)('the web page', { timeout: 60_000 }, () => {
  let gw: TestGateway;
  let relay: TcpRelay;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    await ensureWebBuilt(() => {});
    gw = await startTestGateway();
    relay = await TcpRelay.start(gw.url);
    // launch() gives the browser a fresh, temporary user data folder of its own.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await relay?.close();
    await gw?.stop();
  });

  async function signIn(trader: string): Promise<Page> {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(relay.url);
    await page.getByLabel('Bearer token').fill(await gw.token(trader));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Orders' }).waitFor();
    return page;
  }

  const connection = (page: Page) => page.locator('.connection');
  const waitForConnection = (page: Page, text: RegExp) => page.getByRole('status').filter({ hasText: text }).waitFor({ timeout: 15_000 });
  const row = (page: Page, clientOrderId: string) => page.getByRole('row', { name: new RegExp(`\\b${clientOrderId}\\b`) });
  const waitForStatus = (page: Page, clientOrderId: string, status: string) =>
    row(page, clientOrderId).getByText(status, { exact: true }).waitFor({ timeout: 15_000 });
  async function cell(page: Page, clientOrderId: string, column: string): Promise<string | null> {
    const headers = await page.getByRole('table', { name: 'Orders' }).getByRole('columnheader').allTextContents();
    expect(headers).toContain(column);
    return row(page, clientOrderId).getByRole('cell').nth(headers.indexOf(column)).textContent();
  }

  async function fillTicket(page: Page, order: { symbol: string; side?: string; quantity: string; type: string; limit?: string; clientOrderId?: string }) {
    await page.getByLabel('Symbol').fill(order.symbol);
    await page.getByLabel('Side').selectOption(order.side ?? 'buy');
    await page.getByLabel('Quantity').fill(order.quantity);
    await page.getByLabel('Order type').selectOption(order.type);
    if (order.limit !== undefined) await page.getByLabel('Limit price').fill(order.limit);
    await page.getByLabel('Client order ID (optional)').fill(order.clientOrderId ?? '');
  }

  async function orderId(trader: string, clientOrderId: string): Promise<string> {
    const found = await gw.call('GET', `/api/v1/orders/by-client-id/${clientOrderId}`, { token: await gw.token(trader) });
    expect(found.status).toBe(200);
    return found.json.id as string;
  }

  it('places an order from the ticket and shows it going live, filling, in the account and in its detail', async () => {
    const page = await signIn('web-alice');
    await waitForConnection(page, LIVE_SOCKET);
    await page.getByText('1,000,000.00').first().waitFor();

    await fillTicket(page, { symbol: 'AAPL', quantity: '10', type: 'limit', limit: '100.00', clientOrderId: 'web-live-1' });
    await page.getByRole('button', { name: 'Place order' }).click();
    await waitForStatus(page, 'web-live-1', 'acked');

    const id = await orderId('web-alice', 'web-live-1');
    const alice = await gw.token('web-alice');
    const fill = async (price: string, quantity: string) => {
      const filled = await gw.call('POST', `/api/v1/orders/${id}/simulate_fill`, { token: alice, body: { fills: [{ fill_price: price, fill_qty: quantity }] } });
      expect(filled.status).toBe(200);
    };
    await fill('99.50', '4');
    await waitForStatus(page, 'web-live-1', 'partially filled');
    expect(await cell(page, 'web-live-1', 'Filled')).toBe('4');
    expect(await cell(page, 'web-live-1', 'Price')).toBe('limit 100.00');
    await fill('99.70', '6');
    await waitForStatus(page, 'web-live-1', 'filled');
    expect(await cell(page, 'web-live-1', 'Avg price')).toBe('99.62');

    const positions = page.getByRole('table', { name: 'Positions' });
    // The account is read again a moment after each event: the first fill's read may show first.
    await expect.poll(() => positions.getByRole('row', { name: /AAPL/ }).getByRole('cell').nth(1).textContent(), { timeout: 15_000 }).toBe('10');

    await row(page, 'web-live-1').getByRole('button', { name: 'Details' }).click();
    await page.getByRole('heading', { name: 'Order web-live-1' }).waitFor();
    const fills = page.getByRole('table', { name: 'Fills' });
    await fills.getByRole('row').nth(2).waitFor();
    expect(await fills.getByRole('row').count()).toBe(3);
    const audit = await page.getByRole('table', { name: 'Audit trail' }).textContent();
    expect(audit).toMatch(/submitted[\s\S]*acked[\s\S]*fill[\s\S]*fill/);
  });

  it('shows the server’s validation errors at their fields and a risk denial’s detail, and places nothing', async () => {
    const page = await signIn('web-errors');
    await fillTicket(page, { symbol: 'AAPL', quantity: '0', type: 'limit' });
    await page.getByRole('button', { name: 'Place order' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/not placed: 2 fields need fixing/);
    for (const label of ['Quantity', 'Limit price']) {
      const field = page.getByLabel(label);
      expect(await field.getAttribute('aria-invalid')).toBe('true');
      const describedBy = await field.getAttribute('aria-describedby');
      expect(await page.locator(`[id="${describedBy}"]`).textContent()).toMatch(label === 'Quantity' ? /greater than zero/ : /required/);
    }
    expect(await page.getByLabel('Symbol').getAttribute('aria-invalid')).toBeNull();

    await fillTicket(page, { symbol: 'AAPL', quantity: '100000', type: 'limit', limit: '150.00' });
    await page.getByRole('button', { name: 'Place order' }).click();
    await alert.filter({ hasText: /Order notional of \$15,000,000\.00 exceeds the maximum of \$1,000,000\.00 per order/ }).waitFor();
    expect(await page.getByLabel('Quantity').getAttribute('aria-invalid')).toBeNull();

    const listed = await gw.call('GET', '/api/v1/orders', { token: await gw.token('web-errors') });
    expect(listed.json.total).toBe(0);
  });

  it('places one order for a double click, and says so when the same form is sent again', async () => {
    const page = await signIn('web-double');
    await fillTicket(page, { symbol: 'MSFT', quantity: '1', type: 'limit', limit: '300.00' });
    const place = page.getByRole('button', { name: 'Place order' });
    await place.dblclick();
    const answered = page.getByRole('status').filter({ hasText: /^(Placed|Not placed again)/ });
    await answered.waitFor();
    // The second click is either swallowed while the first is in flight, or answered as a replay.
    if ((await answered.textContent())!.startsWith('Placed')) {
      await place.click();
      await page.getByRole('status').filter({ hasText: /^Not placed again/ }).waitFor();
    }
    const token = await gw.token('web-double');
    expect((await gw.call('GET', '/api/v1/orders', { token })).json.total).toBe(1);

    await place.click();
    await page.getByRole('status').filter({ hasText: /^Placed/ }).waitFor();
    expect((await gw.call('GET', '/api/v1/orders', { token })).json.total).toBe(2);
  });

  it('cancels a working order from its row', async () => {
    const page = await signIn('web-cancel');
    await fillTicket(page, { symbol: 'AAPL', quantity: '5', type: 'limit', limit: '90.00', clientOrderId: 'web-cancel-1' });
    await page.getByRole('button', { name: 'Place order' }).click();
    await waitForStatus(page, 'web-cancel-1', 'acked');
    const cancel = row(page, 'web-cancel-1').getByRole('button', { name: 'Cancel web-cancel-1', exact: true });
    await cancel.click();
    await waitForStatus(page, 'web-cancel-1', 'cancelled');
    expect(await cancel.count()).toBe(0);
    const order = await gw.call('GET', `/api/v1/orders/${await orderId('web-cancel', 'web-cancel-1')}`, { token: await gw.token('web-cancel') });
    expect(order.json.status).toBe('cancelled');
  });

  it('never shows one trader another trader’s orders', async () => {
    const bob = await signIn('web-bob');
    await waitForConnection(bob, LIVE_SOCKET);
    const carol = await gw.token('web-carol');
    for (const clientOrderId of ['carol-1', 'carol-2']) {
      const placed = await gw.call('POST', '/api/v1/orders', { token: carol, body: { symbol: 'AAPL', side: 'buy', quantity: '1', type: 'market', client_order_id: clientOrderId } });
      expect(placed.status).toBe(201);
    }
    // Bob's own order goes through the same stream after Carol's: once it shows, Carol's would have too.
    const own = await gw.call('POST', '/api/v1/orders', { token: await gw.token('web-bob'), body: { symbol: 'AAPL', side: 'buy', quantity: '1', type: 'market', client_order_id: 'bob-1' } });
    expect(own.status).toBe(201);
    await waitForStatus(bob, 'bob-1', 'filled');
    expect(await bob.getByRole('table', { name: 'Orders' }).getByText(/carol-/).count()).toBe(0);
    expect(await bob.getByRole('table', { name: 'Orders' }).getByRole('row').count()).toBe(2);
    expect(await connection(bob).textContent()).toMatch(/seq 3$/);
  });

  /** A trader's page following the stream live, with one working order whose two events (submitted, acked) it has applied. */
  async function liveWithWorkingOrder(trader: string, clientOrderId: string) {
    const page = await signIn(trader);
    await waitForConnection(page, LIVE_SOCKET);
    const token = await gw.token(trader);
    const placed = await gw.call('POST', '/api/v1/orders', { token, body: { symbol: 'AAPL', side: 'buy', quantity: '10', type: 'limit', limit_price: '100.00', client_order_id: clientOrderId } });
    await waitForStatus(page, clientOrderId, 'acked');
    expect(await connection(page).textContent()).toMatch(/seq 2$/);
    return { page, token, orderId: placed.json.id as string };
  }

  const fillAll = async (token: string, id: string) =>
    expect((await gw.call('POST', `/api/v1/orders/${id}/simulate_fill`, { token, body: { fills: [{ fill_price: '100.00', fill_qty: '10' }] } })).status).toBe(200);

  it('catches up on what it missed after the live connection drops, resuming after the last seq it applied', async () => {
    const { page, token, orderId: working } = await liveWithWorkingOrder('web-drop', 'drop-1');

    relay.mode = 'down';
    relay.dropAll();
    await waitForConnection(page, /^Reconnecting/);
    const upgradesBefore = relay.upgrades.length;
    await fillAll(token, working);
    await gw.call('POST', '/api/v1/orders', { token, body: { symbol: 'MSFT', side: 'buy', quantity: '1', type: 'market', client_order_id: 'drop-2' } });
    relay.mode = 'open';

    await waitForStatus(page, 'drop-1', 'filled');
    await waitForStatus(page, 'drop-2', 'filled');
    await waitForConnection(page, LIVE_SOCKET);
    // The new socket resumes after the last seq the page had applied: 2, or more when a long poll
    // got through first and caught up (the feed polls while the socket cannot open); never from 0.
    const resumedFrom = relay.upgrades.slice(upgradesBefore).filter((line) => line.includes(token))
      .map((line) => Number(/[?&]since=(\d+)/.exec(line)?.[1] ?? -1));
    expect(resumedFrom.length).toBeGreaterThan(0);
    expect(resumedFrom.every((since) => since >= 2 && since <= 6), `since of each reconnection: ${resumedFrom.join(', ')}`).toBe(true);
    expect(await connection(page).textContent()).toMatch(/seq 6$/);
  });

  it('goes back to its live socket when the network returns, though its first try to reopen fell in the outage', async () => {
    const { page, token, orderId: working } = await liveWithWorkingOrder('web-flap', 'flap-1');
    const upgradesBefore = relay.upgrades.length;
    relay.cutUpgrades = { count: 1, containing: token };
    relay.dropAll();
    await fillAll(token, working);

    // The reopen is cut, the poll that follows gets through and catches up; the page must not
    // take the cut for a proxy that refuses WebSockets and stay on polling for half a minute.
    await waitForStatus(page, 'flap-1', 'filled');
    await waitForConnection(page, LIVE_SOCKET);
    // Every open page lost its socket; this page's are the ones with its token.
    expect(relay.upgrades.slice(upgradesBefore).filter((line) => line.includes(token))).toHaveLength(2);
    expect(await connection(page).textContent()).toMatch(/seq 3$/);
  });

  it('replaces a live connection that went silent without closing, and catches up', async () => {
    const { page, token, orderId: working } = await liveWithWorkingOrder('web-silent', 'silent-1');
    const upgradesBefore = relay.upgrades.length;

    relay.freezeWebSockets();
    await fillAll(token, working);
    // What a laptop waking up or a network change tells the page; without it the check runs every 15 s.
    await page.evaluate(() => window.dispatchEvent(new Event('online')));

    await waitForStatus(page, 'silent-1', 'filled');
    expect(relay.upgrades.slice(upgradesBefore).some((line) => /[?&]since=2\b/.test(line))).toBe(true);
    await waitForConnection(page, LIVE_SOCKET);
  });

  it('falls back to long polling when WebSockets are refused, and stays live', async () => {
    relay.mode = 'no-websocket';
    try {
      const page = await signIn('web-poll');
      await waitForConnection(page, /^Live \(long polling\)/);
      const placed = await gw.call('POST', '/api/v1/orders', {
        token: await gw.token('web-poll'), body: { symbol: 'AAPL', side: 'buy', quantity: '2', type: 'market', client_order_id: 'poll-1' },
      });
      expect(placed.status).toBe(201);
      await waitForStatus(page, 'poll-1', 'filled');
      expect(await connection(page).textContent()).toMatch(/^Live \(long polling\) · seq 3$/);
    } finally {
      relay.mode = 'open';
    }
  });
});
