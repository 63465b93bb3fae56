/**
 * The embedded store: one SQLite file (WAL) through better-sqlite3, queried with Kysely, on
 * three connections. Every write but the relay's published marks (markPublishedLazily) is
 * durable (the WAL fsynced) before it resolves, so a 201 sent
 * after commit() means the order survives a power cut, not just a crash; no fsync blocks the
 * event loop:
 * - Order commits (commit()) run on the commit thread's own connection, synchronous=FULL: its
 *   COMMIT fsyncs, on the thread (commitThread.ts, commitWorker.ts).
 * - Every other write (claims, settings, migrations) runs on the event loop's writer connection,
 *   synchronous=NORMAL, and the driver fsyncs the WAL itself on the thread pool before the
 *   transaction resolves (writeTransactions.ts).
 * - Both take the per-file write queue first, so they never contend for SQLite's lock in this
 *   process; another process holding it is waited for up to busy_timeout.
 * - Reads outside a transaction use a query-only connection and never wait for a transaction,
 *   only for an fsync in progress. ':memory:' databases have one connection and commit in process.
 * - A thread of its own copies the WAL into the database file (checkpointThread.ts), so no
 *   commit pays for a checkpoint.
 * Unique violations map to StoreConflict by the columns SQLite names; I/O, lock and open
 * failures map to StoreUnavailable.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely } from 'kysely';
import { StoreConflict, StoreUnavailable, type ConflictKind, type OrderStore } from '../../../ports/store.ts';
import { createKyselyStore } from '../kyselyStore.ts';
import { pendingMigrations, readMigrations } from '../migrations.ts';
import type { StoreSchema } from '../schema.ts';
import { CheckpointThread } from './checkpointThread.ts';
import { CommitThread } from './commitThread.ts';
import { placeholders } from '../hotStatements.ts';
import { IDS_PER_STATEMENT } from '../outbox.ts';
import { RoutedSqliteDialect, WalSync, writerQueueFor, type SqliteConnections } from './writeTransactions.ts';

export interface SqliteStoreOptions {
  /** A file path (its folder is created if missing) or ':memory:'. */
  readonly file: string;
  /** How long a writer waits for another process's write lock before StoreUnavailable. */
  readonly busyTimeoutMs?: number;
  /** The event loop writer's WAL fsync (fs.fsync); tests pass a failing one to see the store stop. */
  readonly walFsync?: (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => void;
}

const MIGRATIONS = new URL('./migrations/', import.meta.url);

/** Keyed by the column list in SQLite's "UNIQUE constraint failed: …" message. */
const UNIQUE_KINDS: Readonly<Record<string, ConflictKind>> = {
  'orders.id': 'order_id',
  'orders.trader_id, orders.client_order_id': 'client_order_id',
  'fills.venue, fills.venue_fill_id': 'venue_fill_id',
  'idempotency_keys.trader_id, idempotency_keys.key': 'idempotency_key',
};

const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|NOMEM|PROTOCOL|CORRUPT|NOTADB)/;

export function classifySqliteError(error: unknown): unknown {
  if (!(error instanceof Database.SqliteError)) return error;
  if (error.code === 'SQLITE_CONSTRAINT_UNIQUE' || error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const kind = UNIQUE_KINDS[error.message.replace(/^UNIQUE constraint failed: /, '')];
    return kind ? new StoreConflict(kind, `${kind} already exists`) : error;
  }
  if (UNAVAILABLE.test(error.code)) return new StoreUnavailable(`SQLite: ${error.message}`, { cause: error });
  return error;
}

/**
 * One connection of the store. `committer` is the commit thread's, whose COMMIT fsyncs itself
 * (FULL); the event loop's `writer` leaves that to the driver (NORMAL); the `checkpointer` thread
 * copies the WAL into the database. No connection of a file checkpoints on its own: a checkpoint
 * inside a COMMIT made that commit (and every order waiting on it) several milliseconds late.
 */
