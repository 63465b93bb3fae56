/**
 * The store port. One transaction per commit() call: every order change in it, its fills, its
 * audit entries, its stream events and its idempotency record commit together or not at all.
 * Uniqueness is the database's job (trader + client order id, venue + venue fill id, trader +
 * idempotency key); a violated one surfaces as a StoreConflict, never as a silent overwrite.
 */
import type { Fill, Order, OrderStatus } from '../domain/order/order.ts';
import type { StreamEvent } from './bus.ts';

export interface StoredFill extends Fill {
  readonly id: string;
  readonly orderId: string;
}

/** One row of the audit trail as written by the app; the store adds seq and the hash chain. */
export interface AuditEntry {
  readonly id: string;
  readonly orderId: string;
  readonly traderId: string;
  readonly kind: string;
  /** JSON text: the event's data. Hashed exactly as stored. */
  readonly payload: string;
  readonly at: Date;
}

export interface AuditRow extends AuditEntry {
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}

/** A stream event before the store gives it its per-trader seq. */
export interface StreamEventDraft {
  readonly id: string;
  readonly traderId: string;
  /** The event's fields; the store adds `seq` first and serialises it once. */
  readonly body: Readonly<Record<string, unknown>>;
  readonly at: Date;
}

export interface IdempotencyRecord {
  readonly traderId: string;
  readonly key: string;
  /** sha256 of the request (method, path and body) the key was first used with. */
  readonly requestHash: string;
  readonly statusCode: number;
  /** The exact response body bytes, replayed byte for byte. */
  readonly body: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

export interface OrderChange {
  /** The order's new state; its `version` is the new version. */
  readonly order: Order;
  /** null inserts a new order; otherwise the update applies only if the stored version is this. */
  readonly expectedVersion: number | null;
  readonly newFills: readonly StoredFill[];
  readonly audit: readonly AuditEntry[];
  readonly stream: readonly StreamEventDraft[];
  readonly idempotency: IdempotencyRecord | null;
}

export type ConflictKind = 'client_order_id' | 'idempotency_key' | 'venue_fill_id' | 'order_version' | 'order_id';

export class StoreConflict extends Error {
  override readonly name = 'StoreConflict';
  constructor(readonly kind: ConflictKind, message: string) {
    super(message);
  }
}

/** The store cannot be reached or failed for a reason that is not the request's fault. */
export class StoreUnavailable extends Error {
  override readonly name = 'StoreUnavailable';
}

export interface OrderFilter {
  readonly status?: OrderStatus;
  readonly symbol?: string;
  readonly limit: number;
  readonly offset: number;
}

export interface OrderStore {
  readonly dialect: 'sqlite' | 'postgres';
  /** Applies pending numbered migrations; safe to call from several processes at once. */
  migrate(): Promise<void>;
  /** Commits all changes in one transaction and returns their stream events with seq assigned, in order. */
  commit(changes: readonly OrderChange[]): Promise<StreamEvent[]>;

  findOrder(orderId: string): Promise<Order | null>;
  /** The trader's own order; another trader's order is not found. */
  findTraderOrder(traderId: string, orderId: string): Promise<Order | null>;
  findTraderOrderByClientId(traderId: string, clientOrderId: string): Promise<Order | null>;
  listTraderOrders(traderId: string, filter: OrderFilter): Promise<{ orders: Order[]; total: number }>;
  /** Orders in a working status (pending, acked, partially_filled, pending_cancel), oldest first. */
  listWorkingOrders(venue?: string): Promise<Order[]>;
  countOrdersByStatus(): Promise<Record<OrderStatus, number>>;

  listFills(orderId: string): Promise<StoredFill[]>;
  fillExists(venue: string, venueFillId: string): Promise<boolean>;
  listAudit(orderId: string): Promise<AuditRow[]>;
  /** Audit rows in seq order after `afterSeq`, for the verifier. */
  auditChain(afterSeq: number, limit: number): Promise<AuditRow[]>;
  /** The chain head the store keeps: last seq and hash written. */
  auditHead(): Promise<{ seq: number; hash: string }>;

  findIdempotency(traderId: string, key: string): Promise<IdempotencyRecord | null>;
  deleteExpiredIdempotency(now: Date): Promise<number>;

  /** The trader's stream events with seq > afterSeq, oldest first. */
  streamSince(traderId: string, afterSeq: number, limit: number): Promise<StreamEvent[]>;

  ping(): Promise<void>;
  close(): Promise<void>;
}

