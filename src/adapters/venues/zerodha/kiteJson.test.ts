/** Kite's JSON numbers reach Decimal from their source text, never through a float. */
import { describe, expect, it } from 'vitest';
import { D } from '../../../domain/money.ts';
import { parseKiteJson, stringifyKiteJson } from './kiteJson.ts';

describe('parseKiteJson', () => {
  it('given numbers a float cannot hold, then their exact text comes back', () => {
    const parsed = parseKiteJson('{"price": 0.1, "big": 12345678901234567890.123456789, "neg": -470, "exp": 1.5e3}');
    expect(parsed).toEqual({ price: '0.1', big: '12345678901234567890.123456789', neg: '-470', exp: '1.5e3' });
  });

  it('given digits, quotes and escapes inside strings, then strings are untouched', () => {
    const text = String.raw`{"status_message": "RMS:Margin Exceeds,Required:95417.84, \"quoted\" 12", "tags": ["a1", "2b"], "n": null, "ok": true}`;
    expect(parseKiteJson(text)).toEqual({ status_message: 'RMS:Margin Exceeds,Required:95417.84, "quoted" 12', tags: ['a1', '2b'], n: null, ok: true });
  });

  it('given malformed JSON, then it throws', () => {
    expect(() => parseKiteJson('{"price": 1.}')).toThrow(SyntaxError);
    expect(() => parseKiteJson('{"a": "open')).toThrow(SyntaxError);
  });
});

describe('stringifyKiteJson', () => {
  it('given Decimals, then they are written as bare numbers and read back exactly', () => {
    const text = stringifyKiteJson({ price: new D('1450.05'), quantity: new D('10'), tag: 'og1', list: [new D('0.3')] });
    expect(text).toBe('{"price":1450.05,"quantity":10,"tag":"og1","list":[0.3]}');
    expect(parseKiteJson(text)).toEqual({ price: '1450.05', quantity: '10', tag: 'og1', list: ['0.3'] });
  });
});
