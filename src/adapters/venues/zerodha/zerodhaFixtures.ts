/**
 * Test support: a Zerodha connector wired to the in-repository Kite test server, on a
 * hand-driven clock, with every log line captured, and the harness the contract suite takes.
 */
import { v7 as uuidv7 } from 'uuid';
import { expect } from 'vitest';
import { D } from '../../../domain/money.ts';
import type { VenueOrderRequest } from '../../../ports/venue.ts';
import { eventually, type ReportLog, type VenueUnderTest } from '../contract/harness.ts';
import { brokerFaults, capturingLogger } from '../broker/brokerFixtures.ts';
import { Secret } from '../credentials.ts';
import { ManualTime } from '../sim/manualTime.ts';
import { KiteTestServer } from './testServer.ts';
import { ZerodhaVenue, type ZerodhaVenueOptions } from './zerodhaVenue.ts';

export const API_KEY = 'kitetestapikey01';
export const ACCESS_TOKEN = 'at-test-ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210';
export const API_SECRET = 'apisecret-test-0f1e2d3c4b5a69788796a5b4c3d2e1f0';
export const REQUEST_TIMEOUT_MS = 5_000;
export const CONFIRM_TIMEOUT_MS = 3_000;
export const CONFIRM_POLL_MS = 200;
export const RECONNECT = { initialMs: 100, maxMs: 1_000 };

export interface ZerodhaRig {
  readonly server: KiteTestServer;
  readonly venue: ZerodhaVenue;
  readonly time: ManualTime;
  readonly logLines: string[];
  close(): Promise<void>;
}

export async function openZerodha(
  overrides: Partial<ZerodhaVenueOptions> & { accessToken?: string; availableMargin?: string } = {},
): Promise<ZerodhaRig> {
  const server = await KiteTestServer.start({ apiKey: API_KEY, accessToken: ACCESS_TOKEN, availableMargin: overrides.availableMargin ?? '100000' });
  const time = new ManualTime(new Date());
  const logLines: string[] = [];
  const venue = await connectZerodha(server, time, logLines, overrides);
  return {
    server, venue, time, logLines,
    async close() {
      await venue.close();
      await server.close();
    },
  };
}

/** A started connector to this server (a second one plays the gateway after a restart). */
export async function connectZerodha(
  server: KiteTestServer, time: ManualTime, logLines: string[], overrides: Partial<ZerodhaVenueOptions> & { accessToken?: string } = {},
): Promise<ZerodhaVenue> {
  const venue = new ZerodhaVenue({
    connection: {
      baseUrl: server.baseUrl, streamUrl: server.streamUrl, exchange: 'NSE', product: 'CNC',
      apiKey: new Secret(API_KEY), accessToken: new Secret(overrides.accessToken ?? ACCESS_TOKEN), apiSecret: new Secret(API_SECRET),
    },
    clock: time, schedule: time.schedule, random: () => 1, log: capturingLogger(logLines),
    requestTimeoutMs: REQUEST_TIMEOUT_MS, confirmTimeoutMs: CONFIRM_TIMEOUT_MS, confirmPollMs: CONFIRM_POLL_MS,
    reconnect: RECONNECT, heartbeatMs: 600_000, resyncMs: 1_000,
    ...overrides,
  });
  await venue.start();
  return venue;
}

export function limitOrder(clientOrderId: string, quantity: string, changes: Partial<VenueOrderRequest> = {}): VenueOrderRequest {
  return {
    clientOrderId, account: 'alice', symbol: 'INFY', side: 'buy', type: 'limit', timeInForce: 'day',
    quantity: new D(quantity), limitPrice: new D('1450.05'), stopPrice: null, ...changes,
  };
}

/** A fresh order, acked: once it is, everything reported before it has arrived. */
export async function ackedOrder(venue: ZerodhaVenue, log: ReportLog, quantity = '1'): Promise<string> {
  const id = uuidv7();
  await venue.submit(limitOrder(id, quantity));
  await eventually(() => expect(log.kindsOf(id)).toEqual(['ack']));
  return id;
}

/** The rig as the connector contract suite sees it. */
export async function zerodhaUnderTest(): Promise<VenueUnderTest> {
  const rig = await openZerodha();
  const { server, venue, time } = rig;
  return {
    venue,
    restingOrder: (clientOrderId, quantity) => limitOrder(clientOrderId, quantity),
    restingPrice: '1450.05',
    // Kite "Exceptions": InputException is a missing or bad parameter, answered with 400.
    fatal: { request: (clientOrderId) => limitOrder(clientOrderId, '1', { symbol: 'NOSUCH' }), reason: /400 InputException: Invalid `tradingsymbol`/ },
    fill: async (clientOrderId, quantity, price) => server.fill(clientOrderId, quantity, price),
    ordersAtVenue: async (clientOrderId) => server.ordersWithClientOrderId(clientOrderId),
    faults: brokerFaults(server, 'place', venue, time, { requestTimeoutMs: REQUEST_TIMEOUT_MS, reconnectMaxMs: RECONNECT.maxMs }),
    close: () => rig.close(),
  };
}
