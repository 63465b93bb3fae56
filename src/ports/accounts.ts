/**
 * The accounts port: cash, reservations, positions, instruments, risk settings and trading
 * states, as the pre-trade risk use cases need them.
 * - Reservations, their release and the conversion of fills ride on an OrderChange
 *   (`OrderChange.account`) and are applied by the store in the same transaction as the order;
 *   the store re-checks buying power, sellable position and a halted trading state against the
 *   rows it holds locked there, and throws RiskRefused when one fails, so two processes can
 *   never spend the same cash and no order commits into a halted scope.
 * - Every other write (settings, states, instruments, cash) runs in its own transaction with
 *   its audit-trail row (who, when, old and new values) and its stream events.
 */
import type { Dec } from '../domain/money.ts';
import type { Side } from '../domain/order/order.ts';
import type { Denial } from '../domain/risk/denials.ts';
import type { Instrument, LimitSettings, TradingState } from '../domain/risk/limits.ts';
import type { OutboxEvent } from './bus.ts';

/** What an order change does to its trader's account. */
export interface AccountEffect {
  readonly traderId: string;
  readonly orderId: string;
  readonly symbol: string;
  readonly side: Side;
  /** Cash a trader's first account row starts with. */
  readonly openingCash: Dec;
  /** New orders: what to reserve. */
  readonly reserve: { readonly quantity: Dec; readonly unitPrice: Dec | null; readonly cash: Dec; readonly positionQuantity: Dec } | null;
  /** Fills to convert: reservation released, cash and position moved, P&L realized; each recorded by its id. */
  readonly fills: readonly SettledFill[];
  /**
   * Busts and corrections of fills settled earlier, applied after `fills`: each undoes exactly what
   * its fill did to cash, position, realized P&L and (while the order works) the reservation; a
   * correction then settles the corrected values in the fill's place. A fill never settled into
   * the account (before the ledger existed) is left alone.
   */
  readonly adjustments?: readonly SettlementAdjustment[];
  /** The order is done (filled, cancelled, rejected, expired): release what is still reserved. */
  readonly releaseRest: boolean;
  /** UTC date (YYYY-MM-DD) the fills count toward for realized P&L today. */
  readonly tradingDay: string;
  readonly at: Date;
}

export interface SettledFill {
  readonly venue: string;
  readonly venueFillId: string;
  readonly quantity: Dec;
  readonly price: Dec;
  readonly commission: Dec;
}

export interface SettlementAdjustment {
  readonly venue: string;
  readonly venueFillId: string;
  /** The corrected quantity and price; null for a bust. */
  readonly replacement: { readonly quantity: Dec; readonly price: Dec } | null;
}

/** The store refused a reservation against the rows it holds locked. */
export class RiskRefused extends Error {
  override readonly name = 'RiskRefused';
  constructor(readonly orderId: string, readonly denial: Denial) {
    super(`order ${orderId} refused at commit: ${denial.code}`);
  }
}

export interface AccountRecord {
  readonly traderId: string;
  readonly cash: Dec;
  readonly reserved: Dec;
}

export interface PositionRecord {
  readonly symbol: string;
  readonly quantity: Dec;
  readonly averagePrice: Dec;
  readonly sellReserved: Dec;
  readonly realizedPnl: Dec;
  /** The day realizedPnl belongs to; realized P&L of another day counts as 0 today. */
  readonly pnlDay: string;
}

export interface OpenQuantity {
  readonly symbol: string;
  readonly side: Side;
  readonly quantity: Dec;
}

export interface TraderSnapshot {
  readonly account: AccountRecord | null;
  readonly positions: readonly PositionRecord[];
  readonly open: readonly OpenQuantity[];
}

/** Who made a change and why: goes into the audit trail with the old and new values. */
export interface ControlMeta {
  readonly auditId: string;
  readonly actor: string;
  readonly reason: string | null;
  readonly at: Date;
}

/** A stream event to append for each of `traderIds`, body as the store's stream drafts. */
export interface ControlStream {
  readonly traderIds: readonly string[];
  readonly body: Readonly<Record<string, unknown>>;
  readonly newId: () => string;
}

export interface SettingsWrite<T> {
  readonly key: string;
  readonly update: (before: T | null) => T;
}

export interface AccountStore {
  loadTrader(traderId: string): Promise<TraderSnapshot>;
  listInstruments(): Promise<Instrument[]>;
  /** Every stored setting: `limits:<scope>` → LimitSettings as JSON, `state:<scope>` → TradingState. */
  listSettings(): Promise<Array<{ key: string; value: unknown }>>;
  /** Traders with an account row, for firm-wide stream events. */
  listTraders(): Promise<string[]>;
  /** Whether the fill moved its trader's account through the fill ledger (so a bust or correction can undo it). */
  fillSettled(venue: string, venueFillId: string): Promise<boolean>;

  /** Adds the instruments not listed yet; changes none. */
  seedInstruments(instruments: readonly Instrument[], at: Date): Promise<void>;
  putInstrument(instrument: Instrument, meta: ControlMeta): Promise<{ before: Instrument | null; events: OutboxEvent[] }>;
  /** Reads, updates and writes one setting with its audit row and stream events, in one transaction. */
  writeSetting<T>(write: SettingsWrite<T>, meta: ControlMeta, stream: ControlStream | null): Promise<{ before: T | null; after: T; events: OutboxEvent[] }>;
  /** Credits (negative: debits) cash, creating the account with `openingCash` first if needed. */
  creditCash(traderId: string, amount: Dec, openingCash: Dec, meta: ControlMeta): Promise<AccountRecord>;
}

export type { Instrument, LimitSettings, TradingState };
