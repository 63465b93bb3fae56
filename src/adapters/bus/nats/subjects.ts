/**
 * A trader id as one NATS subject token. A token may not be empty or hold `.`, `*`, `>` or
 * whitespace, and trader ids (a token's `sub`) may hold anything. Letters, digits, `_` and `-`
 * stay as they are; every other UTF-8 byte becomes `%` and two upper-case hex digits. `%` is
 * itself escaped, so the encoding is one-to-one: two traders never share a subject.
 */
const PLAIN = /^[A-Za-z0-9_-]+$/;

function isPlainByte(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x5f || byte === 0x2d;
}

export function subjectToken(traderId: string): string {
  if (traderId === '') throw new Error('a trader id is never empty');
  if (PLAIN.test(traderId)) return traderId;
  let token = '';
  for (const byte of Buffer.from(traderId, 'utf8')) {
    token += isPlainByte(byte) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return token;
}
