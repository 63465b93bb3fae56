/**
 * Kysely's SQLite dialect as this store needs it: two connections to one file, write
 * transactions that BEGIN IMMEDIATE in a per-file queue, prepared statements reused, and the
 * commit's fsync done off the event loop.
 * - Reads outside a transaction run on their own connection (WAL lets them proceed while a
 *   write transaction is open), so a read never waits behind a whole transaction; it waits
 *   only while a commit's fsync is under way, so it never sees what is not yet on disk.
 * - Transactions, and any statement that writes, run on the writer connection, one at a time:
 *   IMMEDIATE takes the write lock up front, so a transaction never fails half-way upgrading a
 *   read lock, and what it reads at its start (the audit head) cannot change under it.
 * - Durability: the writer runs with synchronous=NORMAL, which in WAL mode keeps every
 *   checkpoint safe but skips the fsync of the WAL at each commit; this driver does that fsync
 *   itself, on libuv's thread pool, before the commit resolves. A commit that resolved has
 *   therefore reached the disk exactly as under synchronous=FULL, but better-sqlite3 (which is
 *   synchronous) no longer blocks the event loop for the length of the fsync. The writer queue is
 *   held until the fsync ends, so whatever a later transaction reads was durable first.
 * - The queue: better-sqlite3 waits for a lock (busy_timeout) synchronously, blocking the event
 *   loop. Were two stores in one process on one file, the one waiting in BEGIN would freeze the
 *   one holding the lock mid-transaction until the timeout. Queuing in JS first means SQLite
 *   never sees contention from this process; busy_timeout only covers other processes.
 * - SQLite rolls a transaction back by itself on some errors (I/O, disk full); ROLLBACK is then
 *   skipped, so the original error is the one reported.
 */
