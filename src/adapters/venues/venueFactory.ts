/**
 * Builds the venue adapters this instance runs from the stored venue configurations, by kind
 * (venueKinds.ts): `sim` (an in-process simulated exchange, faults optional), `sim_http` (the
 * simulated exchange's HTTP front in another process), and the brokers `alpaca`, `zerodha` and
 * `fix` (brokerVenues.ts), whose credentials come from the vault, else from the environment.
 * A configuration that cannot be built (unknown kind, bad settings, no credentials) is skipped
 * with a line saying what to fix: orders routed to it get venue_unavailable.
 * The built-in venue `sim` is (re)described from the environment at every start; its active
 * flag, set by an operator, is kept. A kind that one instance at a time must run (`fix`) is
 * wrapped in its session lease (singleSession.ts) where instances share the store.
 * Invariant: broker venues never start on the development credentials key. It is a file in
 * the data folder (a copy of the folder opens what it seals) and is made per instance (sealed
 * on one, unreadable on another): so the start stops, naming ORDERGATE_CREDENTIALS_KEY, when
 * any broker venue is active or has credentials stored; PostgreSQL needs the variable
 * whatever the venues (config.ts).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionConfig } from '../../executionConfig.ts';
import type { GuardOptions } from '../../app/execution/venueGuard.ts';
import type { ExecutionStore, VenueConfig } from '../../ports/execution.ts';
import type { Logger } from '../../ports/telemetry.ts';
import type { Clock } from '../../ports/clock.ts';
import type { VenueAdministration, VenueCredentialStore } from '../../ports/venueCredentials.ts';
import type { FillSimulator, Venue } from '../../ports/venue.ts';
import { buildBrokerVenue, type BrokerContext } from './brokerVenues.ts';
import { CredentialVault } from './credentialVault.ts';
import { generateEncryptionKey, parseEncryptionKey, type EncryptionKey } from './credentials.ts';
import { FaultPlan, FaultyVenue, parseFaultSettings } from './sim/faults.ts';
import { SimHttpVenue } from './sim/simHttpVenue.ts';
import { SimulatedExchange } from './sim/simulatedExchange.ts';
import { SINGLE_SESSION_DEFAULTS, SingleSessionVenue, type SingleSessionOptions } from './singleSession.ts';
import { checkCredentials, checkSettings, isBrokerKind, VENUE_KINDS } from './venueKinds.ts';

export type AnyVenue = Venue & Partial<FillSimulator>;

export interface VenueBuildContext extends BrokerContext {
  /** Serves the configuration named like it (the built-in `sim`). */
  readonly localSim: SimulatedExchange;
  /** The lease that lets one instance at a time run a single-session venue (FIX); absent, such a venue runs here unleased. */
  readonly sessions?: Omit<SingleSessionOptions, 'log' | 'ttlMs' | 'renewMs' | 'giveUpMs'>;
}

/** A lease's settings from the venue's `sessionLeaseMs`: renewed at a third of it; given up after four leases logged off. */
function sessionLeaseTimes(settings: Readonly<Record<string, unknown>>): Pick<SingleSessionOptions, 'ttlMs' | 'renewMs' | 'giveUpMs'> {
  const ttlMs = typeof settings.sessionLeaseMs === 'number' ? settings.sessionLeaseMs : SINGLE_SESSION_DEFAULTS.ttlMs;
  return { ttlMs, renewMs: Math.floor(ttlMs / 3), giveUpMs: ttlMs * 4 };
}

export async function describeBuiltInSim(store: ExecutionStore, execution: ExecutionConfig, now: Date): Promise<void> {
  const existing = (await store.listVenueConfigs()).find((config) => config.name === 'sim');
  const kind = execution.simUrl ? 'sim_http' : 'sim';
  const settings = execution.simUrl ? { url: execution.simUrl } : execution.simFaults ? { faults: execution.simFaults } : {};
  if (existing && existing.kind === kind && JSON.stringify(existing.settings) === JSON.stringify(settings)) return;
  await store.putVenueConfig({ name: 'sim', kind, settings, active: existing?.active ?? true, updatedAt: now });
}

/** The start cannot go on: broker venues need ORDERGATE_CREDENTIALS_KEY. The message is the one line to print. */
export class CredentialsKeyRequired extends Error {
  override readonly name = 'CredentialsKeyRequired';
}

/** The adapters of every configuration that can be built here, not yet started. Throws CredentialsKeyRequired (see the invariant above). */
export async function openVenues(configs: readonly VenueConfig[], context: VenueBuildContext): Promise<AnyVenue[]> {
  if (context.vault.usesDevelopmentKey) await refuseDevelopmentKey(configs, context.vault);
  const venues: AnyVenue[] = [];
  for (const config of configs) {
    const venue = await buildVenue(config, context).catch((error: unknown) => {
      context.log.error({ venue: config.name, kind: config.kind, err: error instanceof Error ? error.message : String(error) }, 'venue not connected');
      return null;
    });
    if (venue) venues.push(venue);
  }
  return venues;
}

