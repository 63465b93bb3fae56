/**
 * Display of the API's decimal strings without ever turning them into floats: digits are
 * grouped and padded as text, so "1000000.5" shows as "1,000,000.50" and nothing is rounded.
 */
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** Groups the integer digits and pads the fraction to at least `minFractionDigits`; leaves anything else as it came. */
export function formatDecimal(value: string | null | undefined, minFractionDigits = 0): string {
  if (value === null || value === undefined) return '—';
  const match = DECIMAL.exec(value);
  if (!match) return value;
  const [, sign, whole, fraction = ''] = match;
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const digits = fraction.padEnd(minFractionDigits, '0');
  return `${sign}${grouped}${digits ? `.${digits}` : ''}`;
}

/** Money and prices: at least two decimals, and every decimal the value has. */
export const formatMoney = (value: string | null | undefined) => formatDecimal(value, 2);
export const formatPrice = formatMoney;

/** The sign of a decimal string: -1, 0 or 1 (for colouring P&L). */
export function decimalSign(value: string | null | undefined): -1 | 0 | 1 {
  if (!value || !DECIMAL.test(value)) return 0;
  if (/^-?0*(\.0*)?$/.test(value)) return 0;
  return value.startsWith('-') ? -1 : 1;
}

/**
 * What a trader typed into a price or quantity box, as the API wants it: trimmed, or null when
 * empty. Nothing else is changed: "1,5" is not guessed to be 1.5 or 15, the server refuses it.
 */
export function decimalInput(text: string): string | null {
  const trimmed = text.trim();
  return trimmed === '' ? null : trimmed;
}

export const statusLabel = (status: string) => status.replace(/_/g, ' ');

/** "2026-11-21T12:00:05.123Z" as local time of day, to the second or the millisecond; the full stamp goes in a title. */
export function timeOfDay(iso: string, milliseconds = true): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const seconds = `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
  return milliseconds ? `${seconds}.${pad(at.getMilliseconds(), 3)}` : seconds;
}
