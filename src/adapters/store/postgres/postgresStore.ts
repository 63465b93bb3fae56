/**
 * The PostgreSQL store: a pg Pool queried with Kysely.
 * - `schema` puts every table in that schema (created by migrate() if missing) through each
 *   connection's search_path, so parallel test files and side-by-side deployments stay apart.
 * - migrate() holds a session advisory lock (keyed by schema) while it applies files, one
 *   transaction per file, so several instances starting at once apply each file exactly once.
 * - commit() locks the audit head FOR UPDATE first; all commits serialise on it (see commitBatch).
 *   It runs on a pool of its own whose connections are in pg's pipeline mode: the statements
 *   of a commit that need no answer go out without waiting for the one before, so a fill's
 *   transaction takes three round trips rather than one per statement (statements.ts).
 *   COMMIT goes only once every statement has answered, so a commit that failed by a deadline
 *   left nothing committed, unless its COMMIT's own answer was the one lost.
 * - Control writes lock the audit head before their rows too (controlTransaction.ts): one lock
 *   order for every writer of the audit trail. A commit the server aborts all the same (40P01
 *   deadlock, 40001 serialisation) rolled back, and runs again (commitOutcome.ts); past its
 *   retries it fails as StoreUnavailable saying it was not recorded.
 * - NUMERIC comes back as pg's exact string; int8 (seqs, counts) as a JS number, refusing any
 *   value past 2^53 rather than rounding it.
 * - Every query of the store has a deadline (QUERY_DEADLINE_MS): a cut or hung link would hold it,
 *   and the request waiting on it, for as long as the outage lasts. Past it the query fails as
 *   StoreUnavailable and its connection is dropped, not pooled. A commit answered that way did
 *   not commit unless its COMMIT reached the server before the link failed (the caller's answer
 *   says so). ping() answers within PING_DEADLINE_MS, so health checks stay prompt.
 * Unique violations map to StoreConflict by constraint name; lost or refused connections,
 * shutdowns, resource exhaustion and missed deadlines map to StoreUnavailable.
 */
import { createHash } from 'node:crypto';
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import pg from 'pg';
import { StoreConflict, StoreUnavailable, type ConflictKind, type OrderStore } from '../../../ports/store.ts';
import { commitBatch } from '../commitBatch.ts';
import { createKyselyStore } from '../kyselyStore.ts';
import { pendingMigrations, readMigrations } from '../migrations.ts';
import type { StoreSchema } from '../schema.ts';
import { statementsOver } from '../statements.ts';
import { retryCommit, sendCommit, stalePrepared } from './commitOutcome.ts';
import { PostgresDispatchSignal } from './dispatchSignal.ts';

export interface PostgresStoreOptions {
  readonly connectionString: string;
  /** A lower-case SQL identifier; the store's tables live there instead of the default search_path. */
  readonly schema?: string;
  readonly poolSize?: number;
}

const MIGRATIONS = new URL('./migrations/', import.meta.url);
/** Longer than any transaction of ours takes; shorter than a paused instance may stay paused. */
const IDLE_IN_TRANSACTION_MS = 5_000;
/**
 * Longer than any query of ours takes, including a commit waiting for the audit-head lock that a
 * paused instance holds until IDLE_IN_TRANSACTION_MS ends its session (R5).
 */
const QUERY_DEADLINE_MS = 10_000;
const PING_DEADLINE_MS = 2_000;
/** The commit pool's size: the group committer keeps two batches in flight (groupCommit.ts), and one spare. */
const COMMIT_CONNECTIONS = 3;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const UNIQUE_KINDS: Readonly<Record<string, ConflictKind>> = {
  orders_pkey: 'order_id',
  orders_client_order_id_key: 'client_order_id',
  fills_venue_fill_id_key: 'venue_fill_id',
  idempotency_keys_pkey: 'idempotency_key',
};

/** SQLSTATE classes: 08 connection, 40 rollback (serialisation, deadlock), 53 resources, 57 operator intervention. */
const UNAVAILABLE_SQLSTATE = /^(08|40|53|57)/;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const CONNECTION_LOST = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i;

function isUnavailable(error: unknown): boolean {
  if (error instanceof AggregateError && error.errors.some(isUnavailable)) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || (code.length === 5 && UNAVAILABLE_SQLSTATE.test(code)))) return true;
  return CONNECTION_LOST.test(error.message);
}

/** A pooled client as withDeadlines hands it out: `name` makes the statement a prepared one, parsed once per connection. */
interface DeadlineClient {
  query(sql: string, parameters: readonly unknown[], name?: string): Promise<pg.QueryResult>;
  /** With an error, the connection is closed instead of pooled. */
  release(error?: Error): void;
}

