/**
 * The execution core's part of the store: durable dispatch intents (the promise to send an
 * order to its venue, leased to one executor at a time), venue configurations and routing
 * rules, and the record of reconciliation runs. It lives in the same database as the orders:
 * an intent is created in the order's own transaction, and intent writes ride in OrderChanges.
 * Invariants the store keeps:
 * - At most one intent per order (primary key), so an order is never queued twice.
 * - A claim hands an intent to one owner until its lease expires; on PostgreSQL concurrent
 *   claims skip each other's rows (FOR UPDATE SKIP LOCKED), on SQLite the write lock serialises them.
 * - An `update` or `complete` applies only while the writer still owns the lease (fencing): a
 *   paused instance whose lease was taken over gets StoreConflict('dispatch_lease').
 */
import type { StoredFill } from './store.ts';

export interface DispatchIntent {
  readonly orderId: string;
  readonly venue: string;
  /** Submits started so far. More than 0 means: look the order up at the venue before sending again. */
  readonly attempts: number;
  /** Not claimable before this (backoff after an unknown outcome). */
  readonly nextAttemptAt: Date;
  readonly leaseOwner: string | null;
  readonly leaseExpiresAt: Date | null;
  /** The last attempt's outcome is unknown and no lookup has settled it yet. */
  readonly inDoubt: boolean;
  readonly lastError: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export type DispatchIntentWrite =
  /**
   * A new intent, due at `at`. An intent that already exists for the order is left as it is.
   * With `lease`, it is created already claimed: the instance that commits the order sends it
   * at once (its first attempt is recorded as started in the same transaction).
   */
  | {
      readonly kind: 'create';
      readonly orderId: string;
      readonly venue: string;
      readonly at: Date;
      readonly attempts: number;
      readonly lease?: { readonly owner: string; readonly expiresAt: Date };
    }
  | {
      readonly kind: 'update';
      readonly orderId: string;
      /** Fencing: applies only while this owner holds the lease. */
      readonly owner: string;
      readonly attempts: number;
      readonly nextAttemptAt: Date;
      /** null releases the lease. */
      readonly leaseExpiresAt: Date | null;
      readonly inDoubt: boolean;
      readonly lastError: string | null;
      readonly at: Date;
      /**
       * Fencing on the order too: applies only while the order is still at this version, so a
       * send is never started for an order changed since it was read (a cancel request).
       * StoreConflict('order_version') otherwise.
       */
      readonly orderVersion?: number;
    }
  /** The order's fate is recorded: the intent is done. Fenced like update. */
  | { readonly kind: 'complete'; readonly orderId: string; readonly owner: string }
  /**
   * A cancel was requested before the venue acknowledged the order: an intent waiting out a
   * backoff, with no live lease, is due at `at`, so its next turn settles the order now (looks it
   * up, cancels it there or closes it unsent). Not fenced; a leased or finished intent is left as it is.
   */
  | { readonly kind: 'expedite'; readonly orderId: string; readonly at: Date }
  /**
   * The cancel of an order its venue holds is to be sent by the instance that runs the venue's
   * session (cancelOrder.ts): the intent, new or left from the submit, starts over at 0
   * attempts and not in doubt (the venue has the order: nothing is left to submit), due at
   * `at`; attempt.ts reads 0 attempts on an acked order as "send its cancel". Not fenced; an
   * intent leased now is left as it is.
   */
  | { readonly kind: 'relay_cancel'; readonly orderId: string; readonly at: Date };

export interface DispatchClaim {
  readonly owner: string;
  readonly now: Date;
  readonly leaseMs: number;
  readonly limit: number;
  /** Only intents of these venues (the ones this instance can send to now); absent: any venue. */
  readonly venues?: readonly string[];
}

/**
 * Who runs a venue session that only one instance may run at a time (a FIX session), until when.
 * The holder renews it well before `expiresAt`; another instance takes it over only after.
 */
export interface VenueSessionLease {
  readonly venue: string;
  readonly owner: string;
  /** When this owner took it (kept across renewals). */
  readonly acquiredAt: Date;
  readonly expiresAt: Date;
}

/** Who holds an instance name (ORDERGATE_INSTANCE_ID), as the store has it. */
export interface InstanceName {
  readonly name: string;
  readonly token: string;
  readonly startedAt: Date;
  readonly seenAt: Date;
}

/**
 * Wakes the instance that runs a venue's session when another instance commits an intent for
 * it, so it is claimed now rather than at the next poll. Best effort: the intent is in the
 * store either way, and a lost signal costs one poll interval.
 */
export interface DispatchSignal {
  announce(venue: string): void;
  onAnnounced(listener: (venue: string) => void): () => void;
  close(): Promise<void>;
}

export interface VenueConfig {
  readonly name: string;
  /** Which adapter serves it: `sim`, `sim_http`, or a broker connector's kind. */
  readonly kind: string;
  /** Adapter settings (URLs, timeouts, rate, faults). Never secrets: those are stored encrypted elsewhere. */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly active: boolean;
  readonly updatedAt: Date;
}

/** Routes orders that name no venue. Null matches any symbol (or trader); the most specific rule wins. */
export interface RoutingRule {
  readonly id: string;
  readonly priority: number;
  readonly symbol: string | null;
  readonly traderId: string | null;
  readonly venue: string;
}

/** One difference reconciliation found between the venue and the store, and what it did about it. */
export interface DriftItem {
  readonly kind: string;
  readonly clientOrderId: string;
  readonly detail: string;
}

export interface ReconciliationRun {
  readonly id: string;
  readonly venue: string;
  readonly trigger: 'start' | 'periodic' | 'stream_restored';
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly status: 'ok' | 'failed';
  readonly examined: number;
  /** How many differences were found and corrected (or, for orders unknown here, reported). */
  readonly drift: number;
  /** The first differences, for people; `drift` is the full count. */
  readonly details: readonly DriftItem[];
  /** Where the next run's fillsSince() continues; null when the venue cannot list fills. */
  readonly fillsCursor: string | null;
  readonly error: string | null;
}

/** A stored fill as a bust or correction finds it. */
export interface RecordedFill {
  readonly fill: StoredFill;
  readonly busted: boolean;
}

export interface ExecutionStore {
  /** Leases up to `limit` due intents whose lease is free or expired, oldest due first, of `venues` when given. */
  claimDispatchIntents(claim: DispatchClaim): Promise<DispatchIntent[]>;
  /**
   * Frees every lease this owner holds, under its own name or one of its claims (`owner/…`): a
   * restarted instance with a stable id resumes its own work at once.
   */
  releaseDispatchLeases(owner: string): Promise<number>;
  findDispatchIntent(orderId: string): Promise<DispatchIntent | null>;
  listDispatchIntents(filter: { readonly inDoubt?: boolean; readonly venue?: string; readonly limit: number }): Promise<DispatchIntent[]>;
  /** Of these orders, the ones whose submit outcome is in doubt. */
  inDoubtOrderIds(orderIds: readonly string[]): Promise<Set<string>>;
  countInDoubt(): Promise<number>;

