/** The Zerodha connection from environment variables: both credentials or none, never echoed. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../config.ts';
import { loadZerodhaConnection } from './zerodhaConfig.ts';

describe('loadZerodhaConnection', () => {
  it('given no credentials, then Zerodha is not configured', () => {
    expect(loadZerodhaConnection({})).toBeNull();
  });

  it('given both, then Kite endpoints, NSE and CNC are the defaults and the token is held as a secret', () => {
    const connection = loadZerodhaConnection({ ORDERGATE_ZERODHA_API_KEY: 'kitekey', ORDERGATE_ZERODHA_ACCESS_TOKEN: 'tok-123' })!;
    expect(connection).toMatchObject({ baseUrl: 'https://api.kite.trade', streamUrl: 'wss://ws.kite.trade', exchange: 'NSE', product: 'CNC' });
    expect(connection.accessToken.reveal()).toBe('tok-123');
    expect(JSON.stringify(connection)).not.toMatch(/tok-123|kitekey/);
  });

  it('given a half configuration or an unknown product, then the start stops with the variable named', () => {
    expect(() => loadZerodhaConnection({ ORDERGATE_ZERODHA_ACCESS_TOKEN: 'tok-123' })).toThrow(ConfigError);
    expect(() => loadZerodhaConnection({ ORDERGATE_ZERODHA_API_KEY: 'k', ORDERGATE_ZERODHA_ACCESS_TOKEN: 't', ORDERGATE_ZERODHA_PRODUCT: 'XYZ' }))
      .toThrow('ORDERGATE_ZERODHA_PRODUCT must be one of CNC, MIS, NRML, MTF; got "XYZ"');
  });
});
