import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { D, decimalText, formatMoney, fromText, parsePositiveDecimal } from './money.ts';

const parsed = (input: unknown, integerNumbersAllowed = false) => {
  const result = parsePositiveDecimal(input, integerNumbersAllowed);
  return typeof result === 'string' ? result : decimalText(result);
};

describe('parsePositiveDecimal', () => {
  it.each([
    ['100', '100'],
    ['150.25', '150.25'],
    ['0.5', '0.5'],
    ['1.000000000001', '1.000000000001'],
    ['1.10', '1.1'],
    ['999999999999999999.999999999999', '999999999999999999.999999999999'],
  ])('given the string %j, then it parses to %s', (input, expected) => {
    expect(parsed(input)).toBe(expected);
  });

  it('given a JSON integer, when integers are allowed (quantities), then it parses', () => {
    expect(parsed(100, true)).toBe('100');
    expect(parsed(Number.MAX_SAFE_INTEGER, true)).toBe('9007199254740991');
  });

  it.each([100, 150.25, 0.1])('given the JSON number %s, when numbers are not allowed (prices), then not_a_decimal', (input) => {
    expect(parsed(input, false)).toBe('not_a_decimal');
  });

  it.each([150.25, 0.1, 1e21, Number.MAX_SAFE_INTEGER + 1, Number.NaN, Number.POSITIVE_INFINITY])(
    'given the JSON number %s, even when integers are allowed, then not_a_decimal',
    (input) => {
      expect(parsed(input, true)).toBe('not_a_decimal');
    },
  );

  it.each([
    '', ' ', ' 1', '1 ', '1e3', '1E3', '+1', '007', '01.5', '.5', '5.', '1,000', '1_000', '0x10', 'NaN', 'Infinity',
    '1.2.3', '١٢', '1\n', '1000000000000000000', '01.1234567890123', '-01',
  ])('given %j, then not_a_decimal', (input) => {
    expect(parsed(input, true)).toBe('not_a_decimal');
  });

  it.each([null, undefined, true, {}, [], 10n])('given the non-string %s, then not_a_decimal', (input) => {
    expect(parsed(input, true)).toBe('not_a_decimal');
  });

  it.each(['0', '0.0', '0.000000000000', '-1', '-0', '-150.25'])('given %j, then not_positive', (input) => {
    expect(parsed(input)).toBe('not_positive');
  });

  it.each([0, -0, -5])('given the JSON integer %s, when integers are allowed, then not_positive', (input) => {
    expect(parsed(input, true)).toBe('not_positive');
  });

  it.each(['1.0000000000001', '0.1234567890123', '-1.0000000000001'])('given %j (13 decimal places), then too_precise', (input) => {
    expect(parsed(input)).toBe('too_precise');
  });

  it('given any accepted text, then rendering it back gives the same number (round trip)', () => {
    const text = fc.tuple(fc.bigInt({ min: 1n, max: 10n ** 30n - 1n }), fc.integer({ min: 0, max: 12 }))
      .map(([units, scale]) => {
        const digits = units.toString().padStart(scale + 1, '0');
        const whole = digits.slice(0, digits.length - scale).replace(/^0+(?=\d)/, '');
        return scale === 0 ? whole : `${whole}.${digits.slice(digits.length - scale)}`;
      })
      .filter((t) => t.split('.')[0]!.length <= 18);
    fc.assert(fc.property(text, (t) => {
      const value = parsePositiveDecimal(t, false);
      expect(typeof value).not.toBe('string');
      expect(decimalText(value as InstanceType<typeof D>)).toBe(fromText(t).toFixed());
      expect(fromText(decimalText(value as InstanceType<typeof D>)).eq(fromText(t))).toBe(true);
    }), { numRuns: 1000 });
  });
});

describe('formatMoney', () => {
  it.each([
    ['15000', '$15,000.00'],
    ['3200', '$3,200.00'],
    ['0', '$0.00'],
    ['0.5', '$0.50'],
    ['999.999', '$1,000.00'],
    ['1234567.891', '$1,234,567.89'],
    ['-15000', '-$15,000.00'],
    ['-0.5', '-$0.50'],
    ['-1234567.891', '-$1,234,567.89'],
  ])('given %s, then %s', (value, expected) => {
    expect(formatMoney(fromText(value))).toBe(expected);
  });

  it.each(['-0.001', '-0.004', '-0'])('given %s, which rounds to zero cents, then $0.00 with no minus sign', (value) => {
    expect(formatMoney(fromText(value))).toBe('$0.00');
  });

  it('given another currency symbol, then it is used', () => {
    expect(formatMoney(fromText('25000'), '€')).toBe('€25,000.00');
  });

  it('given the detail of a buying power denial, then it reads as the API shows it', () => {
    const detail = `Insufficient funds for ${formatMoney(fromText('15000'))} order; available: ${formatMoney(fromText('3200'))}`;
    expect(detail).toBe('Insufficient funds for $15,000.00 order; available: $3,200.00');
  });
});

describe('exactness', () => {
  it('given 0.1 and 0.2, when added, then exactly 0.3 (no float drift)', () => {
    expect(decimalText(fromText('0.1').plus(fromText('0.2')))).toBe('0.3');
    expect(fromText('0.1').plus(fromText('0.2')).eq(fromText('0.3'))).toBe(true);
  });

  it('given prices with 12 decimal places, when multiplied by quantities and summed, then the result matches integer arithmetic', () => {
    const scaled = fc.bigInt({ min: 1n, max: 10n ** 30n - 1n });
    const text = (u: bigint) => {
      const s = u.toString().padStart(13, '0');
      return `${s.slice(0, -12)}.${s.slice(-12)}`;
    };
    fc.assert(fc.property(fc.array(fc.tuple(scaled, scaled), { minLength: 1, maxLength: 5 }), (pairs) => {
      const sum = pairs.reduce((acc, [q, p]) => acc.plus(fromText(text(q)).times(fromText(text(p)))), fromText('0'));
      const exact = pairs.reduce((acc, [q, p]) => acc + q * p, 0n);
      expect(BigInt(sum.times('1e24').toFixed())).toBe(exact);
    }), { numRuns: 1000 });
  });

  it('renders without exponent notation, however large or small', () => {
    expect(decimalText(fromText('0.000000000001'))).toBe('0.000000000001');
    expect(decimalText(fromText('999999999999999999').times(fromText('999999999999999999')))).toBe('999999999999999998000000000000000001');
  });
});
