/**
 * JSON for Kite Connect without floats. Kite sends prices and quantities as JSON numbers
 * ("price": 109.4, "average_price": 470 in its order and postback samples); JSON.parse would
 * turn them into binary floats. parseKiteJson keeps every number as its exact source text, so
 * it reaches Decimal untouched; stringifyKiteJson writes Decimal values back as bare numbers
 * (the test server speaks the same format).
 * Invariants: a number's text is kept byte for byte; only text outside strings is rewritten.
 */
import { D, type Dec } from '../../../domain/money.ts';

/** Parses JSON text; every number becomes a string holding its exact text. Throws SyntaxError on bad JSON. */
export function parseKiteJson(text: string): unknown {
  let quoted = '';
  let index = 0;
  while (index < text.length) {
    const char = text[index]!;
    if (char === '"') {
      const end = endOfString(text, index);
      quoted += text.slice(index, end);
      index = end;
    } else if (char === '-' || (char >= '0' && char <= '9')) {
      const match = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(text.slice(index));
      if (!match) throw new SyntaxError(`bad number at ${index}`);
      quoted += `"${match[0]}"`;
      index += match[0].length;
    } else {
      quoted += char;
      index += 1;
    }
  }
  return JSON.parse(quoted);
}

/** Index just past the string that opens at `start`, honouring escapes. */
function endOfString(text: string, start: number): number {
  for (let index = start + 1; index < text.length; index++) {
    if (text[index] === '\\') index += 1;
    else if (text[index] === '"') return index + 1;
  }
  throw new SyntaxError('unterminated string');
}

/** Writes JSON where Decimal values appear as bare numbers, exactly as they are. */
export function stringifyKiteJson(value: unknown): string {
  const marks = new Map<string, string>();
  const json = JSON.stringify(value, function (this: unknown, key: string, item: unknown) {
    const original = (this as Record<string, unknown>)[key];
    if (original instanceof D) {
      const mark = `\u0000dec${marks.size}\u0000`;
      marks.set(mark, (original as Dec).toFixed());
      return mark;
    }
    return item;
  });
  return json.replace(/"\\u0000dec[0-9]+\\u0000"/g, (quotedMark) => marks.get(JSON.parse(quotedMark) as string)!);
}