/**
 * The commit's statements are few shapes run over and over: prepared, the server parses each
 * once per connection. Left unnamed: statements without parameters (BEGIN, COMMIT, the audit
 * head's read: cheap to parse, and a COMMIT stays visible on the wire), and big multi-row
 * inserts (a batch under load), which come in many sizes, would each be held by the server for
 * the connection's life, and parse in little time beside their rows.
 */
const PREPARED_MAX_PARAMETERS = 64;
const preparedNames = new Map<string, string>();

/** The name a commit statement is prepared under, or undefined to send it unnamed. */
function prepared(sql: string, parameters: readonly unknown[]): string | undefined {
  if (parameters.length === 0 || parameters.length > PREPARED_MAX_PARAMETERS) return undefined;
  let name = preparedNames.get(sql);
  if (name === undefined) {
    if (preparedNames.size >= 4096) preparedNames.clear();
    name = `og_${createHash('sha1').update(sql).digest('hex').slice(0, 24)}`;
    preparedNames.set(sql, name);
  }
  return name;
}

/** A query that missed its deadline; its code makes it classify as unavailable. */
class QueryDeadlineMissed extends Error {
  readonly code = 'ETIMEDOUT';
}

/**
 * The pool as Kysely uses it, with a deadline on each query. A connection whose query missed it is
 * broken: later queries on it fail at once (Kysely's ROLLBACK), and on release the pool destroys it.
 */
function withDeadlines(pool: pg.Pool, deadlineMs: number): PostgresPool {
  const clients = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    let broken: QueryDeadlineMissed | null = null;
    // pg writes each protocol message of a query (Parse, Bind, Describe, Execute, Sync) on its
    // own; corked until the end of the tick, the queries sent in one tick leave in one write.
    const socket = (client as unknown as { connection?: { stream?: { cork?(): void; uncork?(): void; destroy?(): void } } }).connection?.stream;
    let corked = false;
    const uncork = () => {
      corked = false;
      socket!.uncork!();
    };
    const query = (sql: string, parameters: readonly unknown[], name?: string) => {
      if (broken) return Promise.reject(broken);
      if (!corked && socket?.cork && socket.uncork) {
        corked = true;
        socket.cork();
        process.nextTick(uncork);
      }
      return new Promise<pg.QueryResult>((resolve, reject) => {
        const timer = setTimeout(() => {
          broken = new QueryDeadlineMissed(`PostgreSQL did not answer within ${deadlineMs} ms`);
          reject(broken);
          // Closed now, not when released (pg's end() of a pipelined connection waits for answers
          // that may never come): the server rolls the open transaction back.
          socket?.destroy?.();
        }, deadlineMs);
        (name ? client.query({ name, text: sql, values: [...parameters] }) : client.query(sql, [...parameters])).then(
          (result) => {
            clearTimeout(timer);
            resolve(result);
          },
          (error: unknown) => {
            clearTimeout(timer);
            reject(error);
          },
        );
      });
    };
    return { query, release: (error?: Error) => client.release(broken ?? error) } as unknown as PostgresPoolClient;
  };
  return {
    async connect() {
      const client = await pool.connect();
      let wrapped = clients.get(client);
      if (!wrapped) clients.set(client, (wrapped = wrap(client)));
      return wrapped;
    },
    end: () => pool.end(),
  };
}

