/**
 * Risk limits, trading states and instruments as the checks see them. Limits are set per
 * scope: firm-wide (`_firm`) and per trader. A trader's setting overrides the firm's field by
 * field; a field the trader never set inherits the firm's; `null` means "no limit".
 * Invariants: amounts are exact decimals; orders_per_second and duplicate_window_ms are
 * whole numbers ≥ 0; restricted symbols are upper-case symbols.
 */
import type { Dec } from '../money.ts';

export const FIRM_SCOPE = '_firm';

export const TRADING_STATES = ['active', 'reducing', 'halted'] as const;
export type TradingState = (typeof TRADING_STATES)[number];

export interface RiskLimits {
  readonly maxOrderQuantity: Dec | null;
  readonly maxOrderNotional: Dec | null;
  /** Percent of the reference price an aggressive limit price may stray from it. */
  readonly priceCollarPct: Dec | null;
  readonly maxPosition: Dec | null;
  readonly dailyLossLimit: Dec | null;
  readonly ordersPerSecond: number | null;
  /** 0: the duplicate check denies nothing (it still remembers recent orders). */
  readonly duplicateWindowMs: number;
  readonly restrictedSymbols: readonly string[];
  readonly allowShort: boolean;
}

/** What one scope has set: absent fields inherit. */
export type LimitSettings = { readonly [K in keyof RiskLimits]?: RiskLimits[K] };

/** Used only when the firm itself has no setting for a field (a database without the seed row). */
export const UNLIMITED: RiskLimits = {
  maxOrderQuantity: null,
  maxOrderNotional: null,
  priceCollarPct: null,
  maxPosition: null,
  dailyLossLimit: null,
  ordersPerSecond: null,
  duplicateWindowMs: 0,
  restrictedSymbols: [],
  allowShort: false,
};

export interface EffectiveLimits extends RiskLimits {
  /** Firm-wide restricted symbols, kept apart so a denial can say whose list it is. */
  readonly firmRestrictedSymbols: readonly string[];
}

export function effectiveLimits(firm: LimitSettings, trader: LimitSettings): EffectiveLimits {
  const base: RiskLimits = { ...UNLIMITED, ...firm };
  return {
    ...base,
    ...trader,
    restrictedSymbols: trader.restrictedSymbols ?? [],
    firmRestrictedSymbols: firm.restrictedSymbols ?? [],
  };
}

export interface Instrument {
  readonly symbol: string;
  readonly lotSize: Dec;
  readonly tickSize: Dec;
  readonly referencePrice: Dec;
  readonly tradable: boolean;
}

/** The stricter of the firm's and the trader's state: halted > reducing > active. */
export function strictestState(firm: TradingState, trader: TradingState): TradingState {
  const rank = (s: TradingState) => TRADING_STATES.indexOf(s);
  return rank(firm) >= rank(trader) ? firm : trader;
}
