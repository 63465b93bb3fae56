/**
 * The account part of a commit: applies the batch's AccountEffects inside the transaction that
 * writes its orders (commitBatch calls it), with the same SQL on both dialects. Invariants:
 * - The rows a batch touches are read first, FOR UPDATE on PostgreSQL (SQLite holds the write
 *   lock from BEGIN IMMEDIATE), so the checks below see values no other writer can change
 *   before this transaction ends. Arithmetic is exact decimal, in array order of the effects.
 * - A reservation passes only if cash − reserved covers it (buys) and quantity − sell_reserved
 *   covers the sell's position part, and neither the firm nor the trader is halted; otherwise
 *   RiskRefused is thrown and the whole transaction rolls back (the committer then isolates it).
 * - accounts.reserved is always the sum of the working orders' reservations.cash_remaining, and
 *   positions.sell_reserved the sum of their position_remaining: a fill releases at most what
 *   its order still holds; a finished order releases the rest and its reservation row goes.
 * - Every fill writes its row in the fill ledger (fillSettlements.ts): the position just before
 *   it and what it released. A bust or correction restates the position from that checkpoint
 *   through every later fill (domain/risk/positions.ts), moves cash by the difference, and gives
 *   the order's reservation back what the fill took while the order still works. Duplicates are
 *   refused by the adjustment's own id (fill_adjustments) in this same transaction.
 */
import type { Selectable } from 'kysely';
import { D, decimalText, fromText, ZERO, type Dec } from '../../domain/money.ts';
import type { Side } from '../../domain/order/order.ts';
import { applyMovement, cashMovement, restateAfterAdjustment, type Movement, type PositionBook } from '../../domain/risk/positions.ts';
import { RiskRefused, type AccountEffect, type SettlementAdjustment } from '../../ports/accounts.ts';
import { StoreConflict } from '../../ports/store.ts';
import { loadLedgers, positionKey, writeLedgers, type SettlementRow } from './fillSettlements.ts';
import { insertRows, placeholders, shaped } from './hotStatements.ts';
import type { StoreSchema } from './schema.ts';
import { ahead, rows, type Statements } from './statements.ts';

interface MutableAccount { cash: Dec; reserved: Dec; touched: boolean }
interface MutablePosition {
  quantity: Dec; averagePrice: Dec; sellReserved: Dec; realizedPnl: Dec; pnlDay: string; lastMovement: number; touched: boolean;
}
interface MutableReservation {
  traderId: string; symbol: string; side: 'buy' | 'sell'; unitPrice: Dec | null; remainingQuantity: Dec;
  cash: Dec; position: Dec; stored: boolean; touched: boolean; done: boolean; createdAt: Date;
}

interface Batch {
  readonly accounts: Map<string, MutableAccount>;
  readonly positions: Map<string, MutablePosition>;
  readonly reservations: Map<string, MutableReservation>;
  /** Per position, the ledger rows from the earliest adjusted one on, then this batch's new ones. */
  readonly ledgers: Map<string, SettlementRow[]>;
  readonly added: SettlementRow[];
  readonly halted: Set<string>;
}

const unique = <T>(values: T[]) => [...new Set(values)];

// Columns named, never `*`: a prepared statement (PostgreSQL's commit) whose result columns
// changed under it, as a migration adding one would, fails until its connection is replaced.
const POSITION_COLUMNS = 'trader_id, symbol, quantity, average_price, sell_reserved, realized_pnl, pnl_day, last_movement';
type PositionRow = Omit<Selectable<StoreSchema['positions']>, 'updated_at'>;
const RESERVATION_COLUMNS = 'order_id, trader_id, symbol, side, unit_price, remaining_quantity, cash_remaining, position_remaining, created_at';
type ReservationRow = Selectable<StoreSchema['reservations']>;

