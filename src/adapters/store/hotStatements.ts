/**
 * The statements every commit runs, written out per dialect and executed as they are: on the
 * commit path, building each one with Kysely cost more than running it (about 0.1 ms a
 * statement on the commit thread, against a few microseconds to run a prepared one; a fill's
 * commit runs some twenty). Everything else keeps using the query builder.
 * Rows handed to insertRows are written column for column as given: every row of a call has
 * the same keys, and no value is undefined (Kysely would silently leave such
 * a column to its default; here it is refused).
 */
import { CompiledQuery, type Transaction } from 'kysely';
import type { OrderStore } from '../../ports/store.ts';
import type { StoreSchema } from './schema.ts';

type Tx = Transaction<StoreSchema>;
export type Dialect = OrderStore['dialect'];

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

/** Runs one statement; answers how many rows it changed. */
export async function run(db: Tx, sql: string, parameters: readonly unknown[]): Promise<bigint> {
  const result = await db.executeQuery(CompiledQuery.raw(sql, parameters as unknown[]));
  return result.numAffectedRows ?? 0n;
}

/** Runs one statement that answers rows (SELECT, or RETURNING). */
export async function rows<R>(db: Tx, sql: string, parameters: readonly unknown[]): Promise<R[]> {
  return (await db.executeQuery<R>(CompiledQuery.raw(sql, parameters as unknown[]))).rows as R[];
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

/**
 * INSERT INTO `table` the rows, in as few statements as the parameter limit allows, with `tail`
 * (ON CONFLICT …, RETURNING …; no placeholders) after the VALUES. Answers the rows RETURNING gave.
 */
export async function insertRows<R = never>(db: Tx, dialect: Dialect, table: string, values: readonly object[], tail = ''): Promise<R[]> {
  if (values.length === 0) return [];
  const columns = Object.keys(values[0]!);
  const perChunk = Math.max(1, Math.floor(MAX_PARAMETERS / columns.length));
  const answered: R[] = [];
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
    if (tail.includes('RETURNING')) answered.push(...(await rows<R>(db, sql, parameters)));
    else await run(db, sql, parameters);
  }
  return answered;
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

/** Moves an order to its new state if it is still at `expectedVersion`; false if it is not. */
export async function updateOrder(db: Tx, dialect: Dialect, update: OrderUpdate, expectedVersion: number): Promise<boolean> {
  const { id, traderId, status, venueOrderId, filledQuantity, filledNotional, reason, version, updatedAt } = update;
  const changed = await run(db, UPDATE_ORDER[dialect],
    [status, venueOrderId, filledQuantity, filledNotional, reason, version, updatedAt, id, traderId, expectedVersion]);
  return changed > 0n;
}

/** Deletes a finished intent while `owner` still holds its lease; false if it does not. */
export async function completeIntent(db: Tx, dialect: Dialect, orderId: string, owner: string): Promise<boolean> {
  return (await run(db, COMPLETE_INTENT[dialect], [orderId, owner])) > 0n;
}
