/**
 * The vault of venue credentials: seals what an admin sets (credentials.ts, AES-256-GCM, the
 * row's venue and id as associated data) into the store, and opens it for the venue adapters
 * at start. The admin API gets it as VenueCredentialsAdmin, which has no way to read a value.
 * Invariants: a row holds only the sealed value, the key's fingerprint and the field names;
 * every put gets a fresh row id and nonce; a value sealed under another key, or moved to
 * another venue's row, does not open (the error names the venue and the key fingerprints).
 */
import type { CredentialsDescription, VenueCredentialsAdmin, VenueCredentialStore } from '../../ports/venueCredentials.ts';
import type { Clock } from '../../ports/clock.ts';
import { openSecret, sealSecret, SealedSecretError, Secret, type EncryptionKey } from './credentials.ts';

export type VenueCredentials = Readonly<Record<string, Secret>>;

const associatedData = (venue: string, id: string) => `${venue}/${id}`;

export class CredentialVault implements VenueCredentialsAdmin {
  constructor(
    private readonly store: VenueCredentialStore,
    private readonly key: EncryptionKey,
    private readonly clock: Clock,
    private readonly newId: () => string,
  ) {}

  async set(venue: string, fields: Readonly<Record<string, string>>, by: string): Promise<CredentialsDescription> {
    const names = Object.keys(fields).sort();
    if (names.length === 0) throw new RangeError('credentials need at least one field');
    const id = this.newId();
    const plaintext = new Secret(JSON.stringify(Object.fromEntries(names.map((name) => [name, fields[name]]))));
    const record = {
      venue, id, sealed: sealSecret(this.key, associatedData(venue, id), plaintext), keyFingerprint: this.key.fingerprint(),
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

  /** The venue's credentials, each a Secret; null when none are set. Throws SealedSecretError when they do not open. */
  async open(venue: string): Promise<VenueCredentials | null> {
    const row = await this.store.find(venue);
    if (!row) return null;
    if (row.keyFingerprint !== this.key.fingerprint()) {
      throw new SealedSecretError(`the credentials of venue ${venue} were sealed under key ${row.keyFingerprint}, not this instance's key ${this.key.fingerprint()}`);
    }
    const opened = openSecret(this.key, associatedData(venue, row.id), row.sealed);
    const parsed = JSON.parse(opened.reveal()) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(parsed).map(([name, value]) => [name, new Secret(String(value))]));
  }
}