/** Its reads go out together (one round trip on PostgreSQL), its writes are only sent (see Statements). */
export async function applyAccountEffects(st: Statements, effects: readonly AccountEffect[], lock: boolean): Promise<void> {
  if (effects.length === 0) return;
  const { dialect } = st;
  const forUpdate = lock ? ' FOR UPDATE' : '';
  const traders = unique(effects.map((e) => e.traderId));
  const openingCash = new Map(effects.map((e) => [e.traderId, e]));
  insertRows(st, 'accounts', traders.map((traderId) => {
    const effect = openingCash.get(traderId)!;
    const at = effect.at.toISOString();
    return { trader_id: traderId, cash: decimalText(effect.openingCash), reserved: '0', created_at: at, updated_at: at };
  }), 'ON CONFLICT (trader_id) DO NOTHING');

  const accountRows = ahead(rows<{ trader_id: string; cash: unknown; reserved: unknown }>(st, shaped(dialect, `accounts of ${traders.length}${forUpdate}`,
    () => `SELECT trader_id, cash, reserved FROM accounts WHERE trader_id IN (${placeholders(traders.length)})${forUpdate}`), traders));

  const adjustments = effects.flatMap((e) => e.adjustments ?? []);
  const needsPositions = adjustments.length > 0 || effects.some((e) => e.fills.length > 0 || e.side === 'sell');
  const symbols = unique(effects.map((e) => e.symbol));
  const positionRows = needsPositions
    ? ahead(rows<PositionRow>(st, shaped(dialect, `positions of ${traders.length} ${symbols.length}${forUpdate}`,
      () => `SELECT ${POSITION_COLUMNS} FROM positions WHERE trader_id IN (${placeholders(traders.length)}) AND symbol IN (${placeholders(symbols.length)})${forUpdate}`),
    [...traders, ...symbols]))
    : Promise.resolve([]);

  const settled = unique(effects.filter((e) => e.reserve === null).map((e) => e.orderId));
  const reservationRows = settled.length > 0
    ? ahead(rows<ReservationRow>(st, shaped(dialect, `reservations of ${settled.length}${forUpdate}`,
      () => `SELECT ${RESERVATION_COLUMNS} FROM reservations WHERE order_id IN (${placeholders(settled.length)})${forUpdate}`), settled))
    : Promise.resolve([]);

  const haltedRead = ahead(haltedScopes(st, effects.some((e) => e.reserve !== null) ? traders : []));
  const ledgersRead = ahead(loadLedgers(st, adjustments, lock));

  const accounts = new Map<string, MutableAccount>();
  for (const row of await accountRows) accounts.set(row.trader_id, { cash: fromText(String(row.cash)), reserved: fromText(String(row.reserved)), touched: false });

  const positions = new Map<string, MutablePosition>();
  for (const row of await positionRows) {
    positions.set(positionKey(row.trader_id, row.symbol), {
      quantity: fromText(String(row.quantity)), averagePrice: fromText(String(row.average_price)),
      sellReserved: fromText(String(row.sell_reserved)), realizedPnl: fromText(String(row.realized_pnl)), pnlDay: row.pnl_day,
      lastMovement: Number(row.last_movement), touched: false,
    });
  }

  const reservations = new Map<string, MutableReservation>();
  for (const row of await reservationRows) {
    reservations.set(row.order_id, {
      traderId: row.trader_id, symbol: row.symbol, side: row.side, unitPrice: row.unit_price === null ? null : fromText(String(row.unit_price)),
      remainingQuantity: fromText(String(row.remaining_quantity)), cash: fromText(String(row.cash_remaining)),
      position: fromText(String(row.position_remaining)), stored: true, touched: false, done: false, createdAt: new Date(row.created_at),
    });
  }

  const batch: Batch = { accounts, positions, reservations, ledgers: await ledgersRead, added: [], halted: await haltedRead };
  for (const effect of effects) apply(effect, batch);
  write(st, effects, batch);
  writeLedgers(st, batch.added, batch.ledgers);
}

async function haltedScopes(st: Statements, traders: string[]): Promise<Set<string>> {
  if (traders.length === 0) return new Set();
  const keys = ['state:_firm', ...traders.map((t) => `state:${t}`)];
  const found = await rows<{ key: string; value: string }>(st, shaped(st.dialect, `trading states of ${keys.length}`,
    () => `SELECT "key", "value" FROM risk_settings WHERE "key" IN (${placeholders(keys.length)})`), keys);
  return new Set(found.filter((row) => JSON.parse(row.value) === 'halted').map((row) => row.key.slice('state:'.length)));
}

