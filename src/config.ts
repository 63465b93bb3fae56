/**
 * Configuration from environment variables (API.md "Configuration"). An invalid value stops
 * the start with one line naming the variable and what it accepts.
 */
import { loadAlpacaConnection } from './adapters/venues/alpaca/alpacaConfig.ts';
import type { BrokerEnvironment } from './adapters/venues/brokerVenues.ts';
import { parseEncryptionKey, type EncryptionKey } from './adapters/venues/credentials.ts';
import { loadZerodhaConnection } from './adapters/venues/zerodha/zerodhaConfig.ts';
import { loadExecutionConfig, type ExecutionConfig } from './executionConfig.ts';

export interface SimConfig {
  readonly seed: number;
  readonly tickIntervalMs: number;
  readonly ackLatencyMs: number;
  readonly fillLatencyMs: number;
  readonly halfSpreadTicks: number;
  readonly startPrices: Record<string, string> | null;
}

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly databaseUrl: string | null;
  readonly busUrl: string | null;
  /** Prefix of the bus's channels, subjects and stream, so deployments can share one Redis or NATS. */
  readonly busNamespace: string;
  /** A WebSocket client this far behind (bytes queued for it) is closed as a slow consumer. */
  readonly wsMaxBufferedBytes: number;
  /** How long a WebSocket client may stay backed up before it is closed as a slow consumer. */
  readonly wsSlowConsumerMs: number;
  readonly jwtSecret: string | null;
  readonly jwtPublicKey: string | null;
  readonly jwtAlgorithm: 'HS256' | 'RS256' | 'ES256';
  readonly jwtIssuer: string | null;
  readonly jwtAudience: string | null;
  readonly demoCash: string;
  readonly rateLimitPerMin: number;
  readonly idempotencyTtlHours: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * When set, GET /metrics answers only `Authorization: Bearer <this>` (ORDERGATE_METRICS_TOKEN):
   * its counts are firm-wide, so a trader who can reach the gateway should not read them.
   */
  readonly metricsToken: string | null;
  readonly sim: SimConfig;
  /** Retries, leases, venue guards, reconciliation, the simulated exchange's front and faults. */
  readonly execution: ExecutionConfig;
  /**
   * Seals venue credentials at rest (ORDERGATE_CREDENTIALS_KEY). Null only on the embedded
   * SQLite store: then a development key in the data folder, which no broker venue may use
   * (adapters/venues/venueFactory.ts). On PostgreSQL it is required: instances sharing a
   * database must share the key.
   */
  readonly credentialsKey: EncryptionKey | null;
  /** Broker credentials and URLs from environment variables, for venues with none stored. */
  readonly brokers: BrokerEnvironment;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string): string | null {
  const value = env[name];
  return value === undefined || value.trim() === '' ? null : value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === null) return fallback;
  if (!/^[0-9]+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}; got "${raw}"`);
  }
  return Number(raw);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = text(env, name);
  if (raw === null) return fallback;
  if (!allowed.includes(raw as T)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}; got "${raw}"`);
  return raw as T;
}

function url(env: Env, name: string, schemes: readonly string[]): string | null {
  const raw = text(env, name);
  if (raw === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a URL (${schemes.map((s) => `${s}//…`).join(' or ')}); got "${raw}"`);
  }
  if (!schemes.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must start with ${schemes.map((s) => `${s}//`).join(' or ')}; got "${parsed.protocol}//…"`);
  }
  return raw;
}

function prices(env: Env, name: string): Record<string, string> | null {
  const raw = text(env, name);
  if (raw === null) return null;
  const entries = raw.split(',').map((pair) => pair.trim().split('='));
  const result: Record<string, string> = {};
  for (const entry of entries) {
    const [symbol, price] = entry;
    if (entry.length !== 2 || !/^[A-Z][A-Z0-9.]{0,15}$/.test(symbol ?? '') || !/^[0-9]+(\.[0-9]+)?$/.test(price ?? '') || Number(price) <= 0) {
      throw new ConfigError(`${name} must be a list like "AAPL=150,MSFT=400"; got "${raw}"`);
    }
    result[symbol!] = price!;
  }
  return result;
}

function busNamespace(env: Env): string {
  const raw = text(env, 'ORDERGATE_BUS_NAMESPACE') ?? 'ordergate';
  if (!/^[a-z][a-z0-9_-]{0,39}$/.test(raw)) {
    throw new ConfigError(`ORDERGATE_BUS_NAMESPACE must be 1 to 40 of a-z, 0-9, _ and -, starting with a letter; got "${raw}"`);
  }
  return raw;
}

