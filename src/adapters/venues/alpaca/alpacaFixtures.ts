/**
 * Test support: an Alpaca connector wired to the in-repository test server, on a hand-driven
 * clock, with every log line captured, and the harness the connector contract suite takes.
 */
import { D } from '../../../domain/money.ts';
import type { VenueOrderRequest } from '../../../ports/venue.ts';
import type { VenueUnderTest } from '../contract/harness.ts';
import { brokerFaults, capturingLogger } from '../broker/brokerFixtures.ts';
import { Secret } from '../credentials.ts';
import { ManualTime } from '../sim/manualTime.ts';
import { AlpacaTestServer } from './testServer.ts';
import { AlpacaVenue, type AlpacaVenueOptions } from './alpacaVenue.ts';

export const KEY_ID = 'PKTESTKEYID0000000001';
export const SECRET_KEY = 'sk-test-0123456789abcdefghijklmnopqrstuv';
export const REQUEST_TIMEOUT_MS = 5_000;
export const RECONNECT = { initialMs: 100, maxMs: 1_000 };

export interface AlpacaRig {
  readonly server: AlpacaTestServer;
  readonly venue: AlpacaVenue;
  readonly time: ManualTime;
  /** Every log line, as the JSON a log shipper would store. */
  readonly logLines: string[];
  close(): Promise<void>;
}

export async function openAlpaca(overrides: Partial<AlpacaVenueOptions> & { secretKey?: string } = {}): Promise<AlpacaRig> {
  const server = await AlpacaTestServer.start({ keyId: KEY_ID, secretKey: SECRET_KEY, buyingPower: '100000' });
  const time = new ManualTime();
  const logLines: string[] = [];
  const venue = new AlpacaVenue({
    connection: {
      baseUrl: server.baseUrl, streamUrl: server.streamUrl,
      keyId: new Secret(KEY_ID), secretKey: new Secret(overrides.secretKey ?? SECRET_KEY),
    },
    clock: time, schedule: time.schedule, random: () => 1, log: capturingLogger(logLines),
    requestTimeoutMs: REQUEST_TIMEOUT_MS, reconnect: RECONNECT, heartbeatMs: 600_000, handshakeTimeoutMs: 600_000,
    ...overrides,
  });
  await venue.start();
  return {
    server, venue, time, logLines,
    async close() {
      await venue.close();
      await server.close();
    },
  };
}

export function limitOrder(clientOrderId: string, quantity: string, changes: Partial<VenueOrderRequest> = {}): VenueOrderRequest {
  return {
    clientOrderId, account: 'alice', symbol: 'AAPL', side: 'buy', type: 'limit', timeInForce: 'day',
    quantity: new D(quantity), limitPrice: new D('100.25'), stopPrice: null, ...changes,
  };
}

/** The rig as the connector contract suite sees it. */
export async function alpacaUnderTest(): Promise<VenueUnderTest> {
  const rig = await openAlpaca();
  const { server, venue, time } = rig;
  return {
    venue,
    restingOrder: (clientOrderId, quantity) => limitOrder(clientOrderId, quantity),
    restingPrice: '100.25',
    // Documented for POST /v2/orders: 403 "buying power or shares is not sufficient".
    fatal: { request: (clientOrderId) => limitOrder(clientOrderId, '5000'), reason: /403.*buying power/ },
    fill: async (clientOrderId, quantity, price) => server.fill(clientOrderId, quantity, price),
    ordersAtVenue: async (clientOrderId) => server.ordersWithClientOrderId(clientOrderId),
    faults: brokerFaults(server, 'submit', venue, time, { requestTimeoutMs: REQUEST_TIMEOUT_MS, reconnectMaxMs: RECONNECT.maxMs }),
    close: () => rig.close(),
  };
}