export function openDatabase(options: SqliteStoreOptions, role: 'writer' | 'reader' | 'committer' | 'checkpointer'): Database.Database {
  try {
    const memory = options.file === ':memory:';
    if (!memory) mkdirSync(dirname(options.file), { recursive: true });
    const sqlite = new Database(options.file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma(memory || role !== 'writer' ? 'synchronous = FULL' : 'synchronous = NORMAL');
    sqlite.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
    sqlite.pragma('foreign_keys = ON');
    if (role === 'reader') sqlite.pragma('query_only = ON');
    if (!memory) {
      sqlite.pragma('wal_autocheckpoint = 0');
      // The WAL file keeps its largest size after a checkpoint unless told otherwise.
      sqlite.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    }
    return sqlite;
  } catch (error) {
    const classified = classifySqliteError(error);
    if (classified !== error) throw classified;
    throw new StoreUnavailable(`cannot open SQLite database ${options.file}: ${(error as Error).message}`, { cause: error });
  }
}

/** The WAL file exists once a connection has opened the database in WAL mode; its folder entry is made durable once. */
function durableWal(file: string): string {
  const wal = `${file}-wal`;
  if (!existsSync(wal)) throw new StoreUnavailable(`SQLite did not create its write-ahead log ${wal}`);
  const folder = openSync(dirname(file), 'r');
  try {
    fsyncSync(folder);
  } finally {
    closeSync(folder);
  }
  return wal;
}

/**
 * Runs `work` in a BEGIN IMMEDIATE transaction on this connection; rolled back if it throws,
 * reporting the first error. The caller makes sure nothing else uses the connection meanwhile
 * (the write queue, or a thread of its own).
 */
export async function immediately<T>(sqlite: Database.Database, work: () => T | Promise<T>): Promise<T> {
  sqlite.exec('BEGIN IMMEDIATE');
  try {
    const result = await work();
    sqlite.exec('COMMIT');
    return result;
  } catch (error) {
    try {
      if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
    } catch {
      // SQLite rolls back by itself on the errors where ROLLBACK fails.
    }
    throw error;
  }
}

/** Applies pending migrations one file per IMMEDIATE transaction, so concurrent starters queue on the write lock. */
async function migrateSqlite(sqlite: Database.Database): Promise<void> {
  const all = readMigrations(MIGRATIONS);
  for (;;) {
    const applied = await immediately(sqlite, () => {
      sqlite.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT');
      const done = sqlite.prepare('SELECT version FROM schema_migrations').pluck().all() as number[];
      const next = pendingMigrations(all, done)[0];
      if (next) {
        sqlite.exec(next.sql);
        sqlite
          .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(next.version, next.name, new Date().toISOString());
      }
      return next !== undefined;
    });
    if (!applied) return;
  }
}

/**
 * Marks events published without waiting for an fsync. A mark lost to a power cut only makes
 * the relay publish those events again, which subscribers drop by seq; the next order commit
 * (synchronous=FULL) or checkpoint puts it on disk anyway. So the relay's mark, every 100 ms,
 * holds the write queue for its UPDATE alone, and no read or order commit waits out its fsync.
 */
async function markPublishedLazily(connections: SqliteConnections, eventIds: readonly string[], at: Date): Promise<void> {
  if (eventIds.length === 0) return;
  const release = await connections.queue.acquire();
  const { writer } = connections;
  try {
    // Checked once the queue is ours: the writer before us may have just found the disk failing.
    const failure = connections.wal.failure();
    if (failure) throw failure;
    await immediately(writer, () => {
      for (let start = 0; start < eventIds.length; start += IDS_PER_STATEMENT) {
        const ids = eventIds.slice(start, start + IDS_PER_STATEMENT);
        writer.prepare(`UPDATE outbox SET published_at = ? WHERE event_id IN (${placeholders(ids.length)})`).run(at.toISOString(), ...ids);
      }
    });
  } finally {
    release();
  }
}

export async function openSqliteStore(options: SqliteStoreOptions): Promise<OrderStore> {
  const memory = options.file === ':memory:';
  const writer = openDatabase(options, 'writer');
  const reader = memory ? writer : openDatabase(options, 'reader');
  const connections: SqliteConnections = { writer, reader, queue: writerQueueFor(options.file), wal: new WalSync(memory ? null : durableWal(options.file), options.walFsync) };
  const db = new Kysely<StoreSchema>({ dialect: new RoutedSqliteDialect(connections) });
  // Order commits run on their own thread (a ':memory:' database cannot be shared with one).
  const thread = memory ? null : new CommitThread({ file: options.file, busyTimeoutMs: options.busyTimeoutMs ?? 5000 }, connections.queue, connections.wal);
  const checkpoints = memory ? null : new CheckpointThread({ file: options.file, busyTimeoutMs: options.busyTimeoutMs ?? 5000 });
  const migrate = async () => {
    const release = await connections.queue.acquire();
    try {
      await migrateSqlite(writer);
      await connections.wal.flush();
    } finally {
      release();
    }
    await thread?.start();
    checkpoints?.start();
  };
  return createKyselyStore({
    dialect: 'sqlite', db, lockRows: false, migrate, classify: classifySqliteError,
    markPublished: (eventIds, at) => markPublishedLazily(connections, eventIds, at),
    ...(thread ? {
      commit: (changes) => thread.commit(changes),
      close: async () => {
        await checkpoints?.close();
        await thread.close();
      },
    } : {}),
  });
}