function apply(effect: AccountEffect, batch: Batch): void {
  const { accounts, positions, reservations, halted } = batch;
  const account = accounts.get(effect.traderId)!;
  const key = positionKey(effect.traderId, effect.symbol);
  const position = () => {
    let p = positions.get(key);
    if (!p) {
      p = { quantity: ZERO, averagePrice: ZERO, sellReserved: ZERO, realizedPnl: ZERO, pnlDay: effect.tradingDay, lastMovement: 0, touched: false };
      positions.set(key, p);
    }
    return p;
  };
  const refuse = (denial: RiskRefused['denial']) => new RiskRefused(effect.orderId, denial);

  if (effect.reserve !== null) {
    if (halted.has('_firm')) throw refuse({ code: 'trading_halted', scope: 'firm' });
    if (halted.has(effect.traderId)) throw refuse({ code: 'trading_halted', scope: 'trader' });
    const { cash, positionQuantity } = effect.reserve;
    if (cash.gt(0)) {
      const available = account.cash.minus(account.reserved);
      if (cash.gt(available)) throw refuse({ code: 'insufficient_buying_power', requested: cash, available });
      account.reserved = account.reserved.plus(cash);
      account.touched = true;
    }
    if (positionQuantity.gt(0)) {
      const p = position();
      const available = p.quantity.minus(p.sellReserved);
      if (positionQuantity.gt(available)) {
        throw refuse({ code: 'insufficient_position', symbol: effect.symbol, requested: positionQuantity, available: D.max(available, ZERO) });
      }
      p.sellReserved = p.sellReserved.plus(positionQuantity);
      p.touched = true;
    }
    reservations.set(effect.orderId, {
      traderId: effect.traderId, symbol: effect.symbol, side: effect.side, unitPrice: effect.reserve.unitPrice,
      remainingQuantity: effect.reserve.quantity, cash, position: positionQuantity, stored: false, touched: true, done: false, createdAt: effect.at,
    });
  }

  const reservation = reservations.get(effect.orderId);
  for (const fill of effect.fills) {
    const p = position();
    const movement: Movement = { side: effect.side, quantity: fill.quantity, price: fill.price, commission: fill.commission, tradingDay: effect.tradingDay };
    const before = bookOf(p);
    setBook(p, applyMovement(before, movement));
    account.cash = account.cash.plus(cashMovement(movement));
    account.touched = true;
    const released = release(effect.side, fill.quantity, account, p, reservation);
    const row: SettlementRow = {
      traderId: effect.traderId, symbol: effect.symbol, ordinal: ++p.lastMovement, venue: fill.venue, venueFillId: fill.venueFillId,
      orderId: effect.orderId, movement, before, releasedCash: released.cash, releasedPosition: released.position, busted: false, stored: false, dirty: false,
    };
    batch.added.push(row);
    batch.ledgers.set(key, [...(batch.ledgers.get(key) ?? []), row]);
  }

  for (const adjustment of effect.adjustments ?? []) adjust(effect, adjustment, batch.ledgers.get(key) ?? [], account, position(), reservation);

  if (effect.releaseRest && reservation && !reservation.done) {
    account.reserved = account.reserved.minus(reservation.cash);
    account.touched = true;
    if (reservation.position.gt(0)) {
      const p = position();
      p.sellReserved = p.sellReserved.minus(reservation.position);
      p.touched = true;
    }
    reservation.cash = ZERO;
    reservation.position = ZERO;
    reservation.done = true;
    reservation.touched = true;
  }
}

const bookOf = (p: MutablePosition): PositionBook => ({ quantity: p.quantity, averagePrice: p.averagePrice, realizedPnl: p.realizedPnl, pnlDay: p.pnlDay });

function setBook(p: MutablePosition, book: PositionBook): void {
  p.quantity = book.quantity;
  p.averagePrice = book.averagePrice;
  p.realizedPnl = book.realizedPnl;
  p.pnlDay = book.pnlDay;
  p.touched = true;
}

/** A fill's share of its order's reservation, released: at most what the order still holds. */
function release(side: Side, quantity: Dec, account: MutableAccount, p: MutablePosition, reservation: MutableReservation | undefined) {
  if (!reservation || reservation.done) return { cash: ZERO, position: ZERO };
  const cash = side === 'buy' && reservation.unitPrice ? D.min(quantity.times(reservation.unitPrice), reservation.cash) : ZERO;
  const position = side === 'sell' ? D.min(quantity, reservation.position) : ZERO;
  account.reserved = account.reserved.minus(cash);
  reservation.cash = reservation.cash.minus(cash);
  p.sellReserved = p.sellReserved.minus(position);
  reservation.position = reservation.position.minus(position);
  reservation.remainingQuantity = reservation.remainingQuantity.minus(quantity);
  reservation.touched = true;
  return { cash, position };
}

/**
 * A bust or correction of a settled fill: the position restated from the fill's checkpoint,
 * cash moved by the difference, and, while the order still works, its reservation given back
 * what the fill took (and, for a correction, what the corrected fill takes, taken again).
 * A fill absent from the ledger was never settled through it: there is nothing of it to undo.
 */
