/**
 * `npm run rotate-credentials-key` as an operator runs it, on SQLite: credentials sealed under
 * the development key move to a real key, a second run finds nothing left to do, a malformed
 * key is refused before anything is read, and a value under neither key stops the rotation
 * with nothing written. The secret itself never appears in what the tool prints.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { v7 as uuidv7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/adapters/store/openStore.ts';
import { CredentialVault } from '../../src/adapters/venues/credentialVault.ts';
import { generateEncryptionKey, parseEncryptionKey, type EncryptionKey } from '../../src/adapters/venues/credentials.ts';
import { existingDevelopmentKey, openVault } from '../../src/adapters/venues/venueFactory.ts';
import { systemClock } from '../../src/ports/clock.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const ACCESS_TOKEN = 'rotate-kite-access-token-Pp4Ll9';
const silent = { debug() {}, info() {}, warn() {}, error() {} } as never;

describe('npm run rotate-credentials-key (SQLite)', { timeout: 60_000 }, () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  async function withVault<T>(dataDir: string, key: EncryptionKey | null, work: (vault: CredentialVault) => Promise<T>): Promise<T> {
    const store = await openStore({ dataDir });
    try {
      await store.migrate();
      return await work(openVault(store.credentials, key, dataDir, systemClock, () => uuidv7(), silent));
    } finally {
      await store.close();
    }
  }

  function rotate(dataDir: string, env: Record<string, string>) {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ORDERGATE_')));
    const result = spawnSync(TSX, ['src/cli/rotateCredentialsKey.ts'], { cwd: ROOT, env: { ...inherited, ORDERGATE_DATA_DIR: dataDir, ...env }, encoding: 'utf8' });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  it('moves credentials from the development key to a real one, once, and refuses what it cannot do without writing anything', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ordergate-rotate-'));
    dirs.push(dataDir);
    await withVault(dataDir, null, (vault) => vault.set('kite', { api_key: 'kite-key', access_token: ACCESS_TOKEN }, 'ops'));
    const development = existingDevelopmentKey(dataDir)!;
    const newKey = generateEncryptionKey();
    const fingerprint = parseEncryptionKey(newKey).fingerprint();

    const first = rotate(dataDir, { ORDERGATE_NEW_CREDENTIALS_KEY: newKey });
    expect(first.status, first.output).toBe(0);
    expect(first.output).toContain(`from ${development.fingerprint()} to ${fingerprint}: 1 venue(s) (kite)`);
    const opened = await withVault(dataDir, parseEncryptionKey(newKey), (vault) => vault.open('kite'));
    expect(opened!.access_token!.reveal()).toBe(ACCESS_TOKEN);

    const again = rotate(dataDir, { ORDERGATE_NEW_CREDENTIALS_KEY: newKey });
    expect(again.status, again.output).toBe(0);
    expect(again.output).toContain('0 venue(s); already under it: kite');

    const malformed = rotate(dataDir, { ORDERGATE_CREDENTIALS_KEY: newKey, ORDERGATE_NEW_CREDENTIALS_KEY: 'not-a-key' });
    expect(malformed.status, malformed.output).toBe(2);
    expect(malformed.output).toMatch(/ORDERGATE_NEW_CREDENTIALS_KEY: the credentials key must be 32 bytes/);

    // Told the wrong current key, it finds kite under neither key and writes nothing.
    const wrong = rotate(dataDir, { ORDERGATE_CREDENTIALS_KEY: generateEncryptionKey(), ORDERGATE_NEW_CREDENTIALS_KEY: generateEncryptionKey() });
    expect(wrong.status, wrong.output).toBe(1);
    expect(wrong.output).toContain(`kite (key ${fingerprint})`);
    expect((await withVault(dataDir, parseEncryptionKey(newKey), (vault) => vault.open('kite')))!.access_token!.reveal()).toBe(ACCESS_TOKEN);

    for (const run of [first, again, malformed, wrong]) expect(run.output).not.toContain(ACCESS_TOKEN);
  });
});
