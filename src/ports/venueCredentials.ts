/**
 * Venue credentials (broker API keys, access tokens, FIX passwords): set by an admin, used by
 * the venue adapters, and never shown again. Two ports:
 * - VenueCredentialStore, the store's part: rows that hold only sealed values (AES-256-GCM,
 *   sealed and opened by the adapter that holds the key), one row per venue.
 * - VenueCredentialsAdmin, what the admin API may do: set, describe (field names and when,
 *   never values) and remove. Nothing in it returns a credential.
 * Invariant: plaintext never reaches a store row, a log line or an API answer.
 */

export interface SealedVenueCredentials {
  readonly venue: string;
  /** The row's id: with the venue, the associated data the value is sealed with. */
  readonly id: string;
  /** "v1.<nonce>.<tag>.<ciphertext>" (adapters/venues/credentials.ts). */
  readonly sealed: string;
  /** Which key sealed it, so a key mismatch is named instead of guessed. */
  readonly keyFingerprint: string;
  /** The credential's field names (e.g. api_key, access_token), never their values. */
  readonly fields: readonly string[];
  readonly updatedAt: Date;
  readonly updatedBy: string;
}

export interface VenueCredentialStore {
  /** Inserts or replaces the venue's row. */
  put(record: SealedVenueCredentials): Promise<void>;
  find(venue: string): Promise<SealedVenueCredentials | null>;
  /** Whether there was a row to remove. */
  remove(venue: string): Promise<boolean>;
  /** Every venue's row, by venue name. */
  list(): Promise<SealedVenueCredentials[]>;
  /**
   * Puts every record in one transaction, each only while its venue's row still has
   * `replacesId`: all are written, or (a row changed or went meanwhile) none, and false.
   */
  replaceAll(changes: ReadonlyArray<{ readonly record: SealedVenueCredentials; readonly replacesId: string }>): Promise<boolean>;
}

export interface CredentialsDescription {
  readonly venue: string;
  readonly fields: readonly string[];
  readonly updatedAt: Date;
  readonly updatedBy: string;
}

export interface VenueCredentialsAdmin {
  /** Seals and stores the venue's credentials, replacing any it had. */
  set(venue: string, fields: Readonly<Record<string, string>>, by: string): Promise<CredentialsDescription>;
  describe(venue: string): Promise<CredentialsDescription | null>;
  remove(venue: string): Promise<boolean>;
}

export interface ConfigurationProblem {
  readonly field: string;
  readonly message: string;
}

/** What the admin API may do with venues beyond storing their configuration rows. */
export interface VenueAdministration {
  /** Problems with a configuration's kind and settings, each naming its field; empty when it can be stored. */
  checkSettings(kind: string, settings: Readonly<Record<string, unknown>>): readonly ConfigurationProblem[];
  /** Problems with credentials for the venue's kind; null when no venue of that name is configured. */
  checkCredentials(venue: string, fields: Readonly<Record<string, unknown>>): Promise<readonly ConfigurationProblem[] | null>;
  readonly credentials: VenueCredentialsAdmin;
}
