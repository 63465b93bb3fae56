/** The Alpaca connection from environment variables: paper by default, both keys or none, never echoed. */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../config.ts';
import { loadAlpacaConnection } from './alpacaConfig.ts';

describe('loadAlpacaConnection', () => {
  it('given no keys, then Alpaca is not configured', () => {
    expect(loadAlpacaConnection({})).toBeNull();
  });

  it('given both keys, then paper endpoints are the default and the keys are held as secrets', () => {
    const connection = loadAlpacaConnection({ ORDERGATE_ALPACA_KEY_ID: 'PKID', ORDERGATE_ALPACA_SECRET_KEY: 'very-secret' })!;
    expect(connection).toMatchObject({ baseUrl: 'https://paper-api.alpaca.markets', streamUrl: 'wss://paper-api.alpaca.markets/stream' });
    expect(connection.secretKey.reveal()).toBe('very-secret');
    expect(`${JSON.stringify(connection)} ${inspect(connection)}`).not.toMatch(/very-secret|PKID/);
  });

  it('given one key without the other or a bad URL, then the start stops naming the variable, not the value', () => {
    expect(() => loadAlpacaConnection({ ORDERGATE_ALPACA_SECRET_KEY: 'very-secret' })).toThrow(ConfigError);
    expect(() => loadAlpacaConnection({ ORDERGATE_ALPACA_KEY_ID: 'PKID', ORDERGATE_ALPACA_SECRET_KEY: 'very-secret', ORDERGATE_ALPACA_STREAM_URL: 'https://x' }))
      .toThrow(/ORDERGATE_ALPACA_STREAM_URL must start with wss: or ws:/);
    try {
      loadAlpacaConnection({ ORDERGATE_ALPACA_SECRET_KEY: 'very-secret' });
    } catch (error) {
      expect(String(error)).not.toContain('very-secret');
    }
  });
});
