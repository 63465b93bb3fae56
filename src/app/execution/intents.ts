/**
 * The pure parts of execution: the request sent to a venue (its client order id is the
 * gateway's order id, the same on every attempt), the intent created with an order, the
 * retry backoff, and the audit entries an attempt leaves (execution_started, executed,
 * execution_failed, recovered). These rows sit in the same hash-chained audit trail as the
 * order's own events, written by changes that leave the order row as it is.
 */
import type { Order } from '../../domain/order/order.ts';
import type { Ids } from '../../ports/clock.ts';
import type { DispatchIntent, DispatchIntentWrite } from '../../ports/execution.ts';
import type { AuditEntry, OrderChange } from '../../ports/store.ts';
import type { VenueOrderRequest } from '../../ports/venue.ts';

export function venueRequest(order: Order): VenueOrderRequest {
  return {
    clientOrderId: order.id,
    account: order.traderId,
    symbol: order.symbol,
    side: order.side,
    type: order.type,
    timeInForce: order.timeInForce,
    quantity: order.quantity,
    limitPrice: order.limitPrice,
    stopPrice: order.stopPrice,
  };
}

/** The promise to send `order`, written in the order's own transaction: due at once, never sent yet. */
export function submitIntent(order: Order, at: Date): DispatchIntentWrite {
  return { kind: 'create', orderId: order.id, venue: order.venue, at, attempts: 0 };
}

/** An order's intent claimed by the instance that commits it, to send as soon as the commit is durable. */
export interface ClaimedOnCommit {
  readonly intent: DispatchIntent;
  readonly write: DispatchIntentWrite;
  readonly audit: AuditEntry;
}

/**
 * The name a lease is held under: the instance, then this claim's own id. Writes are fenced on
 * it, so a task of an earlier claim of the same instance is fenced out too: were leases held by
 * the instance's name alone, an instance whose stale task outlived its lease, and that claimed
 * the intent again after another instance had sent it, would let the stale task send once more.
 */
export function leaseToken(owner: string, ids: Ids): string {
  return `${owner}/${ids.next()}`;
}

/**
 * The intent created leased to a claim of its own (leaseToken) with its first attempt started
 * (attempts 1 and execution_started in the audit trail), all in the order's own transaction,
 * so the send needs no claim and no write of its own. Should the instance die before sending,
 * whoever takes the lease over finds attempts 1 and looks the order up before sending: never a
 * duplicate.
 */
export function claimedOnCommit(ids: Ids, order: Order, instance: string, leaseMs: number, at: Date): ClaimedOnCommit {
  const expiresAt = new Date(at.getTime() + leaseMs);
  const owner = leaseToken(instance, ids);
  return {
    intent: {
      orderId: order.id, venue: order.venue, attempts: 1, nextAttemptAt: at, leaseOwner: owner, leaseExpiresAt: expiresAt,
      inDoubt: false, lastError: null, createdAt: at, updatedAt: at,
    },
    write: { kind: 'create', orderId: order.id, venue: order.venue, at, attempts: 1, lease: { owner, expiresAt } },
    audit: executionAudit(ids, order, { kind: 'execution_started', attempt: 1, venue: order.venue }, at),
  };
}

export interface RetryPolicy {
  /** Submits sent before the order is left in doubt for lookups to settle. */
  readonly maxAttempts: number;
  /** The wait after attempt n is baseDelayMs · 2^(n−1), plus jitter. */
  readonly baseDelayMs: number;
  /** Jitter: up to this fraction of the wait is added, at random. */
  readonly jitterRatio: number;
  /** No wait (a lookup after the attempts are spent, a venue that stays down) grows past this. */
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 1_000, jitterRatio: 0.2, maxDelayMs: 60_000 };

/** The wait after attempt `attempt` (1-based); `random` returns [0, 1). Bounded by maxDelayMs plus its jitter. */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: () => number): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  const wait = Math.min(policy.baseDelayMs * 2 ** exponent, policy.maxDelayMs);
  return Math.round(wait + wait * policy.jitterRatio * random());
}

/** What an attempt records in the audit trail. */
export type ExecutionRecord =
  | { readonly kind: 'execution_started'; readonly attempt: number; readonly venue: string }
  | { readonly kind: 'executed'; readonly attempt: number; readonly outcome: 'accepted'; readonly venueOrderId: string }
  | { readonly kind: 'executed'; readonly attempt: number; readonly outcome: 'rejected'; readonly reason: string }
  | { readonly kind: 'execution_failed'; readonly attempt: number; readonly reason: string; readonly retryAt: Date; readonly attemptsLeft: number }
  /** The adapter sent nothing (no session): the attempt started never left, and is given back. */
  | { readonly kind: 'execution_not_sent'; readonly attempt: number; readonly reason: string; readonly retryAt: Date }
  | {
      readonly kind: 'recovered';
      readonly attempt: number;
      /** lookup: the venue was asked; order: the order's own state already held the outcome. */
      readonly via: 'lookup' | 'order';
      /** What was found: the venue's status, `absent`, or the order's status. */
      readonly found: string;
      /** What was done: adopted the venue's state, or closed the order because the venue never had it. */
      readonly resolution: 'adopted' | 'rejected' | 'cancelled' | 'none';
    }
  /** A cancel requested on another instance (the venue's session runs here) was sent to the venue. */
  | { readonly kind: 'cancel_relayed'; readonly attempt: number; readonly outcome: 'requested' | 'rejected'; readonly reason: string | null };

export const EXECUTION_AUDIT_KINDS: readonly string[] = ['execution_started', 'executed', 'execution_failed', 'execution_not_sent', 'recovered', 'cancel_relayed'];

function payloadOf(record: ExecutionRecord): Record<string, unknown> {
  switch (record.kind) {
    case 'execution_started':
      return { attempt: record.attempt, venue: record.venue };
    case 'executed':
      return record.outcome === 'accepted'
        ? { attempt: record.attempt, outcome: 'accepted', venue_order_id: record.venueOrderId }
        : { attempt: record.attempt, outcome: 'rejected', reason: record.reason };
    case 'execution_failed':
      return { attempt: record.attempt, reason: record.reason, retry_at: record.retryAt.toISOString(), attempts_left: record.attemptsLeft, in_doubt: true };
    case 'execution_not_sent':
      return { attempt: record.attempt, reason: record.reason, retry_at: record.retryAt.toISOString(), sent: false };
    case 'recovered':
      return { attempt: record.attempt, via: record.via, found: record.found, resolution: record.resolution };
    case 'cancel_relayed':
      return { attempt: record.attempt, outcome: record.outcome, reason: record.reason };
  }
}

export function executionAudit(ids: Ids, order: Order, record: ExecutionRecord, at: Date): AuditEntry {
  return { id: ids.next(), orderId: order.id, traderId: order.traderId, kind: record.kind, payload: JSON.stringify(payloadOf(record)), at };
}

/** A change that leaves the order row as it is: only audit entries and intent writes. */
export function bookkeeping(order: Order, audit: readonly AuditEntry[], intents: readonly DispatchIntentWrite[]): OrderChange {
  return { order, expectedVersion: order.version, newFills: [], audit, stream: [], idempotency: null, intents };
}
