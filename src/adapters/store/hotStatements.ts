/**
 * The statements every order's commit runs for each change, written out per dialect and
 * executed as they are: on the commit path, building each one with Kysely cost more than
 * running it. Everything else keeps using the query builder.
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

async function run(db: Tx, sql: string, parameters: readonly unknown[]): Promise<bigint> {
  const result = await db.executeQuery(CompiledQuery.raw(sql, parameters as unknown[]));
  return result.numAffectedRows ?? 0n;
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
