/**
 * Which key seals venue credentials at start, over a real (SQLite) store: the development key
 * serves only an embedded store with no broker venue in use, and is made once, never replaced;
 * a broker venue that is active or has credentials stops the start, naming the variable.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OrderStore } from '../../ports/store.ts';
import { openStore } from '../store/openStore.ts';
import { capturingLogger } from './broker/brokerFixtures.ts';
import { generateEncryptionKey, parseEncryptionKey, type EncryptionKey } from './credentials.ts';
import { ManualTime } from './sim/manualTime.ts';
import { SimulatedExchange } from './sim/simulatedExchange.ts';
import { CredentialsKeyRequired, openVault, openVenues } from './venueFactory.ts';

const KITE_CREDENTIALS = { api_key: 'kite-api-key-9e1', access_token: 'kite-access-token-30c7' };

describe('the credentials key at start', () => {
  let dataDir: string;
  let store: OrderStore;
  const time = new ManualTime('2026-12-03T08:00:00.000Z');
  const logLines: string[] = [];
  const devKeyFile = () => join(dataDir, 'dev-credentials-key');
  const vault = (key: EncryptionKey | null = null) => openVault(store.credentials, key, dataDir, time, uuidv7, capturingLogger(logLines));
  const configure = (name: string, kind: string, active: boolean, settings: Record<string, unknown> = {}) =>
    store.execution.putVenueConfig({ name, kind, settings, active, updatedAt: time.now() });
  const start = async (key: EncryptionKey | null = null) => openVenues(await store.execution.listVenueConfigs(), {
    localSim: new SimulatedExchange({ name: 'sim' }), log: capturingLogger(logLines), vault: vault(key),
    environment: { alpaca: null, zerodha: null }, dataDir, workingOrderIds: async () => [],
  });
  const refusal = (attempt: Promise<unknown>) => attempt.then(() => null, (error: unknown) => error as Error);

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ordergate-key-'));
    store = await openStore({ dataDir });
    await store.migrate();
    await configure('sim', 'sim', true);
    logLines.length = 0;
  });

  afterEach(async () => {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('given the embedded store, no key, and no broker venue in use (one inactive, without credentials), then venues open and no key file is made', async () => {
    await configure('kite', 'zerodha', false);
    expect((await start()).map((venue) => venue.name)).toEqual(['sim']);
    expect(existsSync(devKeyFile())).toBe(false);
  });

  it('given no key and an active broker venue, then the start stops with one line naming the variable and the venue', async () => {
    await configure('paper', 'alpaca', true);
    await configure('kite', 'zerodha', false);
    const failure = await refusal(start());
    expect(failure).toBeInstanceOf(CredentialsKeyRequired);
    expect(failure!.message).toBe('ORDERGATE_CREDENTIALS_KEY is not set, and broker venues need it: paper (alpaca: active). '
      + 'Set it to 32 random bytes in base64 (openssl rand -base64 32), the same on every instance.');
    expect(existsSync(devKeyFile())).toBe(false);
  });

  it('given no key and an inactive broker venue with credentials sealed by the development key, then the start stops and says to set them again', async () => {
    await configure('kite', 'zerodha', false);
    await vault().set('kite', KITE_CREDENTIALS, 'ops');
    expect(logLines.some((line) => line.includes('the next start refuses'))).toBe(true);
    const failure = await refusal(start());
    expect(failure).toBeInstanceOf(CredentialsKeyRequired);
    expect(failure!.message).toMatch(/^ORDERGATE_CREDENTIALS_KEY is not set, and broker venues need it: kite \(zerodha: credentials stored\)\. .*set those venues' credentials again/);
    expect(failure!.message).not.toMatch(/\n|kite-access-token/);
  });

  it('given the key, then broker venues are built as before: one without credentials is skipped with a line, not refused', async () => {
    await configure('paper', 'alpaca', true);
    expect((await start(parseEncryptionKey(generateEncryptionKey()))).map((venue) => venue.name)).toEqual(['sim']);
    expect(logLines.some((line) => line.includes('venue has no credentials'))).toBe(true);
  });

  it('given the development key, then it is made once with mode 0600 and never replaced: a file already there is read as it is', async () => {
    await vault().set('kite', KITE_CREDENTIALS, 'ops');
    const made = readFileSync(devKeyFile(), 'utf8');
    expect(statSync(devKeyFile()).mode & 0o777).toBe(0o600);
    expect((await vault().open('kite'))!.access_token!.reveal()).toBe(KITE_CREDENTIALS.access_token);
    expect(readFileSync(devKeyFile(), 'utf8')).toBe(made);

    const existing = generateEncryptionKey();
    writeFileSync(devKeyFile(), `${existing}\n`);
    await vault().set('kite', KITE_CREDENTIALS, 'ops');
    expect((await store.credentials.find('kite'))!.keyFingerprint).toBe(parseEncryptionKey(existing).fingerprint());
    expect(readFileSync(devKeyFile(), 'utf8')).toBe(`${existing}\n`);
  });
});
