/**
 * Kysely's SQLite dialect as this store needs it: write transactions that BEGIN IMMEDIATE,
 * queued per database file within this process, and prepared statements reused.
 * - IMMEDIATE takes the write lock up front, so a transaction never fails half-way upgrading a
 *   read lock, and what it reads at its start (the audit head) cannot change under it.
 * - The queue: better-sqlite3 waits for a lock (busy_timeout) synchronously, blocking the event
 *   loop. Were two stores in one process on one file, the one waiting in BEGIN would freeze the
 *   one holding the lock mid-transaction until the timeout. Queuing in JS first means SQLite
 *   never sees contention from this process; busy_timeout only covers other processes.
 * - SQLite rolls a transaction back by itself on some errors (I/O, disk full); ROLLBACK is then
 *   skipped, so the original error is the one reported.
 */
import { resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { CompiledQuery, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDatabase } from 'kysely';

const CACHED_STATEMENTS = 256;

/**
 * The database as Kysely's driver sees it, with prepared statements reused by SQL text (LRU).
 * Kysely prepares every query afresh, which costs as much as running a small one; a commit's
 * statements repeat, so reusing them is safe (the driver never holds two runs of one open).
 */
function withStatementCache(sqlite: Database.Database): SqliteDatabase {
  const cache = new Map<string, Database.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql) {
      let statement = cache.get(sql);
      if (statement) {
        cache.delete(sql);
      } else {
        statement = sqlite.prepare(sql);
        if (cache.size >= CACHED_STATEMENTS) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sql, statement);
      return statement;
    },
  };
}

/** A FIFO mutex: acquire() resolves to the function that releases it. */
export class WriterQueue {
  #tail: Promise<void> = Promise.resolve();

  acquire(): Promise<() => void> {
    let release!: () => void;
    const turn = new Promise<void>((resolveTurn) => (release = resolveTurn));
    const ready = this.#tail.then(() => release);
    this.#tail = this.#tail.then(() => turn);
    return ready;
  }
}

const queues = new Map<string, WriterQueue>();

/** The process-wide queue of one database file; ':memory:' databases are private to a connection. */
export function writerQueueFor(file: string): WriterQueue {
  if (file === ':memory:') return new WriterQueue();
  const key = resolve(file);
  let queue = queues.get(key);
  if (!queue) {
    queue = new WriterQueue();
    queues.set(key, queue);
  }
  return queue;
}

class WriteTransactionDriver extends SqliteDriver {
  readonly #sqlite: Database.Database;
  readonly #queue: WriterQueue;
  #release: (() => void) | undefined;

  constructor(sqlite: Database.Database, queue: WriterQueue) {
    super({ database: withStatementCache(sqlite) });
    this.#sqlite = sqlite;
    this.#queue = queue;
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const release = await this.#queue.acquire();
    try {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
      this.#release = release;
    } catch (error) {
      release();
      throw error;
    }
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
    this.#releaseWriter();
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      if (this.#sqlite.inTransaction) await connection.executeQuery(CompiledQuery.raw('rollback'));
    } finally {
      this.#releaseWriter();
    }
  }

  #releaseWriter(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
}

export class WriteTransactionDialect extends SqliteDialect {
  readonly #sqlite: Database.Database;
  readonly #queue: WriterQueue;

  constructor(sqlite: Database.Database, queue: WriterQueue) {
    super({ database: sqlite });
    this.#sqlite = sqlite;
    this.#queue = queue;
  }

  override createDriver(): Driver {
    return new WriteTransactionDriver(this.#sqlite, this.#queue);
  }
}
