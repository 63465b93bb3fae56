/**
 * The vault of venue credentials: seals what an admin sets (credentials.ts, AES-256-GCM, the
 * row's venue and id as associated data) into the store, and opens it for the venue adapters
 * at start. The admin API gets it as VenueCredentialsAdmin, which has no way to read a value.
 * Invariants: a row holds only the sealed value, the key's fingerprint and the field names;
 * every put gets a fresh row id and nonce; a value sealed under another key, or moved to
 * another venue's row, does not open (the error names the venue and the key fingerprints);
 * a development key is made only when a value is first sealed or opened with it.
 */
import type { CredentialsDescription, VenueCredentialsAdmin, VenueCredentialStore } from '../../ports/venueCredentials.ts';
import type { Clock } from '../../ports/clock.ts';
import { openSecret, sealSecret, SealedSecretError, Secret, type EncryptionKey } from './credentials.ts';

export type VenueCredentials = Readonly<Record<string, Secret>>;

export interface KeyRotation {
  /** Venues whose credentials were sealed again under the new key. */
  readonly rotated: readonly string[];
  /** Venues whose credentials were under the new key already (a rotation run twice). */
  readonly alreadyRotated: readonly string[];
}

/** A rotation that wrote nothing: a value under a key that is neither, or a row changed while it ran. */
export class KeyRotationRefused extends Error {
  override readonly name = 'KeyRotationRefused';
}

const associatedData = (venue: string, id: string) => `${venue}/${id}`;

/** ORDERGATE_CREDENTIALS_KEY, or the development key, made when first needed (venueFactory.openVault). */
export type VaultKey = EncryptionKey | { readonly development: () => EncryptionKey };

export class CredentialVault implements VenueCredentialsAdmin {
  #key: EncryptionKey | null;
  readonly #developmentKey: (() => EncryptionKey) | null;

  constructor(
    private readonly store: VenueCredentialStore,
    key: VaultKey,
    private readonly clock: Clock,
    private readonly newId: () => string,
  ) {
    this.#key = 'development' in key ? null : key;
    this.#developmentKey = 'development' in key ? key.development : null;
  }

  /** Whether values are sealed with the development key rather than ORDERGATE_CREDENTIALS_KEY. */
  get usesDevelopmentKey(): boolean {
    return this.#developmentKey !== null;
  }

  #sealingKey(): EncryptionKey {
    this.#key ??= this.#developmentKey!();
    return this.#key;
  }

  async set(venue: string, fields: Readonly<Record<string, string>>, by: string): Promise<CredentialsDescription> {
    const names = Object.keys(fields).sort();
    if (names.length === 0) throw new RangeError('credentials need at least one field');
    const id = this.newId();
    const plaintext = new Secret(JSON.stringify(Object.fromEntries(names.map((name) => [name, fields[name]]))));
    const key = this.#sealingKey();
    const record = {
      venue, id, sealed: sealSecret(key, associatedData(venue, id), plaintext), keyFingerprint: key.fingerprint(),
      fields: names, updatedAt: this.clock.now(), updatedBy: by,
    };
    await this.store.put(record);
    return { venue, fields: names, updatedAt: record.updatedAt, updatedBy: by };
  }

  async describe(venue: string): Promise<CredentialsDescription | null> {
    const row = await this.store.find(venue);
    return row ? { venue, fields: row.fields, updatedAt: row.updatedAt, updatedBy: row.updatedBy } : null;
  }

  remove(venue: string): Promise<boolean> {
    return this.store.remove(venue);
  }

  /**
   * Seals every venue's credentials again under `to`, in one transaction: each value is opened
   * with this vault's key and sealed under `to` with a fresh row id and nonce; when and by whom
   * the values were set stays as it was. Values already under `to` are left as they are. A value
   * under any other key, or a row an admin changes meanwhile, refuses the whole rotation and
   * nothing is written; run again after fixing what it names.
   */
  async rotate(to: EncryptionKey): Promise<KeyRotation> {
    const from = this.#sealingKey();
    if (from.fingerprint() === to.fingerprint()) throw new KeyRotationRefused(`the new key is the current key (${from.fingerprint()})`);
    const rows = await this.store.list();
    const foreign = rows.filter((row) => row.keyFingerprint !== from.fingerprint() && row.keyFingerprint !== to.fingerprint());
    if (foreign.length > 0) {
      throw new KeyRotationRefused(`nothing rotated: the credentials of ${foreign.map((row) => `${row.venue} (key ${row.keyFingerprint})`).join(', ')}`
        + ` are under neither the current key ${from.fingerprint()} nor the new key ${to.fingerprint()}; set them again over the API, or rotate from their key first`);
    }
    const changes = rows.filter((row) => row.keyFingerprint === from.fingerprint()).map((row) => {
      const opened = openSecret(from, associatedData(row.venue, row.id), row.sealed);
      const id = this.newId();
      return {
        replacesId: row.id,
        record: { ...row, id, sealed: sealSecret(to, associatedData(row.venue, id), opened), keyFingerprint: to.fingerprint() },
      };
    });
    if (!(await this.store.replaceAll(changes))) {
      throw new KeyRotationRefused('nothing rotated: a venue\'s credentials were changed or removed while the rotation ran; run it again');
    }
    return {
      rotated: changes.map((change) => change.record.venue),
      alreadyRotated: rows.filter((row) => row.keyFingerprint === to.fingerprint()).map((row) => row.venue),
    };
  }

  /** The venue's credentials, each a Secret; null when none are set. Throws SealedSecretError when they do not open. */
  async open(venue: string): Promise<VenueCredentials | null> {
    const row = await this.store.find(venue);
    if (!row) return null;
    const key = this.#sealingKey();
    if (row.keyFingerprint !== key.fingerprint()) {
      throw new SealedSecretError(`the credentials of venue ${venue} were sealed under key ${row.keyFingerprint}, not this instance's key ${key.fingerprint()}`);
    }
    const opened = openSecret(key, associatedData(venue, row.id), row.sealed);
    const parsed = JSON.parse(opened.reveal()) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(parsed).map(([name, value]) => [name, new Secret(String(value))]));
  }
}
