import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { subjectToken } from './subjects.ts';

describe('subjectToken', () => {
  it('keeps plain ids as they are and escapes what NATS gives a meaning to', () => {
    expect(subjectToken('alice-01_B')).toBe('alice-01_B');
    expect(subjectToken('a.b')).toBe('a%2Eb');
    expect(subjectToken('a*>')).toBe('a%2A%3E');
    expect(subjectToken('a b\t')).toBe('a%20b%09');
    expect(subjectToken('%41')).toBe('%2541');
    expect(subjectToken('ü')).toBe('%C3%BC');
    expect(() => subjectToken('')).toThrow(/empty/);
  });

  it('is one-to-one and always a valid single token (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, unit: 'grapheme' }), fc.string({ minLength: 1, unit: 'grapheme' }), (a, b) => {
        const ta = subjectToken(a);
        expect(ta).toMatch(/^[A-Za-z0-9_%-]+$/);
        if (a !== b) expect(ta).not.toBe(subjectToken(b));
      }),
      { numRuns: 1_000 },
    );
  });
});
