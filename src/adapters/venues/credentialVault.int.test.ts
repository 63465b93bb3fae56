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
import { CredentialVault, KeyRotationRefused } from './credentialVault.ts';
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

  describe('rotating the key', () => {
    const newKey = parseEncryptionKey(generateEncryptionKey());
    const underNewKey = () => new CredentialVault(store.credentials, newKey, time, uuidv7);

    it('given credentials of two venues, then both are sealed again under the new key with new row ids, and only the new key opens them', async () => {
      await vault().set('kite', { api_key: API_KEY, access_token: ACCESS_TOKEN }, 'ops');
      await vault().set('alpaca', { key_id: 'alpaca-key-1', secret_key: 'alpaca-secret-2' }, 'ops-2');
      const before = await store.credentials.list();
      time.advance(60_000);

      expect(await vault().rotate(newKey)).toEqual({ rotated: ['alpaca', 'kite'], alreadyRotated: [] });

      const after = await store.credentials.list();
      expect(after.map((row) => row.keyFingerprint)).toEqual([newKey.fingerprint(), newKey.fingerprint()]);
      for (const [i, row] of after.entries()) {
        expect(row.id).not.toBe(before[i]!.id);
        expect(row.sealed).not.toBe(before[i]!.sealed);
        // When and by whom the values were set is unchanged: the values are.
        expect([row.venue, row.fields, row.updatedAt, row.updatedBy]).toEqual([before[i]!.venue, before[i]!.fields, before[i]!.updatedAt, before[i]!.updatedBy]);
      }
      const kite = await underNewKey().open('kite');
      expect([kite!.api_key!.reveal(), kite!.access_token!.reveal()]).toEqual([API_KEY, ACCESS_TOKEN]);
      expect((await underNewKey().open('alpaca'))!.secret_key!.reveal()).toBe('alpaca-secret-2');
      await expect(vault().open('kite')).rejects.toThrow(newKey.fingerprint());
    });

    it('given a rotation run twice, then the second finds everything under the new key and changes nothing', async () => {
      await vault().set('kite', { access_token: ACCESS_TOKEN }, 'ops');
      await vault().rotate(newKey);
      const rows = await store.credentials.list();
      expect(await vault().rotate(newKey)).toEqual({ rotated: [], alreadyRotated: ['kite'] });
      expect(await store.credentials.list()).toEqual(rows);
    });

    it('given one venue under a third key, then nothing is rotated and the refusal names that venue and key', async () => {
      await vault().set('kite', { access_token: ACCESS_TOKEN }, 'ops');
      const third = parseEncryptionKey(generateEncryptionKey());
      await new CredentialVault(store.credentials, third, time, uuidv7).set('alpaca', { key_id: 'k', secret_key: 's' }, 'ops');
      const rows = await store.credentials.list();
      const refusal = await vault().rotate(newKey).catch((error: Error) => error);
      expect(refusal).toBeInstanceOf(KeyRotationRefused);
      expect(String(refusal)).toContain(`alpaca (key ${third.fingerprint()})`);
      expect(await store.credentials.list()).toEqual(rows);
    });

    it('given a value under the current key that does not open (tampered), then nothing is rotated', async () => {
      await vault().set('alpaca', { key_id: 'k', secret_key: 's' }, 'ops');
      await vault().set('kite', { access_token: ACCESS_TOKEN }, 'ops');
      const kite = (await store.credentials.find('kite'))!;
      await store.credentials.put({ ...kite, sealed: `${kite.sealed.slice(0, -2)}AA` });
      const rows = await store.credentials.list();
      await expect(vault().rotate(newKey)).rejects.toBeInstanceOf(SealedSecretError);
      expect(await store.credentials.list()).toEqual(rows);
    });

    it('given the new key is the current key, then it is refused', async () => {
      await expect(vault().rotate(key)).rejects.toThrow(/the new key is the current key/);
    });
  });
});