function adjust(
  effect: AccountEffect, adjustment: SettlementAdjustment, ledger: SettlementRow[],
  account: MutableAccount, p: MutablePosition, reservation: MutableReservation | undefined,
): void {
  const index = ledger.findIndex((s) => s.venue === adjustment.venue && s.venueFillId === adjustment.venueFillId);
  if (index < 0) return;
  const target = ledger[index]!;
  // A bust replayed under another message id: a duplicate, refused like a replayed message id.
  if (target.busted) throw new StoreConflict('venue_fill_id', `fill ${adjustment.venueFillId} of ${adjustment.venue} is busted already`);
  if (target.orderId !== effect.orderId) {
    throw new Error(`fill ${adjustment.venueFillId} of ${adjustment.venue} belongs to order ${target.orderId}, not ${effect.orderId}`);
  }
  const standing = ledger.slice(index).filter((s) => !s.busted);
  const replacement = adjustment.replacement ? { ...target.movement, ...adjustment.replacement } : null;
  const restated = restateAfterAdjustment(standing, replacement);
  setBook(p, restated.book);
  restated.later.forEach((entry, i) => {
    standing[i + 1]!.before = entry.before;
    standing[i + 1]!.dirty = true;
  });
  account.cash = account.cash.plus(restated.cash);
  account.touched = true;

  if (reservation && !reservation.done) {
    account.reserved = account.reserved.plus(target.releasedCash);
    reservation.cash = reservation.cash.plus(target.releasedCash);
    p.sellReserved = p.sellReserved.plus(target.releasedPosition);
    reservation.position = reservation.position.plus(target.releasedPosition);
    reservation.remainingQuantity = reservation.remainingQuantity.plus(target.movement.quantity);
    reservation.touched = true;
  }
  if (replacement) {
    const released = release(effect.side, replacement.quantity, account, p, reservation);
    target.movement = replacement;
    target.releasedCash = released.cash;
    target.releasedPosition = released.position;
  } else {
    target.busted = true;
  }
  target.dirty = true;
}

const UPSERT_POSITION = 'ON CONFLICT (trader_id, symbol) DO UPDATE SET quantity = excluded.quantity, average_price = excluded.average_price,' +
  ' sell_reserved = excluded.sell_reserved, realized_pnl = excluded.realized_pnl, pnl_day = excluded.pnl_day, last_movement = excluded.last_movement,' +
  ' updated_at = excluded.updated_at';

function write(st: Statements, effects: readonly AccountEffect[], { accounts, positions, reservations }: Batch): void {
  const { dialect } = st;
  const at = effects[effects.length - 1]!.at.toISOString();
  for (const [traderId, a] of accounts) {
    if (!a.touched) continue;
    st.send(shaped(dialect, 'account update', () => 'UPDATE accounts SET cash = ?, reserved = ?, updated_at = ? WHERE trader_id = ?'),
      [decimalText(a.cash), decimalText(a.reserved), at, traderId]);
  }
  insertRows(st, 'positions', [...positions].filter(([, p]) => p.touched).map(([key, p]) => {
    const [traderId, symbol] = JSON.parse(key) as [string, string];
    return {
      trader_id: traderId, symbol, quantity: decimalText(p.quantity), average_price: decimalText(p.averagePrice),
      sell_reserved: decimalText(p.sellReserved), realized_pnl: decimalText(p.realizedPnl), pnl_day: p.pnlDay, last_movement: p.lastMovement, updated_at: at,
    };
  }), UPSERT_POSITION);

  const inserts = [];
  const finished: string[] = [];
  for (const [orderId, r] of reservations) {
    if (!r.touched) continue;
    if (r.done) {
      if (r.stored) finished.push(orderId);
      continue;
    }
    const row = {
      order_id: orderId, trader_id: r.traderId, symbol: r.symbol, side: r.side, unit_price: r.unitPrice === null ? null : decimalText(r.unitPrice),
      remaining_quantity: decimalText(D.max(r.remainingQuantity, ZERO)), cash_remaining: decimalText(r.cash), position_remaining: decimalText(r.position),
      created_at: r.createdAt.toISOString(),
    };
    if (!r.stored) inserts.push(row);
    else {
      st.send(shaped(dialect, 'reservation update', () => 'UPDATE reservations SET remaining_quantity = ?, cash_remaining = ?, position_remaining = ? WHERE order_id = ?'),
        [row.remaining_quantity, row.cash_remaining, row.position_remaining, orderId]);
    }
  }
  insertRows(st, 'reservations', inserts);
  if (finished.length > 0) {
    st.send(shaped(dialect, `reservations done ${finished.length}`, () => `DELETE FROM reservations WHERE order_id IN (${placeholders(finished.length)})`), finished);
  }
}
