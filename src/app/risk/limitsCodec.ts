/**
 * Risk limits as JSON (API.md "Accounts, risk and the kill switch"), the one format the API
 * and the risk_settings table share: snake_case, amounts as decimal strings, `null` for "no
 * limit", an absent field for "not set here" (inherits the firm's). Parsing reports every bad
 * field at once as { field, message }.
 */
import { decimalText, parsePositiveDecimal, type Dec } from '../../domain/money.ts';
import { isSymbol } from '../../domain/ids.ts';
import type { LimitSettings, RiskLimits } from '../../domain/risk/limits.ts';

type Field = { field: string; message: string };

const DECIMALS = [
  ['max_order_quantity', 'maxOrderQuantity'],
  ['max_order_notional', 'maxOrderNotional'],
  ['price_collar_pct', 'priceCollarPct'],
  ['max_position', 'maxPosition'],
  ['daily_loss_limit', 'dailyLossLimit'],
] as const;

export const LIMIT_FIELDS = [
  ...DECIMALS.map(([json]) => json), 'orders_per_second', 'duplicate_window_ms', 'restricted_symbols', 'allow_short',
] as const;

export function limitsToJson(limits: LimitSettings): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const [field, key] of DECIMALS) {
    const value = limits[key];
    if (value !== undefined) json[field] = value === null ? null : decimalText(value);
  }
  if (limits.ordersPerSecond !== undefined) json['orders_per_second'] = limits.ordersPerSecond;
  if (limits.duplicateWindowMs !== undefined) json['duplicate_window_ms'] = limits.duplicateWindowMs;
  if (limits.restrictedSymbols !== undefined) json['restricted_symbols'] = [...limits.restrictedSymbols];
  if (limits.allowShort !== undefined) json['allow_short'] = limits.allowShort;
  return json;
}

/** The full set of effective limits, every field present. */
export const effectiveLimitsJson = (limits: RiskLimits) => limitsToJson(limits);

export function limitsFromJson(json: Record<string, unknown>): { ok: true; value: LimitSettings } | { ok: false; errors: Field[] } {
  const errors: Field[] = [];
  const out: { -readonly [K in keyof RiskLimits]?: RiskLimits[K] } = {};
  for (const [field, key] of DECIMALS) {
    if (!(field in json)) continue;
    const raw = json[field];
    if (raw === null) {
      out[key] = null;
      continue;
    }
    const parsed = parsePositiveDecimal(raw, true);
    if (typeof parsed === 'string') errors.push({ field, message: 'must be a positive decimal string such as "5000", or null for no limit' });
    else out[key] = parsed as Dec;
  }
  if ('orders_per_second' in json) {
    const raw = json['orders_per_second'];
    if (raw === null) out.ordersPerSecond = null;
    else if (Number.isSafeInteger(raw) && (raw as number) > 0) out.ordersPerSecond = raw as number;
    else errors.push({ field: 'orders_per_second', message: 'must be a whole number ≥ 1, or null for no limit' });
  }
  if ('duplicate_window_ms' in json) {
    const raw = json['duplicate_window_ms'];
    if (raw === null) out.duplicateWindowMs = 0;
    else if (Number.isSafeInteger(raw) && (raw as number) >= 0 && (raw as number) <= 86_400_000) out.duplicateWindowMs = raw as number;
    else errors.push({ field: 'duplicate_window_ms', message: 'must be a whole number of milliseconds from 0 (off) to 86400000' });
  }
  if ('restricted_symbols' in json) {
    const raw = json['restricted_symbols'];
    if (Array.isArray(raw) && raw.every((s) => typeof s === 'string' && isSymbol(s))) out.restrictedSymbols = [...new Set(raw as string[])];
    else errors.push({ field: 'restricted_symbols', message: 'must be an array of upper-case symbols such as ["XYZ"]' });
  }
  if ('allow_short' in json) {
    if (typeof json['allow_short'] === 'boolean') out.allowShort = json['allow_short'];
    else errors.push({ field: 'allow_short', message: 'must be true or false' });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: out };
}

/** Stored settings are written by this codec; one that does not parse is a bug or a hand edit. */
export function storedLimits(json: unknown): LimitSettings {
  const parsed = limitsFromJson((json ?? {}) as Record<string, unknown>);
  if (!parsed.ok) throw new Error(`stored risk limits do not parse: ${parsed.errors.map((e) => e.field).join(', ')}`);
  return parsed.value;
}