function credentialsKey(env: Env, databaseUrl: string | null): EncryptionKey | null {
  const raw = text(env, 'ORDERGATE_CREDENTIALS_KEY');
  if (raw === null && databaseUrl !== null) {
    throw new ConfigError('ORDERGATE_CREDENTIALS_KEY must be set with ORDERGATE_DATABASE_URL: every instance on the database must seal venue credentials '
      + 'with the same key (32 random bytes in base64, e.g. from `openssl rand -base64 32`)');
  }
  if (raw === null) return null;
  try {
    return parseEncryptionKey(raw);
  } catch {
    // The message never repeats the value: it is a secret even when malformed.
    throw new ConfigError('ORDERGATE_CREDENTIALS_KEY must be 32 random bytes in base64 (44 characters), e.g. from `openssl rand -base64 32`');
  }
}

export function loadConfig(env: Env = process.env): Config {
  const demoCash = text(env, 'ORDERGATE_DEMO_CASH') ?? '1000000';
  if (!/^[0-9]{1,15}(\.[0-9]{1,2})?$/.test(demoCash)) {
    throw new ConfigError(`ORDERGATE_DEMO_CASH must be a non-negative amount like 1000000 or 25000.50; got "${demoCash}"`);
  }
  const jwtSecret = text(env, 'ORDERGATE_JWT_SECRET');
  if (jwtSecret !== null && Buffer.byteLength(jwtSecret) < 32) {
    throw new ConfigError('ORDERGATE_JWT_SECRET must be at least 32 bytes long (HS256 needs a 256-bit key)');
  }
  const jwtPublicKey = text(env, 'ORDERGATE_JWT_PUBLIC_KEY');
  if (jwtPublicKey !== null && !jwtPublicKey.includes('BEGIN PUBLIC KEY')) {
    throw new ConfigError('ORDERGATE_JWT_PUBLIC_KEY must be a PEM public key ("-----BEGIN PUBLIC KEY-----…")');
  }
  const databaseUrl = url(env, 'ORDERGATE_DATABASE_URL', ['postgres:', 'postgresql:']);
  const metricsToken = text(env, 'ORDERGATE_METRICS_TOKEN');
  if (metricsToken !== null && !/^[\x21-\x7e]{16,256}$/.test(metricsToken)) {
    throw new ConfigError('ORDERGATE_METRICS_TOKEN must be 16 to 256 printable characters without spaces, e.g. from `openssl rand -hex 24`');
  }
  return {
    host: text(env, 'ORDERGATE_HOST') ?? '127.0.0.1',
    port: integer(env, 'ORDERGATE_PORT', 8080, 0, 65535),
    dataDir: text(env, 'ORDERGATE_DATA_DIR') ?? './data',
    databaseUrl,
    busUrl: url(env, 'ORDERGATE_BUS_URL', ['redis:', 'rediss:', 'nats:']),
    busNamespace: busNamespace(env),
    wsMaxBufferedBytes: integer(env, 'ORDERGATE_WS_MAX_BUFFER_KIB', 1024, 16, 65_536) * 1024,
    wsSlowConsumerMs: integer(env, 'ORDERGATE_WS_SLOW_CONSUMER_MS', 10_000, 100, 600_000),
    jwtSecret,
    jwtPublicKey,
    jwtAlgorithm: oneOf(env, 'ORDERGATE_JWT_ALGORITHM', ['HS256', 'RS256', 'ES256'] as const, jwtPublicKey ? 'RS256' : 'HS256'),
    jwtIssuer: text(env, 'ORDERGATE_JWT_ISSUER'),
    jwtAudience: text(env, 'ORDERGATE_JWT_AUDIENCE'),
    demoCash,
    rateLimitPerMin: integer(env, 'ORDERGATE_RATE_LIMIT_PER_MIN', 100, 1, 1_000_000),
    idempotencyTtlHours: integer(env, 'ORDERGATE_IDEMPOTENCY_TTL_HOURS', 24, 1, 24 * 365),
    metricsToken,
    logLevel: oneOf(env, 'ORDERGATE_LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    execution: loadExecutionConfig(env, (message) => {
      throw new ConfigError(message);
    }),
    credentialsKey: credentialsKey(env, databaseUrl),
    brokers: { alpaca: loadAlpacaConnection(env), zerodha: loadZerodhaConnection(env) },
    sim: {
      seed: integer(env, 'ORDERGATE_SIM_SEED', 42, 0, 2 ** 31 - 1),
      tickIntervalMs: integer(env, 'ORDERGATE_SIM_TICK_MS', 1000, 0, 3_600_000),
      ackLatencyMs: integer(env, 'ORDERGATE_SIM_ACK_LATENCY_MS', 0, 0, 60_000),
      fillLatencyMs: integer(env, 'ORDERGATE_SIM_FILL_LATENCY_MS', 0, 0, 60_000),
      halfSpreadTicks: integer(env, 'ORDERGATE_SIM_HALF_SPREAD_TICKS', 2, 0, 10_000),
      startPrices: prices(env, 'ORDERGATE_SIM_PRICES'),
    },
  };
}
