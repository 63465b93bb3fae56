/**
 * The statements every commit runs, written out per dialect and executed as they are: on the
 * commit path, building each one with Kysely cost more than running it (about 0.1 ms a
 * statement on the commit thread, against a few microseconds to run a prepared one; a fill's
 * commit runs some twenty). Everything else keeps using the query builder.
 * They run through the transaction's Statements (statements.ts).
 * Rows handed to insertRows are written column for column as given: every row of a call has
 * the same keys, and no value is undefined (Kysely would silently leave such
 * a column to its default; here it is refused).
 */
import { StoreConflict, type ConflictKind } from '../../ports/store.ts';
import { rows, type Dialect, type Statements } from './statements.ts';

/** `?` placeholders as the dialect wants them: SQLite keeps them, PostgreSQL numbers them. */
function both(sql: string): Record<Dialect, string> {
  let n = 0;
  return { sqlite: sql, postgres: sql.replace(/\?/g, () => `$${++n}`) };
}

const UPDATE_ORDER = both(
  'UPDATE orders SET status = ?, venue_order_id = ?, filled_quantity = ?, filled_notional = ?, reason = ?, version = ?, updated_at = ?' +
  ' WHERE id = ? AND trader_id = ? AND version = ?',
);

const COMPLETE_INTENT = both('DELETE FROM dispatch_intents WHERE order_id = ? AND lease_owner = ?');

/** Sends a write that must change a row; the commit fails with `conflict` if it changed none. */
function sendFenced(st: Statements, sql: Record<Dialect, string>, parameters: unknown[], conflict: ConflictKind, detail: string): void {
  st.send(sql[st.dialect], parameters, (changed) => {
    if (changed === 0n) throw new StoreConflict(conflict, detail);
  });
}

/** Statement texts by shape; a batch's sizes repeat, so this stays small, and is cleared if it does not. */
const shapes = new Map<string, Record<Dialect, string>>();

/** `sql` in the dialect's placeholders, built once per shape by `build`. */
export function shaped(dialect: Dialect, shape: string, build: () => string): string {
  let texts = shapes.get(shape);
  if (!texts) {
    if (shapes.size >= 2000) shapes.clear();
    texts = both(build());
    shapes.set(shape, texts);
  }
  return texts[dialect];
}

/** `?, ?, ?` for an IN list of n values. */
export const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

/** Both dialects accept well over this many bound parameters in one statement (SQLite 32766, pg 65535). */
const MAX_PARAMETERS = 30_000;

/** The INSERT statements (text and parameters) that write `values`, within the parameter limit, with `tail` after VALUES. */
function insertStatements(dialect: Dialect, table: string, values: readonly object[], tail: string): Array<[string, unknown[]]> {
  if (values.length === 0) return [];
  const columns = Object.keys(values[0]!);
  const perChunk = Math.max(1, Math.floor(MAX_PARAMETERS / columns.length));
  const statements: Array<[string, unknown[]]> = [];
  for (let start = 0; start < values.length; start += perChunk) {
    const chunk = values.slice(start, start + perChunk);
    const parameters: unknown[] = [];
    for (const row of chunk) {
      const keys = Object.keys(row);
      if (keys.length !== columns.length) throw new Error(`insert into ${table}: rows with different columns (${keys.join(',')} vs ${columns.join(',')})`);
      for (let i = 0; i < columns.length; i++) {
        const value = (row as Record<string, unknown>)[columns[i]!];
        if (value === undefined) throw new Error(`insert into ${table}: no value for ${columns[i]}`);
        parameters.push(value);
      }
    }
    const sql = shaped(dialect, `insert ${table} ${columns.join(',')} ${chunk.length} ${tail}`, () => {
      const row = `(${placeholders(columns.length)})`;
      return `INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${Array.from({ length: chunk.length }, () => row).join(', ')}${tail ? ` ${tail}` : ''}`;
    });
    statements.push([sql, parameters]);
  }
  return statements;
}

/**
 * Sends INSERT INTO `table` of the rows, in as few statements as the parameter limit allows,
 * with `tail` (ON CONFLICT …; no placeholders, no RETURNING) after the VALUES. Nothing waits
 * for the answer (see Statements).
 */
export function insertRows(st: Statements, table: string, values: readonly object[], tail = ''): void {
  if (tail.includes('RETURNING')) throw new Error(`insert into ${table}: RETURNING needs insertReturning`);
  for (const [sql, parameters] of insertStatements(st.dialect, table, values, tail)) st.send(sql, parameters);
}

/** As insertRows, with RETURNING in `tail`: waits for, and answers, the rows it returned. */
export async function insertReturning<R>(st: Statements, table: string, values: readonly object[], tail: string): Promise<R[]> {
  if (!tail.includes('RETURNING')) throw new Error(`insert into ${table}: insertReturning needs RETURNING`);
  const statements = insertStatements(st.dialect, table, values, tail);
  const answers = await Promise.all(statements.map(([sql, parameters]) => rows<R>(st, sql, parameters)));
  return answers.flat();
}

export interface OrderUpdate {
  readonly id: string;
  readonly traderId: string;
  readonly status: string;
  readonly venueOrderId: string | null;
  readonly filledQuantity: string;
  readonly filledNotional: string;
  readonly reason: string | null;
  readonly version: number;
  readonly updatedAt: string;
}

/** Sends the move of an order to its new state; the commit fails with an order_version conflict unless it was still at `expectedVersion`. */
export function updateOrder(st: Statements, update: OrderUpdate, expectedVersion: number): void {
  const { id, traderId, status, venueOrderId, filledQuantity, filledNotional, reason, version, updatedAt } = update;
  sendFenced(st, UPDATE_ORDER, [status, venueOrderId, filledQuantity, filledNotional, reason, version, updatedAt, id, traderId, expectedVersion],
    'order_version', `order ${id} is not at version ${expectedVersion}`);
}

/** Sends the deletion of a finished intent; the commit fails with a dispatch_lease conflict unless `owner` still held its lease. */
export function completeIntent(st: Statements, orderId: string, owner: string): void {
  sendFenced(st, COMPLETE_INTENT, [orderId, owner], 'dispatch_lease', `${owner} no longer holds the dispatch lease of order ${orderId}`);
}
