/** The vault over a real (SQLite) store: what an admin sets opens for the adapters, and only for its own venue and key. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { v7 as uuidv7 } from 'uuid';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../store/openStore.ts';
import type { OrderStore } from '../../ports/store.ts';
import { ManualTime } from './sim/manualTime.ts';
import { CredentialVault } from './credentialVault.ts';
import { generateEncryptionKey, parseEncryptionKey, SealedSecretError } from './credentials.ts';

const ACCESS_TOKEN = 'kite-access-token-7d1f0c9e2b';
const API_KEY = 'kite-api-key-54aa';

describe('CredentialVault', () => {
  let dataDir: string;
  let store: OrderStore;
  const time = new ManualTime('2026-12-03T08:00:00.000Z');
  const key = parseEncryptionKey(generateEncryptionKey());
  const vault = () => new CredentialVault(store.credentials, key, time, uuidv7);

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ordergate-vault-'));
    store = await openStore({ dataDir });
    await store.migrate();
  });

  afterEach(async () => {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('given credentials set by an admin, then the adapters open them as Secrets, and the row and description hold names only', async () => {
    const described = await vault().set('kite', { api_key: API_KEY, access_token: ACCESS_TOKEN }, 'ops');
    expect(described).toEqual({ venue: 'kite', fields: ['access_token', 'api_key'], updatedAt: time.now(), updatedBy: 'ops' });
    expect(await vault().describe('kite')).toEqual(described);
    const opened = await vault().open('kite');
    expect(opened!.access_token!.reveal()).toBe(ACCESS_TOKEN);
    expect(opened!.api_key!.reveal()).toBe(API_KEY);
    expect(inspect(opened) + JSON.stringify(opened)).not.toContain(ACCESS_TOKEN);
    const row = await store.credentials.find('kite');
    expect(JSON.stringify(row)).not.toContain(ACCESS_TOKEN);
    expect(JSON.stringify(row)).not.toContain(API_KEY);
    expect(row!.keyFingerprint).toBe(key.fingerprint());
    expect(await vault().open('alpaca')).toBeNull();
  });

  it('given a sealed value moved to another venue\'s row, then it does not open', async () => {
    await vault().set('kite', { access_token: ACCESS_TOKEN }, 'ops');
    const row = (await store.credentials.find('kite'))!;
    await store.credentials.put({ ...row, venue: 'alpaca', id: uuidv7() });
    await expect(vault().open('alpaca')).rejects.toBeInstanceOf(SealedSecretError);
    await store.credentials.put({ ...row, id: uuidv7() });
    await expect(vault().open('kite')).rejects.toBeInstanceOf(SealedSecretError);
  });

  it('given another key, then opening fails naming both key fingerprints, never a value', async () => {
    await vault().set('kite', { access_token: ACCESS_TOKEN }, 'ops');
    const other = parseEncryptionKey(generateEncryptionKey());
    const failure = await new CredentialVault(store.credentials, other, time, uuidv7).open('kite').catch((error: Error) => error);
    expect(failure).toBeInstanceOf(SealedSecretError);
    expect(String(failure)).toContain(key.fingerprint());
    expect(String(failure)).toContain(other.fingerprint());
    expect(String(failure)).not.toContain(ACCESS_TOKEN);
  });

  it('given credentials set again, then they replace the old ones whole; removed, they are gone', async () => {
    await vault().set('kite', { access_token: 'old-token-0000', api_key: API_KEY }, 'ops');
    time.advance(1_000);
    await vault().set('kite', { access_token: ACCESS_TOKEN }, 'ops-2');
    const opened = await vault().open('kite');
    expect(Object.keys(opened!)).toEqual(['access_token']);
    expect(opened!.access_token!.reveal()).toBe(ACCESS_TOKEN);
    expect(await vault().remove('kite')).toBe(true);
    expect(await vault().open('kite')).toBeNull();
  });
});
