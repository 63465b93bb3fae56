import { describe, expect, it } from 'vitest';
import { decimalInput, decimalSign, formatDecimal, formatMoney } from './format.ts';

describe('formatDecimal', () => {
  it.each([
    ['1000000', 0, '1,000,000'],
    ['1000000.5', 2, '1,000,000.50'],
    ['-1234.5678', 2, '-1,234.5678'],
    ['0.000000000001', 0, '0.000000000001'],
    ['999', 2, '999.00'],
    ['123456789012345678901234.1', 2, '123,456,789,012,345,678,901,234.10'],
  ])('%s with %i decimals is %s', (value, digits, shown) => {
    expect(formatDecimal(value, digits)).toBe(shown);
  });

  it('shows a missing value as a dash and anything unexpected as it came', () => {
    expect(formatMoney(null)).toBe('—');
    expect(formatDecimal('1e5')).toBe('1e5');
  });
});

describe('decimalSign', () => {
  it.each([['-0.01', -1], ['0', 0], ['-0.00', 0], ['12', 1], ['', 0], [null, 0]] as const)('%s → %i', (value, sign) => {
    expect(decimalSign(value)).toBe(sign);
  });
});

describe('decimalInput', () => {
  it('trims and sends nothing for an empty box, and never reinterprets what was typed', () => {
    expect(decimalInput('  150.25 ')).toBe('150.25');
    expect(decimalInput('   ')).toBeNull();
    expect(decimalInput('1,5')).toBe('1,5');
  });
});
