/**
 * The store's reads: one query per function, the same SQL on SQLite and PostgreSQL, the
 * connection passed in. Every query scoped to a trader filters on trader_id in SQL, so another
 * trader's row is never read, let alone returned. "Newest first" is id DESC: ids are UUIDv7.
 */
import type { Kysely } from 'kysely';
import { ORDER_STATUSES, WORKING_STATUSES, type Order, type OrderStatus } from '../../domain/order/order.ts';
import type { OutboxEvent } from '../../ports/bus.ts';
import type { AuditRow, IdempotencyRecord, OrderFilter, StoredFill } from '../../ports/store.ts';
import type { ChainHead } from './auditChain.ts';
import { auditFromRow, fillFromRow, idempotencyFromRow, orderFromRow, streamEventFromRow } from './rows.ts';
import type { StoreSchema } from './schema.ts';

type Db = Kysely<StoreSchema>;

export async function findOrder(db: Db, orderId: string): Promise<Order | null> {
  const row = await db.selectFrom('orders').selectAll().where('id', '=', orderId).executeTakeFirst();
  return row ? orderFromRow(row) : null;
}

export async function findTraderOrder(db: Db, traderId: string, orderId: string): Promise<Order | null> {
  const row = await db
    .selectFrom('orders')
    .selectAll()
    .where('id', '=', orderId)
    .where('trader_id', '=', traderId)
    .executeTakeFirst();
  return row ? orderFromRow(row) : null;
}

export async function findTraderOrderByClientId(db: Db, traderId: string, clientOrderId: string): Promise<Order | null> {
  const row = await db
    .selectFrom('orders')
    .selectAll()
    .where('trader_id', '=', traderId)
    .where('client_order_id', '=', clientOrderId)
    .executeTakeFirst();
  return row ? orderFromRow(row) : null;
}

export async function listTraderOrders(db: Db, traderId: string, filter: OrderFilter): Promise<{ orders: Order[]; total: number }> {
  const matching = db
    .selectFrom('orders')
    .where('trader_id', '=', traderId)
    .$if(filter.status !== undefined, (query) => query.where('status', '=', filter.status as OrderStatus))
    .$if(filter.symbol !== undefined, (query) => query.where('symbol', '=', filter.symbol as string));
  const [rows, count] = await Promise.all([
    matching.selectAll().orderBy('id', 'desc').limit(filter.limit).offset(filter.offset).execute(),
    matching.select((eb) => eb.fn.countAll<number | string>().as('total')).executeTakeFirstOrThrow(),
  ]);
  return { orders: rows.map(orderFromRow), total: Number(count.total) };
}

export async function listWorkingOrders(db: Db, venue?: string): Promise<Order[]> {
  const rows = await db
    .selectFrom('orders')
    .selectAll()
    .where('status', 'in', WORKING_STATUSES)
    .$if(venue !== undefined, (query) => query.where('venue', '=', venue as string))
    .orderBy('id', 'asc')
    .execute();
  return rows.map(orderFromRow);
}

export async function countOrdersByStatus(db: Db): Promise<Record<OrderStatus, number>> {
  const rows = await db
    .selectFrom('orders')
    .select((eb) => ['status', eb.fn.countAll<number | string>().as('n')])
    .groupBy('status')
    .execute();
  const counts = Object.fromEntries(ORDER_STATUSES.map((status) => [status, 0])) as Record<OrderStatus, number>;
  for (const row of rows) counts[row.status] = Number(row.n);
  return counts;
}

export async function listFills(db: Db, orderId: string): Promise<StoredFill[]> {
  const rows = await db
    .selectFrom('fills')
    .selectAll()
    .where('order_id', '=', orderId)
    // A busted fill stays stored (its replay is a duplicate) but is no longer one of the order's fills.
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('fill_adjustments').select('fill_adjustments.adjustment_id')
      .where('fill_adjustments.kind', '=', 'bust')
      .whereRef('fill_adjustments.venue', '=', 'fills.venue').whereRef('fill_adjustments.venue_fill_id', '=', 'fills.venue_fill_id'))))
    .orderBy('filled_at')
    .orderBy('id')
    .execute();
  return rows.map(fillFromRow);
}

export async function fillExists(db: Db, venue: string, venueFillId: string): Promise<boolean> {
  const row = await db
    .selectFrom('fills')
    .select('id')
    .where('venue', '=', venue)
    .where('venue_fill_id', '=', venueFillId)
    .executeTakeFirst();
  return row !== undefined;
}

export async function listAudit(db: Db, orderId: string): Promise<AuditRow[]> {
  const rows = await db.selectFrom('order_events').selectAll().where('order_id', '=', orderId).orderBy('seq').execute();
  return rows.map(auditFromRow);
}

export async function auditChain(db: Db, afterSeq: number, limit: number): Promise<AuditRow[]> {
  const rows = await db
    .selectFrom('order_events')
    .selectAll()
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map(auditFromRow);
}

export async function auditHead(db: Db): Promise<ChainHead> {
  const head = await db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirstOrThrow();
  return { seq: Number(head.seq), hash: head.hash };
}

export async function findIdempotency(db: Db, traderId: string, key: string): Promise<IdempotencyRecord | null> {
  const row = await db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('trader_id', '=', traderId)
    .where('key', '=', key)
    .executeTakeFirst();
  return row ? idempotencyFromRow(row) : null;
}

export async function deleteExpiredIdempotency(db: Db, now: Date): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys').where('expires_at', '<=', now.toISOString()).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function streamSince(db: Db, traderId: string, afterSeq: number, limit: number): Promise<OutboxEvent[]> {
  const rows = await db
    .selectFrom('outbox')
    .select(['event_id', 'trader_id', 'seq', 'payload'])
    .where('trader_id', '=', traderId)
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map(streamEventFromRow);
}
