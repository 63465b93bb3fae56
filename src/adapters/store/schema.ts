/**
 * The tables as Kysely sees them, shared by both dialects. Decimals are exact text in and out
 * (TEXT on SQLite, NUMERIC on PostgreSQL, which pg returns as a string); timestamps are written
 * as ISO 8601 text and read back as text (SQLite) or a Date (PostgreSQL timestamptz).
 * The migrations in sqlite/migrations and postgres/migrations are the source of truth.
 */
import type { ColumnType } from 'kysely';
import type { OrderStatus, OrderType, Side, TimeInForce } from '../../domain/order/order.ts';
import type { AccountTables } from './accountsSchema.ts';
import type { CredentialTables } from './credentialsStore.ts';
import type { ExecutionTables } from './executionSchema.ts';

export type Timestamp = ColumnType<Date | string, string, string>;

export interface OrdersTable {
  id: string;
  client_order_id: string;
  trader_id: string;
  symbol: string;
  side: Side;
  type: OrderType;
  time_in_force: TimeInForce;
  quantity: string;
  limit_price: string | null;
  stop_price: string | null;
  venue: string;
  batch_id: string | null;
  status: OrderStatus;
  venue_order_id: string | null;
  filled_quantity: string;
  filled_notional: string;
  reason: string | null;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface FillsTable {
  id: string;
  order_id: string;
  venue: string;
  venue_fill_id: string;
  venue_order_id: string;
  quantity: string;
  price: string;
  commission: string;
  filled_at: Timestamp;
}

export interface OrderEventsTable {
  seq: number;
  id: string;
  order_id: string;
  trader_id: string;
  kind: string;
  payload: string;
  at: Timestamp;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface IdempotencyKeysTable {
  trader_id: string;
  key: string;
  request_hash: string;
  status_code: number;
  body: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface TraderStreamsTable {
  trader_id: string;
  last_seq: number;
}

export interface OutboxTable {
  trader_id: string;
  seq: number;
  event_id: string;
  payload: string;
  created_at: Timestamp;
  /** Null until the event reached the bus (0002_outbox_published). */
  published_at: ColumnType<Date | string | null, string | null | undefined, string | null>;
}

export interface StoreSchema extends AccountTables, ExecutionTables, CredentialTables {
  orders: OrdersTable;
  fills: FillsTable;
  order_events: OrderEventsTable;
  audit_head: AuditHeadTable;
  idempotency_keys: IdempotencyKeysTable;
  trader_streams: TraderStreamsTable;
  outbox: OutboxTable;
}
