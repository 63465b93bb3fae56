/**
 * The broker venues (`alpaca`, `zerodha`, `fix`) built from a stored configuration: settings
 * from the row (checked by venueKinds.ts), credentials from the vault, else from the
 * environment variables of the first configuration path (ORDERGATE_ALPACA_*, ORDERGATE_ZERODHA_*).
 * Invariants: a broker venue without its required credentials is not built (it would only
 * fail every order); credentials reach the adapters as Secrets and are never logged.
 */
import { join } from 'node:path';
import type { VenueConfig } from '../../ports/execution.ts';
import type { Logger } from '../../ports/telemetry.ts';
import type { Venue } from '../../ports/venue.ts';
import type { AlpacaConnection } from './alpaca/alpacaConfig.ts';
import { AlpacaVenue } from './alpaca/alpacaVenue.ts';
import type { CredentialVault, VenueCredentials } from './credentialVault.ts';
import { termsOfOrder } from './fix/fixOrders.ts';
import { FixVenue } from './fix/fixVenue.ts';
import type { Dec } from '../../domain/money.ts';
import type { Side } from '../../domain/order/order.ts';
import type { ZerodhaConnection } from './zerodha/zerodhaConfig.ts';
import { ZerodhaVenue } from './zerodha/zerodhaVenue.ts';
import type { Secret } from './credentials.ts';
import { VENUE_KINDS } from './venueKinds.ts';

/** Broker connections configured by environment variables (null: not set). */
export interface BrokerEnvironment {
  readonly alpaca: AlpacaConnection | null;
  readonly zerodha: ZerodhaConnection | null;
}

export interface BrokerContext {
  readonly log: Logger;
  readonly vault: CredentialVault;
  readonly environment: BrokerEnvironment;
  /** FIX session stores (sequence numbers, sent messages) live below it. */
  readonly dataDir: string;
  /** The gateway's working orders at a venue (Zerodha recognises its orders by tag with them). */
  readonly workingOrderIds: (venue: string) => Promise<readonly string[]>;
  /**
   * The gateway's record of an order routed to a venue (null: none there). Given where instances
   * share the store: a FIX session that moved between instances asks the venue about orders
   * another instance's session sent (FixVenueOptions.sharedOrder).
   */
  readonly sharedOrders?: (venue: string, orderId: string) => Promise<{ readonly symbol: string; readonly side: Side; readonly quantity: Dec } | null>;
}

interface BrokerSettings {
  readonly baseUrl?: string;
  readonly streamUrl?: string;
  readonly fillsLookbackMs?: number;
  readonly exchange?: string;
  readonly product?: string;
  readonly host?: string;
  readonly port?: number;
  readonly senderCompId?: string;
  readonly targetCompId?: string;
  readonly heartbeatIntervalSeconds?: number;
  readonly resetSeqNumOnLogon?: boolean;
  readonly sessionResetTime?: string;
  readonly sessionTimeZone?: string;
}

const ALPACA_PAPER = { baseUrl: 'https://paper-api.alpaca.markets', streamUrl: 'wss://paper-api.alpaca.markets/stream' };
const KITE = { baseUrl: 'https://api.kite.trade', streamUrl: 'wss://ws.kite.trade', exchange: 'NSE', product: 'CNC' };

export async function buildBrokerVenue(config: VenueConfig, context: BrokerContext): Promise<Venue | null> {
  const { log } = context;
  const spec = VENUE_KINDS[config.kind];
  if (!spec || config.kind === 'sim' || config.kind === 'sim_http') {
    log.warn({ venue: config.name, kind: config.kind }, 'no adapter for this venue kind in this build; orders for it get venue_unavailable');
    return null;
  }
  const stored = await context.vault.open(config.name);
  const credentials = stored ?? fromEnvironment(config.kind, context.environment);
  const missing = spec.requiredCredentials.filter((name) => credentials?.[name] === undefined);
  if (missing.length > 0) {
    log.error({ venue: config.name, kind: config.kind, missing },
      'venue has no credentials; not connected (set them with PUT /api/v1/admin/venues/{name}/credentials, then restart)');
    return null;
  }
  const secret = (name: string) => credentials![name] as Secret;
  const optional = (name: string) => credentials?.[name] ?? null;
  // Checked against venueKinds.ts before this is called: the required ones are there.
  const s = config.settings as BrokerSettings;
  /** The stored setting, else the environment's, else the broker's default. */
  const urls = (env: { baseUrl: string; streamUrl: string } | null, fallback: { baseUrl: string; streamUrl: string }) => ({
    baseUrl: s.baseUrl ?? env?.baseUrl ?? fallback.baseUrl, streamUrl: s.streamUrl ?? env?.streamUrl ?? fallback.streamUrl,
  });
  switch (config.kind) {
    case 'alpaca':
      return new AlpacaVenue({
        name: config.name, log,
        connection: { ...urls(context.environment.alpaca, ALPACA_PAPER), keyId: secret('key_id'), secretKey: secret('secret_key') },
        ...(s.fillsLookbackMs ? { fillsLookbackMs: s.fillsLookbackMs } : {}),
      });
    case 'zerodha': {
      const env = context.environment.zerodha;
      return new ZerodhaVenue({
        name: config.name, log,
        connection: {
          ...urls(env, KITE), exchange: s.exchange ?? env?.exchange ?? KITE.exchange, product: s.product ?? env?.product ?? KITE.product,
          apiKey: secret('api_key'), accessToken: secret('access_token'), apiSecret: optional('api_secret'),
        },
        workingOrderIds: () => context.workingOrderIds(config.name),
      });
    }
    case 'fix':
      return new FixVenue({
        name: config.name, log, store: join(context.dataDir, 'fix-sessions'),
        host: s.host!, port: s.port!, senderCompId: s.senderCompId!, targetCompId: s.targetCompId!,
        ...(s.heartbeatIntervalSeconds ? { heartbeatIntervalSeconds: s.heartbeatIntervalSeconds } : {}),
        ...(s.resetSeqNumOnLogon !== undefined ? { resetSeqNumOnLogon: s.resetSeqNumOnLogon } : {}),
        ...(s.sessionResetTime ? { sessionReset: { time: s.sessionResetTime, timeZone: s.sessionTimeZone ?? 'UTC' } } : {}),
        ...(optional('username') || optional('password') ? { logon: { username: optional('username'), password: optional('password') } } : {}),
        ...(context.sharedOrders ? { sharedOrder: sharedTerms(context.sharedOrders, config.name) } : {}),
      });
    default:
      return null;
  }
}

function sharedTerms(orders: NonNullable<BrokerContext['sharedOrders']>, venue: string) {
  return async (orderId: string) => {
    const order = await orders(venue, orderId);
    return order ? termsOfOrder(order) : null;
  };
}

function fromEnvironment(kind: string, environment: BrokerEnvironment): VenueCredentials | null {
  if (kind === 'alpaca' && environment.alpaca) return { key_id: environment.alpaca.keyId, secret_key: environment.alpaca.secretKey };
  if (kind === 'zerodha' && environment.zerodha) {
    const { apiKey, accessToken, apiSecret } = environment.zerodha;
    return { api_key: apiKey, access_token: accessToken, ...(apiSecret ? { api_secret: apiSecret } : {}) };
  }
  return null;
}
