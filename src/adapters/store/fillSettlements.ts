/**
 * The fill ledger (0006_fill_settlements): one row per fill settled into an account, numbered
 * per position in the order fills were applied, holding the position just before the fill and
 * what the fill released of its order's reservation. accountsCommit writes a row with every
 * fill and, for a bust or correction, reads the adjusted fill's row and every later one of its
 * position, restates them and writes back what changed, all in the settling transaction.
 */
import { decimalText, fromText, type Dec } from '../../domain/money.ts';
import type { Side } from '../../domain/order/order.ts';
import type { LedgerEntry, Movement, PositionBook } from '../../domain/risk/positions.ts';
import { insertRows } from './hotStatements.ts';
import type { StoreSchema } from './schema.ts';
import { execute, sendBuilt, type Statements } from './statements.ts';


export interface SettlementRow extends LedgerEntry {
  readonly traderId: string;
  readonly symbol: string;
  readonly ordinal: number;
  readonly venue: string;
  readonly venueFillId: string;
  readonly orderId: string;
  movement: Movement;
  before: PositionBook;
  releasedCash: Dec;
  releasedPosition: Dec;
  busted: boolean;
  /** Written already (else inserted at the end of the batch). */
  readonly stored: boolean;
  /** A stored row this batch changed. */
  dirty: boolean;
}

export const fillKey = (venue: string, venueFillId: string) => JSON.stringify([venue, venueFillId]);
export const positionKey = (traderId: string, symbol: string) => JSON.stringify([traderId, symbol]);

type Row = StoreSchema['fill_settlements'];

/** Every column, named (not `*`): see accountsCommit.ts on prepared statements. */
const SETTLEMENT_COLUMNS = [
  'trader_id', 'symbol', 'ordinal', 'venue', 'venue_fill_id', 'order_id', 'side', 'quantity', 'price', 'commission', 'trading_day',
  'released_cash', 'released_position', 'before_quantity', 'before_average_price', 'before_realized_pnl', 'before_pnl_day', 'busted',
] as const satisfies ReadonlyArray<keyof Row>;

function fromRow(row: Row): SettlementRow {
  const dec = (value: unknown) => fromText(String(value));
  return {
    traderId: row.trader_id, symbol: row.symbol, ordinal: Number(row.ordinal), venue: row.venue, venueFillId: row.venue_fill_id, orderId: row.order_id,
    movement: { side: row.side, quantity: dec(row.quantity), price: dec(row.price), commission: dec(row.commission), tradingDay: row.trading_day },
    before: { quantity: dec(row.before_quantity), averagePrice: dec(row.before_average_price), realizedPnl: dec(row.before_realized_pnl), pnlDay: row.before_pnl_day },
    releasedCash: dec(row.released_cash), releasedPosition: dec(row.released_position), busted: Number(row.busted) === 1, stored: true, dirty: false,
  };
}

function toRow(s: SettlementRow): Row {
  return {
    trader_id: s.traderId, symbol: s.symbol, ordinal: s.ordinal, venue: s.venue, venue_fill_id: s.venueFillId, order_id: s.orderId,
    side: s.movement.side as Side, quantity: decimalText(s.movement.quantity), price: decimalText(s.movement.price),
    commission: decimalText(s.movement.commission), trading_day: s.movement.tradingDay,
    released_cash: decimalText(s.releasedCash), released_position: decimalText(s.releasedPosition),
    before_quantity: decimalText(s.before.quantity), before_average_price: decimalText(s.before.averagePrice),
    before_realized_pnl: decimalText(s.before.realizedPnl), before_pnl_day: s.before.pnlDay, busted: s.busted ? 1 : 0,
  };
}

/**
 * The ledger rows a batch's adjustments need: for each position with an adjusted fill, every
 * row from the earliest adjusted one on, in order (busted ones included, so a second bust of
 * one is seen). Keyed by position; fills never settled through the ledger are simply absent.
 */
export async function loadLedgers(st: Statements, fills: ReadonlyArray<{ venue: string; venueFillId: string }>, lock: boolean): Promise<Map<string, SettlementRow[]>> {
  const ledgers = new Map<string, SettlementRow[]>();
  if (fills.length === 0) return ledgers;
  const wanted = new Set(fills.map((f) => fillKey(f.venue, f.venueFillId)));
  const found = (await execute(st, st.build.selectFrom('fill_settlements').select(['venue', 'venue_fill_id', 'trader_id', 'symbol', 'ordinal'])
    .where('venue_fill_id', 'in', [...new Set(fills.map((f) => f.venueFillId))]))).rows
    .filter((row) => wanted.has(fillKey(row.venue, row.venue_fill_id)));
  const from = new Map<string, { traderId: string; symbol: string; ordinal: number }>();
  for (const row of found) {
    const key = positionKey(row.trader_id, row.symbol);
    const ordinal = Number(row.ordinal);
    if (!from.has(key) || from.get(key)!.ordinal > ordinal) from.set(key, { traderId: row.trader_id, symbol: row.symbol, ordinal });
  }
  for (const [key, start] of from) {
    const { rows } = await execute(st, st.build.selectFrom('fill_settlements').select(SETTLEMENT_COLUMNS)
      .where('trader_id', '=', start.traderId).where('symbol', '=', start.symbol).where('ordinal', '>=', start.ordinal)
      .orderBy('ordinal').$if(lock, (q) => q.forUpdate()));
    ledgers.set(key, rows.map(fromRow));
  }
  return ledgers;
}

/** Sends the batch's ledger writes (see Statements). */
export function writeLedgers(st: Statements, added: readonly SettlementRow[], ledgers: Map<string, SettlementRow[]>): void {
  insertRows(st, 'fill_settlements', added.map(toRow));
  for (const ledger of ledgers.values()) {
    for (const s of ledger) {
      if (!s.stored || !s.dirty) continue;
      const { trader_id, symbol, ordinal, ...changed } = toRow(s);
      sendBuilt(st, st.build.updateTable('fill_settlements').set(changed)
        .where('trader_id', '=', trader_id).where('symbol', '=', symbol).where('ordinal', '=', ordinal));
    }
  }
}
