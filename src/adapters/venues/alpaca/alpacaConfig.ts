/**
 * The Alpaca connection from configuration (environment variables):
 *   ORDERGATE_ALPACA_KEY_ID, ORDERGATE_ALPACA_SECRET_KEY   the API key pair (both or neither)
 *   ORDERGATE_ALPACA_BASE_URL     default https://paper-api.alpaca.markets (live: https://api.alpaca.markets)
 *   ORDERGATE_ALPACA_STREAM_URL   default wss://paper-api.alpaca.markets/stream
 * Paper is the default so a configuration mistake never trades real money.
 * Invariant: a credential is held as a Secret from the moment it is read; no message repeats it.
 */
import { ConfigError } from '../../../config.ts';
import { urlVariable } from '../broker/brokerConfig.ts';
import { Secret } from '../credentials.ts';

export interface AlpacaConnection {
  readonly baseUrl: string;
  readonly streamUrl: string;
  readonly keyId: Secret;
  readonly secretKey: Secret;
}

type Env = Record<string, string | undefined>;

const PAPER_API = 'https://paper-api.alpaca.markets';
const PAPER_STREAM = 'wss://paper-api.alpaca.markets/stream';

/** Null when Alpaca is not configured at all. */
export function loadAlpacaConnection(env: Env = process.env): AlpacaConnection | null {
  const keyId = env.ORDERGATE_ALPACA_KEY_ID?.trim() ?? '';
  const secretKey = env.ORDERGATE_ALPACA_SECRET_KEY?.trim() ?? '';
  if (keyId === '' && secretKey === '') return null;
  if (keyId === '') throw new ConfigError('ORDERGATE_ALPACA_KEY_ID must be set when ORDERGATE_ALPACA_SECRET_KEY is');
  if (secretKey === '') throw new ConfigError('ORDERGATE_ALPACA_SECRET_KEY must be set when ORDERGATE_ALPACA_KEY_ID is');
  return {
    baseUrl: urlVariable(env, 'ORDERGATE_ALPACA_BASE_URL', PAPER_API, ['https:', 'http:']),
    streamUrl: urlVariable(env, 'ORDERGATE_ALPACA_STREAM_URL', PAPER_STREAM, ['wss:', 'ws:']),
    keyId: new Secret(keyId),
    secretKey: new Secret(secretKey),
  };
}
