/**
 * The Zerodha (Kite Connect v3) connection from configuration (environment variables):
 *   ORDERGATE_ZERODHA_API_KEY, ORDERGATE_ZERODHA_ACCESS_TOKEN   both or neither; the access
 *       token comes from the daily login flow and Kite invalidates it every morning
 *   ORDERGATE_ZERODHA_BASE_URL    default https://api.kite.trade
 *   ORDERGATE_ZERODHA_STREAM_URL  default wss://ws.kite.trade
 *   ORDERGATE_ZERODHA_EXCHANGE    default NSE (the gateway's symbols carry no exchange)
 *   ORDERGATE_ZERODHA_PRODUCT     default CNC (delivery); MIS for intraday, NRML for F&O
 *   ORDERGATE_ZERODHA_API_SECRET  optional: checks the checksum of postbacks (none are taken without it)
 * Invariant: a credential is held as a Secret from the moment it is read; no message repeats it.
 */
import { ConfigError } from '../../../config.ts';
import { urlVariable } from '../broker/brokerConfig.ts';
import { Secret } from '../credentials.ts';
import type { KiteSettings } from './kiteWire.ts';

export interface ZerodhaConnection extends KiteSettings {
  readonly baseUrl: string;
  readonly streamUrl: string;
  readonly apiKey: Secret;
  readonly accessToken: Secret;
  /** Checks postbacks' checksums; null: postbacks are refused. */
  readonly apiSecret: Secret | null;
}

type Env = Record<string, string | undefined>;

/** Null when Zerodha is not configured at all. */
export function loadZerodhaConnection(env: Env = process.env): ZerodhaConnection | null {
  const apiKey = env.ORDERGATE_ZERODHA_API_KEY?.trim() ?? '';
  const accessToken = env.ORDERGATE_ZERODHA_ACCESS_TOKEN?.trim() ?? '';
  if (apiKey === '' && accessToken === '') return null;
  if (apiKey === '') throw new ConfigError('ORDERGATE_ZERODHA_API_KEY must be set when ORDERGATE_ZERODHA_ACCESS_TOKEN is');
  if (accessToken === '') throw new ConfigError('ORDERGATE_ZERODHA_ACCESS_TOKEN must be set when ORDERGATE_ZERODHA_API_KEY is');
  return {
    baseUrl: urlVariable(env, 'ORDERGATE_ZERODHA_BASE_URL', 'https://api.kite.trade', ['https:', 'http:']),
    streamUrl: urlVariable(env, 'ORDERGATE_ZERODHA_STREAM_URL', 'wss://ws.kite.trade', ['wss:', 'ws:']),
    exchange: oneOf(env, 'ORDERGATE_ZERODHA_EXCHANGE', ['NSE', 'BSE', 'NFO', 'BFO', 'CDS', 'MCX'], 'NSE'),
    product: oneOf(env, 'ORDERGATE_ZERODHA_PRODUCT', ['CNC', 'MIS', 'NRML', 'MTF'], 'CNC'),
    apiKey: new Secret(apiKey),
    accessToken: new Secret(accessToken),
    apiSecret: env.ORDERGATE_ZERODHA_API_SECRET?.trim() ? new Secret(env.ORDERGATE_ZERODHA_API_SECRET.trim()) : null,
  };
}

function oneOf(env: Env, name: string, allowed: readonly string[], fallback: string): string {
  const raw = env[name]?.trim() || fallback;
  if (!allowed.includes(raw)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}; got "${raw}"`);
  return raw;
}