async function refuseDevelopmentKey(configs: readonly VenueConfig[], vault: CredentialVault): Promise<void> {
  const needing: string[] = [];
  let sealed = false;
  for (const config of configs.filter((candidate) => isBrokerKind(candidate.kind))) {
    const stored = (await vault.describe(config.name)) !== null;
    sealed ||= stored;
    const why = [config.active ? 'active' : null, stored ? 'credentials stored' : null].filter(Boolean);
    if (why.length > 0) needing.push(`${config.name} (${config.kind}: ${why.join(', ')})`);
  }
  if (needing.length === 0) return;
  throw new CredentialsKeyRequired(`ORDERGATE_CREDENTIALS_KEY is not set, and broker venues need it: ${needing.join('; ')}. `
    + 'Set it to 32 random bytes in base64 (openssl rand -base64 32), the same on every instance'
    + `${sealed ? ', then set those venues\' credentials again (they were sealed with the development key), or move them to the new key with'
      + ' ORDERGATE_NEW_CREDENTIALS_KEY=<the key> npm run rotate-credentials-key' : ''}.`);
}

/** The adapter for one configuration. Null when this build has none, or the configuration cannot run (logged). */
export async function buildVenue(config: VenueConfig, context: VenueBuildContext): Promise<AnyVenue | null> {
  const { localSim, log } = context;
  const problems = checkSettings(config.kind, config.settings);
  if (problems.length > 0) {
    log.error({ venue: config.name, kind: config.kind, problems }, 'venue configuration is not valid; not connected (fix it with PUT /api/v1/admin/venues/{name})');
    return null;
  }
  const settings = config.settings as { url?: string; faults?: string; seed?: number; timeoutMs?: number };
  switch (config.kind) {
    case 'sim': {
      const exchange = config.name === localSim.name ? localSim : new SimulatedExchange({ name: config.name, seed: settings.seed ?? 42 });
      if (settings.faults === undefined) return exchange;
      return new FaultyVenue(exchange, new FaultPlan(parseFaultSettings(settings.faults)));
    }
    case 'sim_http':
      return new SimHttpVenue({ name: config.name, url: settings.url!, requestTimeoutMs: settings.timeoutMs ?? 10_000 });
    default: {
      const venue = await buildBrokerVenue(config, context);
      if (!venue || !VENUE_KINDS[config.kind]?.singleSession || !context.sessions) return venue;
      return new SingleSessionVenue(venue, { ...context.sessions, ...sessionLeaseTimes(config.settings), log });
    }
  }
}

/** What the admin API may do with venues beyond storing their configuration: check it, and set credentials. */
export function venueAdministration(vault: CredentialVault, kindOf: (venue: string) => Promise<string | null>): VenueAdministration {
  return {
    checkSettings,
    credentials: vault,
    async checkCredentials(venue, fields) {
      const kind = await kindOf(venue);
      return kind === null ? null : checkCredentials(kind, fields);
    },
  };
}

/** The guard settings of one venue: the environment's defaults, overridden by the venue's stored settings. */
export function guardOptionsFor(config: VenueConfig | undefined, execution: ExecutionConfig): GuardOptions {
  const s = (config?.settings ?? {}) as Record<string, unknown>;
  const number = (key: string, fallback: number) => (typeof s[key] === 'number' && (s[key] as number) > 0 ? (s[key] as number) : fallback);
  return {
    timeoutMs: number('timeoutMs', execution.venueTimeoutMs),
    breakerFailures: number('breakerFailures', execution.breakerFailures),
    halfOpenAfterMs: number('halfOpenAfterMs', execution.breakerHalfOpenMs),
    rate: { ratePerSecond: number('ratePerSecond', execution.venueRatePerSec), burst: number('burst', execution.venueBurst) },
  };
}

/**
 * The vault under the configured key, or, with none configured (SQLite only, config.ts),
 * under a development key kept in the data folder, made the first time a value is sealed or
 * opened (mode 0600), as the development JWT secret is.
 */
export function openVault(
  store: VenueCredentialStore, key: EncryptionKey | null, dataDir: string, clock: Clock, newId: () => string, log: Logger,
): CredentialVault {
  return new CredentialVault(store, key ?? { development: () => developmentKey(dataDir, log) }, clock, newId);
}

const DEVELOPMENT_KEY_FILE = 'dev-credentials-key';

/** The development key if this data folder has one (never makes one): what to rotate from when no key was set. */
export function existingDevelopmentKey(dataDir: string): EncryptionKey | null {
  const file = join(dataDir, DEVELOPMENT_KEY_FILE);
  return existsSync(file) ? parseEncryptionKey(readFileSync(file, 'utf8').trim()) : null;
}

function developmentKey(dataDir: string, log: Logger): EncryptionKey {
  const file = join(dataDir, DEVELOPMENT_KEY_FILE);
  try {
    // 'wx': of two starts making it at once, the second reads the first's key instead of replacing it.
    writeFileSync(file, `${generateEncryptionKey()}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const key = parseEncryptionKey(readFileSync(file, 'utf8').trim());
  log.warn({ file, keyFingerprint: key.fingerprint() },
    'ORDERGATE_CREDENTIALS_KEY is not set: venue credentials are sealed with a development key in the data folder, and the next start refuses while a broker venue has credentials or is active; set the variable');
  return key;
}