import { closeSync, fstatSync, fsync, openSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { StoreUnavailable } from '../../../ports/store.ts';
import {
  CompiledQuery, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler,
  type DatabaseConnection, type Dialect, type Driver, type Kysely, type QueryResult,
} from 'kysely';

const CACHED_STATEMENTS = 256;

/** Prepared statements of one connection, reused by SQL text (LRU): Kysely would prepare every query afresh. */
export class StatementCache {
  readonly #cache = new Map<string, Database.Statement>();

  constructor(readonly sqlite: Database.Database) {}

  prepare(sql: string): Database.Statement {
    let statement = this.#cache.get(sql);
    if (statement) {
      this.#cache.delete(sql);
    } else {
      statement = this.sqlite.prepare(sql);
      if (this.#cache.size >= CACHED_STATEMENTS) this.#cache.delete(this.#cache.keys().next().value as string);
    }
    this.#cache.set(sql, statement);
    return statement;
  }
}

function run(statements: StatementCache, { sql, parameters }: CompiledQuery): QueryResult<unknown> {
  const statement = statements.prepare(sql);
  if (statement.reader) return { rows: statement.all(parameters as unknown[]) };
  const { changes, lastInsertRowid } = statement.run(parameters as unknown[]);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}

/** A FIFO mutex: acquire() resolves to the function that releases it. */
export class WriterQueue {
  #tail: Promise<void> = Promise.resolve();
  #waiting = 0;

  acquire(): Promise<() => void> {
    let release!: () => void;
    const turn = new Promise<void>((resolveTurn) => (release = resolveTurn));
    this.#waiting += 1;
    const ready = this.#tail.then(() => {
      this.#waiting -= 1;
      return release;
    });
    this.#tail = this.#tail.then(() => turn);
    return ready;
  }

  /** How many acquire() calls are still waiting for their turn. */
  waiting(): number {
    return this.#waiting;
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

/**
 * fsync of the database's WAL file on the thread pool. The file is opened once and reopened if
 * SQLite replaced it (another process's last connection closing deletes it).
 */
export class WalSync {
  #fd: number | null = null;
  #inode = -1;
  #flushing: Promise<void> | null = null;
  #broken: StoreUnavailable | null = null;

  constructor(
    private readonly walPath: string | null,
    private readonly sync: (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => void = fsync,
  ) {}

  /**
   * Once an fsync failed, the store is unusable until a restart: the kernel may have dropped the
   * pages it could not write and a later fsync "succeed" without them, while the commit is
   * already visible. Like PostgreSQL, the only safe answer is to stop and let SQLite recover
   * from what is really on disk.
   */
  failure(): StoreUnavailable | null {
    return this.#broken;
  }

  /**
   * The commit thread's own COMMIT failed to reach the disk: the store is broken exactly as
   * after a failed fsync here (see failure()).
   */
  breakWith(error: StoreUnavailable): void {
    this.#broken ??= error;
  }

  /** Called right after a COMMIT, in the same turn: resolves when that commit is on disk. */
  flush(): Promise<void> {
    if (this.walPath === null) return Promise.resolve();
    if (this.#broken) return Promise.reject(this.#broken);
    const fd = this.#open(this.walPath);
    const flushing = new Promise<void>((done, fail) => this.sync(fd, (error) => {
      if (!error) return done();
      this.#broken = new StoreUnavailable(
        `SQLite's write-ahead log could not be synced to disk (${error.message}); restart ordergate so SQLite recovers from what is on disk`,
        { cause: error });
      fail(this.#broken);
    }));
    this.#flushing = flushing;
    const settled = () => {
      if (this.#flushing === flushing) this.#flushing = null;
    };
    flushing.then(settled, settled);
    return flushing;
  }

  /** Resolves once no commit is waiting for its fsync: what a read then sees is on disk. */
  durable(): Promise<void> | null {
    return this.#flushing?.then(() => undefined, () => undefined) ?? null;
  }

  close(): void {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }

  #open(path: string): number {
    const inode = statSync(path).ino;
    if (this.#fd !== null && inode === this.#inode) return this.#fd;
    this.close();
    this.#fd = openSync(path, 'r+');
    this.#inode = fstatSync(this.#fd).ino;
    return this.#fd;
  }
}

export interface SqliteConnections {
  readonly writer: Database.Database;
  /** The same handle as the writer for ':memory:' databases, which a second connection cannot see. */
  readonly reader: Database.Database;
  readonly queue: WriterQueue;
  readonly wal: WalSync;
}

/** One Kysely connection: reads on the reader until it begins a transaction; then the writer's. */
class RoutedConnection implements DatabaseConnection {
  #inTransaction = false;

  constructor(private readonly driver: RoutedDriver) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const failure = this.driver.wal.failure();
    if (failure) throw failure;
    if (this.#inTransaction) return run(this.driver.writer, compiled) as QueryResult<R>;
    const statement = this.driver.reader.prepare(compiled.sql);
    if (statement.readonly) {
      // Never show what a power cut could still take back: a read waits out a commit's fsync.
      const durable = this.driver.wal.durable();
      if (durable) {
        await durable;
        // The fsync waited for may have failed: what the read would see is then not on disk.
        const failed = this.driver.wal.failure();
        if (failed) throw failed;
      }
      return run(this.driver.reader, compiled) as QueryResult<R>;
    }
    // A lone write outside a transaction: its own write transaction, durable when it resolves.
    await this.begin();
    try {
      const result = run(this.driver.writer, compiled) as QueryResult<R>;
      await this.commit();
      return result;
    } catch (error) {
      await this.rollback();
      throw error;
    }
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not used by this store');
  }

  async begin(): Promise<void> {
    const failure = this.driver.wal.failure();
    if (failure) throw failure;
    const release = await this.driver.queue.acquire();
    try {
      this.driver.writer.sqlite.exec('BEGIN IMMEDIATE');
    } catch (error) {
      release();
      throw error;
    }
    this.#inTransaction = true;
    this.#release = release;
  }

  async commit(): Promise<void> {
    try {
      this.driver.writer.sqlite.exec('COMMIT');
      await this.driver.wal.flush();
    } finally {
      this.#end();
    }
  }

  async rollback(): Promise<void> {
    try {
      if (this.driver.writer.sqlite.inTransaction) this.driver.writer.sqlite.exec('ROLLBACK');
    } finally {
      this.#end();
    }
  }

  #release: (() => void) | undefined;

  #end(): void {
    this.#inTransaction = false;
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
}

class RoutedDriver implements Driver {
  readonly writer: StatementCache;
  readonly reader: StatementCache;
  readonly queue: WriterQueue;
  readonly wal: WalSync;

  constructor(connections: SqliteConnections) {
    this.writer = new StatementCache(connections.writer);
    this.reader = connections.reader === connections.writer ? this.writer : new StatementCache(connections.reader);
    this.queue = connections.queue;
    this.wal = connections.wal;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new RoutedConnection(this);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as RoutedConnection).begin();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as RoutedConnection).commit();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as RoutedConnection).rollback();
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {
    this.wal.close();
    if (this.reader !== this.writer) this.reader.sqlite.close();
    this.writer.sqlite.close();
  }
}

export class RoutedSqliteDialect implements Dialect {
  constructor(private readonly connections: SqliteConnections) {}

  createDriver(): Driver {
    return new RoutedDriver(this.connections);
  }

  createQueryCompiler() {
    return new SqliteQueryCompiler();
  }

  createAdapter() {
    return new SqliteAdapter();
  }

  createIntrospector(db: Kysely<unknown>) {
    return new SqliteIntrospector(db);
  }
}
