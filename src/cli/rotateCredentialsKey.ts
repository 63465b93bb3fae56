/**
 * `npm run rotate-credentials-key`: seals every venue's stored credentials again under a new
 * key, in one transaction, from ORDERGATE_CREDENTIALS_KEY (or, on SQLite with no key set, the
 * development key in the data folder) to ORDERGATE_NEW_CREDENTIALS_KEY. Afterwards set
 * ORDERGATE_CREDENTIALS_KEY to the new key on every instance and restart them; an instance
 * still on the old key refuses to open the credentials and names the key they are under.
 * Exit 0: rotated, or nothing to rotate. 1: refused, nothing written (the line says why).
 * 2: could not run (a key missing or malformed, the store unreachable).
 */
import { v7 as uuidv7 } from 'uuid';
import { describeStore, openStore, storeOptionsFromEnv } from '../adapters/store/openStore.ts';
import { CredentialVault, KeyRotationRefused } from '../adapters/venues/credentialVault.ts';
import { parseEncryptionKey, SealedSecretError, type EncryptionKey } from '../adapters/venues/credentials.ts';
import { existingDevelopmentKey } from '../adapters/venues/venueFactory.ts';
import { systemClock } from '../ports/clock.ts';

class Unusable extends Error {}

function keyFrom(name: string, value: string | undefined): EncryptionKey {
  if (!value) throw new Unusable(`${name} is not set`);
  try {
    return parseEncryptionKey(value);
  } catch (error) {
    throw new Unusable(`${name}: ${(error as Error).message}`);
  }
}

const options = storeOptionsFromEnv(process.env);
const where = describeStore(options);
try {
  const to = keyFrom('ORDERGATE_NEW_CREDENTIALS_KEY', process.env.ORDERGATE_NEW_CREDENTIALS_KEY);
  let from: EncryptionKey;
  if (process.env.ORDERGATE_CREDENTIALS_KEY) {
    from = keyFrom('ORDERGATE_CREDENTIALS_KEY', process.env.ORDERGATE_CREDENTIALS_KEY);
  } else {
    const development = options.databaseUrl ? null : existingDevelopmentKey(options.dataDir);
    if (!development) throw new Unusable('ORDERGATE_CREDENTIALS_KEY is not set (the key the credentials are sealed under now), and there is no development key in the data folder');
    from = development;
  }
  const store = await openStore(options);
  try {
    const rotation = await new CredentialVault(store.credentials, from, systemClock, () => uuidv7()).rotate(to);
    const already = rotation.alreadyRotated.length > 0 ? `; already under it: ${rotation.alreadyRotated.join(', ')}` : '';
    console.log(`credentials key rotated from ${from.fingerprint()} to ${to.fingerprint()}: ${rotation.rotated.length} venue(s)`
      + `${rotation.rotated.length > 0 ? ` (${rotation.rotated.join(', ')})` : ''}${already} (${where}).`
      + ' Now set ORDERGATE_CREDENTIALS_KEY to the new key on every instance and restart them.');
  } finally {
    await store.close();
  }
} catch (error) {
  if (error instanceof KeyRotationRefused || error instanceof SealedSecretError) {
    console.error(`credentials key NOT rotated: ${error.message} (${where})`);
    process.exitCode = 1;
  } else {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`credentials key NOT rotated: ${message} (${where})`);
    process.exitCode = 2;
  }
}
