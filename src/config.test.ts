/** Configuration of broker venues: the credentials key and the broker environment variables, checked without echoing a secret. */
import { describe, expect, it } from 'vitest';
import { generateEncryptionKey } from './adapters/venues/credentials.ts';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig: broker venues', () => {
  it('given no credentials key on the embedded SQLite store and no broker variables, then venues use a development key and have no environment credentials', () => {
    const config = loadConfig({});
    expect(config.credentialsKey).toBeNull();
    expect(config.brokers).toEqual({ alpaca: null, zerodha: null });
  });

  it('given a 32-byte base64 key, then it is read, and never shown when the configuration is printed', () => {
    const key = generateEncryptionKey();
    const config = loadConfig({ ORDERGATE_CREDENTIALS_KEY: key });
    expect(config.credentialsKey!.fingerprint()).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(config)).not.toContain(key);
  });

  it('given PostgreSQL and no credentials key, then the start stops with one line naming the variable; with a key it goes on', () => {
    const postgres = { ORDERGATE_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' };
    expect(() => loadConfig(postgres)).toThrow(ConfigError);
    expect(() => loadConfig({ ...postgres, ORDERGATE_CREDENTIALS_KEY: '  ' })).toThrow(
      /^ORDERGATE_CREDENTIALS_KEY must be set with ORDERGATE_DATABASE_URL: every instance on the database must seal venue credentials with the same key/,
    );
    expect(loadConfig({ ...postgres, ORDERGATE_CREDENTIALS_KEY: generateEncryptionKey() }).credentialsKey).not.toBeNull();
  });

  it('given a key that is not 32 bytes of base64, then the start stops naming the variable, not the value', () => {
    for (const bad of ['short', Buffer.alloc(16).toString('base64'), `${generateEncryptionKey()}x`]) {
      let failure: unknown = null;
      try {
        loadConfig({ ORDERGATE_CREDENTIALS_KEY: bad });
      } catch (error) {
        failure = error;
      }
      expect(failure).toBeInstanceOf(ConfigError);
      expect(String(failure)).toMatch(/ORDERGATE_CREDENTIALS_KEY must be 32 random bytes in base64/);
      expect(String(failure)).not.toContain(bad);
    }
  });

  it('given broker variables, then they are read as the environment path for venues with no stored credentials', () => {
    const config = loadConfig({
      ORDERGATE_ALPACA_KEY_ID: 'PKENV', ORDERGATE_ALPACA_SECRET_KEY: 'env-secret',
      ORDERGATE_ZERODHA_API_KEY: 'kiteenv', ORDERGATE_ZERODHA_ACCESS_TOKEN: 'env-token', ORDERGATE_ZERODHA_API_SECRET: 'env-api-secret',
    });
    expect(config.brokers.alpaca!.secretKey.reveal()).toBe('env-secret');
    expect(config.brokers.zerodha!.apiSecret!.reveal()).toBe('env-api-secret');
    expect(JSON.stringify(config)).not.toMatch(/env-secret|env-token|env-api-secret/);
    expect(() => loadConfig({ ORDERGATE_ALPACA_KEY_ID: 'PKENV' })).toThrow(/ORDERGATE_ALPACA_SECRET_KEY must be set/);
  });
});

describe('loadConfig: the metrics token', () => {
  it('given none, then /metrics stays open as API.md says', () => {
    expect(loadConfig({}).metricsToken).toBeNull();
  });

  it('given one, then it is read; given one too short or with a space, then the start stops naming the variable', () => {
    expect(loadConfig({ ORDERGATE_METRICS_TOKEN: ' 0123456789abcdef01 ' }).metricsToken).toBe('0123456789abcdef01');
    expect(() => loadConfig({ ORDERGATE_METRICS_TOKEN: 'short' })).toThrow(/ORDERGATE_METRICS_TOKEN must be 16 to 256 printable characters/);
    expect(() => loadConfig({ ORDERGATE_METRICS_TOKEN: '0123456789 abcdef01' })).toThrow(ConfigError);
  });
});

