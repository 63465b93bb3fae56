/**
 * The store port. One transaction per commit() call: every order change in it, its fills, its
 * audit entries, its stream events and its idempotency record commit together or not at all.
 * Uniqueness is the database's job (trader + client order id, venue + venue fill id, trader +
 * idempotency key); a violated one surfaces as a StoreConflict, never as a silent overwrite.
 */
import type { Dec } from '../domain/money.ts';
import type { Fill, Order, OrderStatus } from '../domain/order/order.ts';
import type { AccountEffect, AccountStore } from './accounts.ts';
import type { OutboxEvent } from './bus.ts';
import type { DispatchIntentWrite, DispatchSignal, ExecutionStore } from './execution.ts';
import type { VenueCredentialStore } from './venueCredentials.ts';

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
  /**
   * null inserts a new order; otherwise the update applies only if the stored version is this.
   * Equal to `order.version`, the order row is left as it is: a change that only adds audit
   * entries or intent writes (the executor's record of an attempt).
   */
  readonly expectedVersion: number | null;
  readonly newFills: readonly StoredFill[];
  readonly audit: readonly AuditEntry[];
  readonly stream: readonly StreamEventDraft[];
  readonly idempotency: IdempotencyRecord | null;
  /** Reservation, fill conversion or release, applied in the same transaction (ports/accounts.ts). */
  readonly account?: AccountEffect | null;
  /** Dispatch intent writes (ports/execution.ts), in the same transaction as the order. */
  readonly intents?: readonly DispatchIntentWrite[];
  /** Busts and corrections of stored fills, identified by (venue, venue fill id). */
  readonly fillAdjustments?: readonly FillAdjustment[];
}

/** A stored fill the venue busted (kept, marked busted, so a replay of it stays a duplicate) or corrected. */
export interface FillAdjustment {
  readonly venue: string;
  /** The venue's id of the bust or correction message: a replay of it is a duplicate. */
  readonly adjustmentId: string;
  readonly venueFillId: string;
  readonly busted: boolean;
  /** The corrected values; for a bust, the fill's own. */
  readonly quantity: Dec;
  readonly price: Dec;
  readonly at: Date;
}

export type ConflictKind = 'client_order_id' | 'idempotency_key' | 'venue_fill_id' | 'order_version' | 'order_id' | 'dispatch_lease';

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

export interface OutboxClaim {
  /** Now: the time written as published_at. */
  readonly now: Date;
  /** Only events created at least this long before `now`: younger ones are the committer's to publish. */
  readonly olderThanMs: number;
  readonly limit: number;
  readonly leaseMs: number;
}

export interface OrderStore {
  readonly dialect: 'sqlite' | 'postgres';
  /** Accounts, positions, instruments and risk settings in the same database. */
  readonly accounts: AccountStore;
  /** Dispatch intents, venue configurations, routing rules, reconciliation runs (ports/execution.ts). */
  readonly execution: ExecutionStore;
  /** Between instances sharing this store (PostgreSQL); absent where one instance owns the store. */
  readonly dispatchSignal?: DispatchSignal;
  /** Venue credentials, sealed (ports/venueCredentials.ts). */
  readonly credentials: VenueCredentialStore;
  /** Applies pending numbered migrations; safe to call from several processes at once. */
  migrate(): Promise<void>;
  /** Commits all changes in one transaction and returns their stream events with seq assigned, in order. */
  commit(changes: readonly OrderChange[]): Promise<OutboxEvent[]>;

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
  streamSince(traderId: string, afterSeq: number, limit: number): Promise<OutboxEvent[]>;
  /**
   * The outbox relay's claim: up to `limit` events not yet marked published and older than
   * `claim.olderThanMs`, oldest first, are handed to `publish`; when it resolves they are marked
   * published, when it throws none is. On PostgreSQL the rows are held FOR UPDATE SKIP LOCKED,
   * so concurrent instances claim disjoint rows, and the database ends a claim idle for longer
   * than `claim.leaseMs` (a paused or dead instance), freeing its rows. Returns how many it published.
   */
  relayUnpublished(claim: OutboxClaim, publish: (events: OutboxEvent[]) => Promise<void>): Promise<number>;
  /** Marks events that were published right after their commit, in one statement. */
  markPublished(eventIds: readonly string[], at: Date): Promise<void>;

  ping(): Promise<void>;
  close(): Promise<void>;
}

