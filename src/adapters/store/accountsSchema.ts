/**
 * The accounts and risk tables as Kysely sees them (0003_accounts_risk and 0006_fill_settlements
 * in both dialects).
 * Decimals are exact text in and out, like the order tables; timestamps ISO 8601 text.
 */
import type { Side } from '../../domain/order/order.ts';
import type { Timestamp } from './schema.ts';

export interface InstrumentsTable {
  symbol: string;
  lot_size: string;
  tick_size: string;
  reference_price: string;
  tradable: number;
  updated_at: Timestamp;
}

export interface AccountsTable {
  trader_id: string;
  cash: string;
  reserved: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PositionsTable {
  trader_id: string;
  symbol: string;
  quantity: string;
  average_price: string;
  sell_reserved: string;
  realized_pnl: string;
  pnl_day: string;
  /** The ordinal of the last fill settled into this position (fill_settlements). */
  last_movement: number;
  updated_at: Timestamp;
}

/** What one fill did to its trader's account; see 0006_fill_settlements. */
export interface FillSettlementsTable {
  trader_id: string;
  symbol: string;
  ordinal: number;
  venue: string;
  venue_fill_id: string;
  order_id: string;
  side: Side;
  quantity: string;
  price: string;
  commission: string;
  trading_day: string;
  released_cash: string;
  released_position: string;
  before_quantity: string;
  before_average_price: string;
  before_realized_pnl: string;
  before_pnl_day: string;
  busted: number;
}

export interface ReservationsTable {
  order_id: string;
  trader_id: string;
  symbol: string;
  side: Side;
  unit_price: string | null;
  remaining_quantity: string;
  cash_remaining: string;
  position_remaining: string;
  created_at: Timestamp;
}

export interface RiskSettingsTable {
  key: string;
  value: string;
  updated_at: Timestamp;
  updated_by: string;
}

export interface AccountTables {
  instruments: InstrumentsTable;
  accounts: AccountsTable;
  positions: PositionsTable;
  reservations: ReservationsTable;
  risk_settings: RiskSettingsTable;
  fill_settlements: FillSettlementsTable;
}
