/**
 * Broker credentials, in memory and at rest.
 * In memory a credential is a Secret: it renders as "[redacted]" wherever it is logged,
 * serialised or inspected, so only the code that puts it on the wire calls reveal().
 * At rest (the venue_credentials table, through credentialVault.ts) it is sealed with AES-256-GCM under a
 * fresh 96-bit nonce, with the owning row's id as associated data: a ciphertext copied to
 * another row, or changed by one bit, fails to open instead of yielding a wrong credential.
 * Invariants: plaintext leaves this module only through Secret.reveal(); a sealed value names
 * its format version, so the algorithm or key can change without guessing.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/** Renders as "[redacted]" however it is turned into text. */
abstract class Redacted {
  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `${this.constructor.name}(${REDACTED})`;
  }
}

export class Secret extends Redacted {
  readonly #value: string;

  constructor(value: string) {
    super();
    if (value.length === 0) throw new RangeError('a secret must not be empty');
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }
}

/** Replaces every occurrence of the secrets in a text (an error message, a URL) before it is logged. */
export function scrub(text: string, secrets: readonly Secret[]): string {
  let clean = text;
  for (const secret of secrets) clean = clean.split(secret.reveal()).join(REDACTED);
  return clean;
}

/** A sealed value that does not open: tampered, truncated, sealed for another row or under another key. */
export class SealedSecretError extends Error {
  override readonly name = 'SealedSecretError';
}

const FORMAT = 'v1';
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A 256-bit key; like a Secret, it never shows its bytes when logged, serialised or inspected. */
export class EncryptionKey extends Redacted {
  readonly #bytes: Buffer;

  constructor(bytes: Buffer) {
    super();
    if (bytes.length !== KEY_BYTES) throw new RangeError(`an encryption key is ${KEY_BYTES} bytes`);
    this.#bytes = Buffer.from(bytes);
  }

  get bytes(): Buffer {
    return this.#bytes;
  }

  /** A short public name of the key (not reversible), stored beside what it seals. */
  fingerprint(): string {
    return createHash('sha256').update('ordergate.credentials-key.').update(this.#bytes).digest('hex').slice(0, 16);
  }
}

/** Reads a 256-bit key given as base64 (e.g. ORDERGATE_CREDENTIALS_KEY). The message never echoes the key. */
export function parseEncryptionKey(base64: string): EncryptionKey {
  const bytes = Buffer.from(base64.trim(), 'base64');
  if (bytes.length !== KEY_BYTES || bytes.toString('base64') !== base64.trim()) {
    throw new RangeError(`the credentials key must be ${KEY_BYTES} bytes written as base64 (44 characters)`);
  }
  return new EncryptionKey(bytes);
}

export function generateEncryptionKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/** Seals a credential for one row: "v1.<nonce>.<tag>.<ciphertext>", each part base64url. */
export function sealSecret(key: EncryptionKey, rowId: string, secret: Secret): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.bytes, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(rowId));
  const ciphertext = Buffer.concat([cipher.update(secret.reveal(), 'utf8'), cipher.final()]);
  return [FORMAT, nonce, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
}

/** Opens a value sealed for this row; throws SealedSecretError for anything else. */
export function openSecret(key: EncryptionKey, rowId: string, sealed: string): Secret {
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== FORMAT) throw new SealedSecretError(`not a sealed credential of format ${FORMAT}`);
  const [nonce, tag, ciphertext] = parts.slice(1).map((part) => Buffer.from(part, 'base64url')) as [Buffer, Buffer, Buffer];
  if (nonce.length !== NONCE_BYTES || tag.length !== TAG_BYTES) throw new SealedSecretError('sealed credential is truncated');
  const decipher = createDecipheriv('aes-256-gcm', key.bytes, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(associatedData(rowId));
  decipher.setAuthTag(tag);
  let plaintext: string;
  try {
    plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    // GCM says only "unable to authenticate": the cause (tampering, wrong row, wrong key) is not knowable.
    throw new SealedSecretError(`sealed credential does not open for row ${rowId}`);
  }
  return new Secret(plaintext);
}

/** The row id is bound with a prefix, so a value sealed for another purpose under the same key cannot pass. */
function associatedData(rowId: string): Buffer {
  if (rowId.length === 0) throw new RangeError('a sealed credential needs the id of its row');
  return Buffer.from(`ordergate.venue-credential.${rowId}`, 'utf8');
}
