/** Sealing broker credentials at rest (AES-256-GCM, row id as associated data) and keeping them out of logs. */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  generateEncryptionKey, openSecret, parseEncryptionKey, scrub, sealSecret, Secret, SealedSecretError,
} from './credentials.ts';

const key = parseEncryptionKey(generateEncryptionKey());
const secret = new Secret('PKTEST-very-secret-value');

describe('Secret', () => {
  it('given a secret, when logged, serialised or inspected, then the value never shows', () => {
    const record = { secret, nested: { secret } };
    expect(String(secret)).toBe('[redacted]');
    expect(`${secret}`).toBe('[redacted]');
    expect(JSON.stringify(record)).not.toContain(secret.reveal());
    expect(inspect(record, { depth: 5 })).not.toContain(secret.reveal());
  });

  it('given a text that carries a secret, when scrubbed, then every occurrence is replaced', () => {
    expect(scrub(`wss://x?access_token=${secret.reveal()}&again=${secret.reveal()}`, [secret])).toBe('wss://x?access_token=[redacted]&again=[redacted]');
  });
});

describe('sealed credentials (AES-256-GCM, row id as associated data)', () => {
  it('given a sealed credential, when opened for its row, then the plaintext comes back', () => {
    const sealed = sealSecret(key, 'venue-config-7', secret);
    expect(sealed.startsWith('v1.')).toBe(true);
    expect(sealed).not.toContain(secret.reveal());
    expect(openSecret(key, 'venue-config-7', sealed).reveal()).toBe(secret.reveal());
  });

  it('given the same credential sealed twice, then the ciphertexts differ (fresh nonce)', () => {
    expect(sealSecret(key, 'row', secret)).not.toBe(sealSecret(key, 'row', secret));
  });

  it('given a credential sealed for one row, when opened for another, then it fails', () => {
    const sealed = sealSecret(key, 'venue-config-7', secret);
    expect(() => openSecret(key, 'venue-config-8', sealed)).toThrow(SealedSecretError);
  });

  it('given one changed byte anywhere in the sealed value, then it fails', () => {
    const sealed = sealSecret(key, 'row', secret);
    const [format, nonce, tag, ciphertext] = sealed.split('.') as [string, string, string, string];
    const flip = (part: string) => {
      const bytes = Buffer.from(part, 'base64url');
      bytes[0] = bytes[0]! ^ 0x01;
      return bytes.toString('base64url');
    };
    for (const tampered of [
      [format, flip(nonce), tag, ciphertext], [format, nonce, flip(tag), ciphertext], [format, nonce, tag, flip(ciphertext)],
    ]) {
      expect(() => openSecret(key, 'row', tampered.join('.'))).toThrow(SealedSecretError);
    }
  });

  it('given another key, a truncated value or another format, then it fails', () => {
    const sealed = sealSecret(key, 'row', secret);
    expect(() => openSecret(parseEncryptionKey(generateEncryptionKey()), 'row', sealed)).toThrow(SealedSecretError);
    expect(() => openSecret(key, 'row', sealed.split('.').slice(0, 3).join('.'))).toThrow(SealedSecretError);
    expect(() => openSecret(key, 'row', sealed.replace(/^v1/, 'v0'))).toThrow(SealedSecretError);
  });

  it('given a key that is not 32 bytes of base64, then it is refused without echoing it', () => {
    expect(() => parseEncryptionKey('c2hvcnQ=')).toThrow(/32 bytes/);
    try {
      parseEncryptionKey('c2hvcnQ=');
    } catch (error) {
      expect(String(error)).not.toContain('c2hvcnQ=');
    }
  });
});

describe('EncryptionKey', () => {
  it('given a key, when logged, serialised or inspected, then its bytes never show; its fingerprint is stable and not the key', () => {
    const text = generateEncryptionKey();
    const parsed = parseEncryptionKey(text);
    const hex = parsed.bytes.toString('hex');
    const shown = `${String(parsed)} ${JSON.stringify({ parsed })} ${inspect({ parsed }, { depth: 5 })}`;
    expect(shown).not.toContain(text);
    expect(shown).not.toContain(hex);
    expect(parsed.fingerprint()).toMatch(/^[0-9a-f]{16}$/);
    expect(parseEncryptionKey(text).fingerprint()).toBe(parsed.fingerprint());
    expect(hex).not.toContain(parsed.fingerprint());
  });
});
