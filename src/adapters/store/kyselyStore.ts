/**
 * The OrderStore both adapters share: the shared queries and commit body over a Kysely
 * instance, plus the few things a dialect supplies (its migrations, whether commit locks the
 * audit head with FOR UPDATE, and how its driver errors map to StoreConflict/StoreUnavailable).
 * Every write runs in a transaction (even a lone DELETE), so on SQLite all writes take the write
 * lock the same queued way. Every driver error leaves this module classified; anything else
 * (a bug) passes through as is.
 */
import { sql, type Kysely } from 'kysely';
import type { OrderStore } from '../../ports/store.ts';
import { createAccountStore } from './accountsStore.ts';
import { commitBatch } from './commitBatch.ts';
import { createCredentialStore } from './credentialsStore.ts';
import { createExecutionStore } from './executionStore.ts';
import * as outbox from './outbox.ts';
import * as queries from './queries.ts';
import type { StoreSchema } from './schema.ts';
import { withStatements } from './statements.ts';

export interface StoreDialect {
  readonly dialect: OrderStore['dialect'];
  readonly db: Kysely<StoreSchema>;
  /** PostgreSQL: commit locks the audit head FOR UPDATE. SQLite: BEGIN IMMEDIATE already holds the write lock. */
  readonly lockRows: boolean;
  migrate(): Promise<void>;
  /** A driver error as StoreConflict or StoreUnavailable when it is one; otherwise the error itself. */
  classify(error: unknown): unknown;
  /** Runs commit() elsewhere (SQLite's commit thread); by default a transaction on `db`. */
  readonly commit?: OrderStore['commit'];
  /** Marks events published some other way than a transaction on `db` (SQLite: without waiting for an fsync). */
  readonly markPublished?: OrderStore['markPublished'];
  /** Closes what the dialect opened besides `db`. */
  readonly close?: () => Promise<void>;
}

export function createKyselyStore(dialect: StoreDialect): OrderStore {
  const { db } = dialect;
  const run = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw dialect.classify(error);
    }
  };

  return {
    dialect: dialect.dialect,
    accounts: createAccountStore(db, dialect.dialect, run),
    execution: createExecutionStore(db, dialect.lockRows, run),
    credentials: createCredentialStore(db, run),
    migrate: () => run(() => dialect.migrate()),
    commit: (changes) =>
      changes.length === 0
        ? Promise.resolve([])
        : run(() => dialect.commit?.(changes) ?? db.transaction().execute((trx) => withStatements(trx, dialect.dialect, (st) => commitBatch(st, changes)))),

    findOrder: (orderId) => run(() => queries.findOrder(db, orderId)),
    findTraderOrder: (traderId, orderId) => run(() => queries.findTraderOrder(db, traderId, orderId)),
    findTraderOrderByClientId: (traderId, clientOrderId) =>
      run(() => queries.findTraderOrderByClientId(db, traderId, clientOrderId)),
    listTraderOrders: (traderId, filter) => run(() => queries.listTraderOrders(db, traderId, filter)),
    listWorkingOrders: (venue) => run(() => queries.listWorkingOrders(db, venue)),
    countOrdersByStatus: () => run(() => queries.countOrdersByStatus(db)),

    listFills: (orderId) => run(() => queries.listFills(db, orderId)),
    fillExists: (venue, venueFillId) => run(() => queries.fillExists(db, venue, venueFillId)),
    listAudit: (orderId) => run(() => queries.listAudit(db, orderId)),
    auditChain: (afterSeq, limit) => run(() => queries.auditChain(db, afterSeq, limit)),
    auditHead: () => run(() => queries.auditHead(db)),

    findIdempotency: (traderId, key) => run(() => queries.findIdempotency(db, traderId, key)),
    deleteExpiredIdempotency: (now) =>
      run(() => db.transaction().execute((trx) => queries.deleteExpiredIdempotency(trx, now))),
    streamSince: (traderId, afterSeq, limit) => run(() => queries.streamSince(db, traderId, afterSeq, limit)),
    relayUnpublished: (claim, publish) => run(() => outbox.relayUnpublished(db, claim, publish, dialect.lockRows)),
    markPublished: (eventIds, at) => run(() => dialect.markPublished?.(eventIds, at) ?? outbox.markPublished(db, eventIds, at)),

    ping: () => run(async () => void (await sql`select 1`.execute(db))),
    close: async () => {
      await dialect.close?.();
      await db.destroy();
    },
  };
}