function withinDeadline(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailable(`PostgreSQL did not answer a ping within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

export function classifyPostgresError(error: unknown): unknown {
  if (error instanceof StoreConflict || error instanceof StoreUnavailable) return error;
  const { code, constraint } = (error ?? {}) as { code?: unknown; constraint?: unknown };
  if (code === '23505') {
    const kind = typeof constraint === 'string' ? UNIQUE_KINDS[constraint] : undefined;
    return kind ? new StoreConflict(kind, `${kind} already exists`) : error;
  }
  if (isUnavailable(error)) return new StoreUnavailable(`PostgreSQL: ${(error as Error).message}`, { cause: error });
  return error;
}

function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`int8 ${text} does not fit a JS number exactly`);
  return value;
}

const typeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? parseInt8 : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/** A signed 64-bit advisory lock key derived from a name, as a decimal string for ::bigint. */
function advisoryKey(name: string): string {
  return createHash('sha256').update(name).digest().readBigInt64BE(0).toString();
}

async function migratePostgres(pool: pg.Pool, schema: string | undefined): Promise<void> {
  const all = readMigrations(MIGRATIONS);
  const key = advisoryKey(`ordergate:migrate:${schema ?? '(search_path)'}`);
  const client = await pool.connect();
  let failure: unknown;
  try {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [key]);
    try {
      if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const applied = (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((row) => row.version);
      for (const migration of pendingMigrations(all, applied)) {
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
    }
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    // A client that failed is dropped rather than pooled: it may be mid-transaction or broken.
    client.release(failure instanceof Error ? failure : undefined);
  }
}

function openPool(options: PostgresStoreOptions, max: number, pipeline: boolean): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max,
    connectionTimeoutMillis: 5_000,
    application_name: 'ordergate',
    types: typeParsers,
    pipeline,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  } as pg.PoolConfig);
  // An idle client losing its server emits here; without a listener that would crash the
  // process. The next query on the pool fails and surfaces as StoreUnavailable instead.
  pool.on('error', () => {});
  // A client in use whose server ends the session (a lease ended by idle_in_transaction_session_timeout,
  // a restart) emits 'error' too, and the pool only listens while a client is idle. Its query
  // fails with the error already, and the pool drops it on release as no longer queryable.
  pool.on('connect', (client) => {
    client.on('error', () => {});
    // Every commit locks the audit head: an instance paused or hung mid-transaction would stall
    // every other one. The server ends such a session instead, and its work rolls back (R5).
    client.query(`SET idle_in_transaction_session_timeout = ${IDLE_IN_TRANSACTION_MS}`).catch(() => {});
  });
  return pool;
}

/**
 * commit() on a pipelined connection: BEGIN, the batch (commitBatch, its statements pipelined),
 * then COMMIT once every statement has answered and passed its check, and never before: a
 * COMMIT already on the wire would commit a batch whose late answer made it count as failed.
 * Anything failing rolls the whole batch back, and a COMMIT answered ROLLBACK is a failure.
 * A batch that is known not to have committed (prepared statements gone stale: the connection
 * is replaced; a deadlock or serialisation failure) runs again, a bounded number of times
 * (commitOutcome.ts).
 */
function pipelinedCommit(pool: PostgresPool, db: Kysely<StoreSchema>): OrderStore['commit'] {
  const once = async (changes: Parameters<OrderStore['commit']>[0]) => {
    const client = (await pool.connect()) as unknown as DeadlineClient;
    const st = statementsOver('postgres', db, true, async (sql, parameters) => {
      const result = await client.query(sql, parameters, prepared(sql, parameters));
      return { rows: result.rows, changed: BigInt(result.rowCount ?? 0) };
    });
    let failure: Error | undefined;
    try {
      st.send('BEGIN', []);
      const events = await commitBatch(st, changes);
      await st.settle();
      await sendCommit(client);
      return events;
    } catch (error) {
      await st.abandon(error);
      await client.query('ROLLBACK', []).catch(() => {});
      if (stalePrepared(error)) failure = error as Error;
      throw error;
    } finally {
      client.release(failure);
    }
  };
  return (changes) => retryCommit(() => once(changes), COMMIT_CONNECTIONS);
}

export async function openPostgresStore(options: PostgresStoreOptions): Promise<OrderStore> {
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new Error(`PostgreSQL schema must match ${SCHEMA_NAME}: ${JSON.stringify(options.schema)}`);
  }
  const pool = openPool(options, options.poolSize ?? 10, false);
  // Commits serialise on the audit head: more connections than batches in flight would only wait.
  const commitPool = openPool(options, COMMIT_CONNECTIONS, true);
  let commitPoolEnded: Promise<void> | undefined;
  const db = new Kysely<StoreSchema>({ dialect: new PostgresDialect({ pool: withDeadlines(pool, QUERY_DEADLINE_MS) }) });
  const dispatchSignal = new PostgresDispatchSignal(
    { connectionString: options.connectionString, ...(options.schema ? { schema: options.schema } : {}) },
    (text, parameters) => pool.query(text, parameters),
  );
  const store = createKyselyStore({
    dialect: 'postgres',
    db,
    lockRows: true,
    migrate: () => migratePostgres(pool, options.schema),
    classify: classifyPostgresError,
    commit: pipelinedCommit(withDeadlines(commitPool, QUERY_DEADLINE_MS), db),
    close: async () => {
      await dispatchSignal.close();
      await (commitPoolEnded ??= commitPool.end());
    },
  });
  return { ...store, dispatchSignal, ping: () => withinDeadline(store.ping(), PING_DEADLINE_MS) };
}