  listVenueConfigs(): Promise<VenueConfig[]>;
  /** Inserts or replaces one venue's configuration. */
  putVenueConfig(config: VenueConfig): Promise<void>;
  listRoutingRules(): Promise<RoutingRule[]>;
  /** Replaces the whole rule set in one transaction. */
  replaceRoutingRules(rules: readonly RoutingRule[]): Promise<void>;

  recordReconciliationRun(run: ReconciliationRun): Promise<void>;
  /** The latest run of each venue. */
  lastReconciliationRuns(): Promise<ReconciliationRun[]>;
  /** The fills cursor of the venue's latest successful run. */
  lastFillsCursor(venue: string): Promise<string | null>;

  /**
   * Takes or renews the lease of a single-session venue for `owner` until now + ttlMs, when it is
   * free, expired or already this owner's; otherwise leaves it. Answers the lease as it stands
   * after, so the caller holds it exactly when `owner` is its own. Atomic across instances.
   */
  acquireVenueSession(request: { readonly venue: string; readonly owner: string; readonly now: Date; readonly ttlMs: number }): Promise<VenueSessionLease>;
  /** Ends the lease if `owner` holds it (a clean stop), so another instance may take it at once. */
  releaseVenueSession(venue: string, owner: string): Promise<void>;
  /** Every single-session venue's lease, expired or not. */
  listVenueSessions(): Promise<VenueSessionLease[]>;

  /**
   * Takes an instance name for the process holding `token` when it is free, already this
   * token's, or not seen since `staleBefore`; else leaves it. Answers the holder after, so the
   * caller has the name exactly when the token is its own. Atomic across instances.
   */
  claimInstanceName(request: { readonly name: string; readonly token: string; readonly now: Date; readonly staleBefore: Date }): Promise<InstanceName>;
  /** Marks the name seen now while `token` holds it; false when another process holds it. */
  touchInstanceName(name: string, token: string, now: Date): Promise<boolean>;
  /** Frees the name if `token` holds it (a clean stop). */
  releaseInstanceName(name: string, token: string): Promise<void>;

  /** The fill a venue names by its id, busted or not; null when it was never recorded. */
  findFill(venue: string, venueFillId: string): Promise<RecordedFill | null>;
  /** Whether this bust or correction message of the venue was already applied. */
  fillAdjustmentSeen(venue: string, adjustmentId: string): Promise<boolean>;
}
