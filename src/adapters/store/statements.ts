/**
 * Statements: the connection of one open transaction as the commit path uses it (commitBatch
 * and the writes it calls). One set of rules, three forms: pipelined on a pg connection
 * (PostgreSQL's commit), immediate on better-sqlite3 (SQLite's commit thread), and one at a
 * time on a Kysely transaction (control writes, a ':memory:' store). The statements themselves
 * are written out in hotStatements.ts.
 */
import {
  CompiledQuery, DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, SqliteAdapter,
  SqliteIntrospector, SqliteQueryCompiler, type Compilable, type Transaction,
} from 'kysely';
import type { OrderStore } from '../../ports/store.ts';
import type { StoreSchema } from './schema.ts';

export type Dialect = OrderStore['dialect'];

/** A statement's answer: the rows it gave (SELECT, RETURNING) and how many rows it changed. */
export interface Answer<R> {
  readonly rows: R[];
  readonly changed: bigint;
}

/**
 * The connection of one open transaction, as the commit path uses it. Statements run in the
 * order they are issued. `query` waits for its answer; `send` does not, so the statements after
 * it go out at once: on PostgreSQL they share round trips (pipelined on one connection), which
 * is most of a commit's time there. The first statement to fail (or whose `check` throws) fails
 * every statement after it and settle(), so nothing the commit decided after a failure can
 * commit. The owner of the transaction settles before it sends COMMIT, never sooner (a COMMIT
 * already on its way would commit whatever answer was late), and rolls back if settle throws.
 */
export interface Statements {
  readonly dialect: Dialect;
  /** Builds (compiles, never runs) the few statements still written with Kysely; run them with `execute`. */
  readonly build: Kysely<StoreSchema>;
  query<R>(sql: string, parameters: readonly unknown[]): Promise<Answer<R>>;
  /** `check` sees the rows the statement changed, and throws if that is not what the commit needs. */
  send(sql: string, parameters: readonly unknown[], check?: (changed: bigint) => void): void;
  /** Resolves once every statement issued so far has answered and passed its check; throws the first failure. */
  settle(): Promise<void>;
  /** Fails every statement still to be issued or answered with `error`, unless one failed first; resolves once none is outstanding. */
  abandon(error: unknown): Promise<void>;
}

/**
 * The ordering and first-failure rules of Statements over any `execute` of one connection.
 * `pipelined`: statements go out without waiting for the one before (a pg client in pipeline
 * mode answers them in order); otherwise each waits for the previous answer.
 */
export function statementsOver(
  dialect: Dialect, build: Kysely<StoreSchema>, pipelined: boolean,
  execute: (sql: string, parameters: readonly unknown[]) => Promise<Answer<unknown>>,
): Statements {
  let failure: { error: unknown } | null = null;
  let last: Promise<unknown> = Promise.resolve();
  const fail = (error: unknown): never => {
    failure ??= { error };
    throw failure.error;
  };
  const issue = <R>(sql: string, parameters: readonly unknown[], check?: (changed: bigint) => void): Promise<Answer<R>> => {
    const go = () => {
      if (failure) throw failure.error;
      return execute(sql, parameters);
    };
    // Pipelined, the statement goes out now; either way its answer is taken in issue order, so
    // a failure is always recorded before the answers of the statements after it are looked at.
    const sent = pipelined ? new Promise<Answer<unknown>>((resolve) => resolve(go())) : null;
    sent?.catch(() => {});
    const answered = last.then(() => sent ?? go(), () => sent ?? go()).then((answer) => {
      if (failure) throw failure.error;
      try {
        check?.(answer.changed);
      } catch (error) {
        fail(error);
      }
      return answer as Answer<R>;
    }, fail);
    last = answered.catch(() => {});
    return answered;
  };
  return {
    dialect,
    build,
    query: (sql, parameters) => issue(sql, parameters),
    send: (sql, parameters, check) => void issue(sql, parameters, check).catch(() => {}),
    settle: async () => {
      await last;
      if (failure) throw failure.error;
    },
    abandon: async (error) => {
      failure ??= { error };
      await last;
    },
  };
}

/**
 * Statements over a connection that answers as it is called (better-sqlite3 on SQLite's commit
 * thread): each statement runs when issued, with the same first-failure rules as statementsOver
 * and no promise per statement.
 */
export function immediateStatements(
  dialect: Dialect, build: Kysely<StoreSchema>, execute: (sql: string, parameters: readonly unknown[]) => Answer<unknown>,
): Statements {
  let failure: { error: unknown } | null = null;
  const run = (sql: string, parameters: readonly unknown[], check?: (changed: bigint) => void): Answer<unknown> => {
    if (failure) throw failure.error;
    try {
      const answer = execute(sql, parameters);
      check?.(answer.changed);
      return answer;
    } catch (error) {
      failure ??= { error };
      throw failure.error;
    }
  };
  return {
    dialect,
    build,
    query: async <R>(sql: string, parameters: readonly unknown[]) => run(sql, parameters) as Answer<R>,
    send: (sql, parameters, check) => {
      try {
        run(sql, parameters, check);
      } catch {
        // Recorded: settle() and every later statement throw it.
      }
    },
    settle: async () => {
      if (failure) throw failure.error;
    },
    abandon: async (error) => {
      failure ??= { error };
    },
  };
}

/**
 * Runs `work` on Statements over a Kysely transaction (control writes; commits of a ':memory:'
 * store), one statement at a time, and resolves once every statement it sent has answered and
 * passed.
 */
export async function withStatements<T>(trx: Transaction<StoreSchema>, dialect: Dialect, work: (st: Statements) => Promise<T>): Promise<T> {
  const st = statementsOver(dialect, trx, false, async (sql, parameters) => {
    const result = await trx.executeQuery(CompiledQuery.raw(sql, parameters as unknown[]));
    return { rows: result.rows as unknown[], changed: result.numAffectedRows ?? 0n };
  });
  let result: T;
  try {
    result = await work(st);
  } catch (error) {
    // Nothing still queued may run once the transaction is rolled back.
    await st.abandon(error);
    throw error;
  }
  await st.settle();
  return result;
}

/** Runs one statement that answers rows (SELECT, or RETURNING), and waits for them. */
export async function rows<R>(st: Statements, sql: string, parameters: readonly unknown[]): Promise<R[]> {
  return (await st.query<R>(sql, parameters)).rows;
}

/** Runs a statement built with `st.build` and waits for its answer. */
export function execute<R>(st: Statements, statement: Compilable<R>): Promise<Answer<R>> {
  const { sql, parameters } = statement.compile();
  return st.query<R>(sql, parameters);
}

/** Sends a statement built with `st.build`; nothing waits for its answer. */
export function sendBuilt(st: Statements, statement: Compilable<unknown>): void {
  const { sql, parameters } = statement.compile();
  st.send(sql, parameters);
}

/**
 * A read issued now and awaited later, so that it shares its round trip with what is issued
 * meanwhile: its failure still throws where it is awaited, and is not reported as unhandled
 * before that.
 */
export function ahead<T>(read: Promise<T>): Promise<T> {
  read.catch(() => {});
  return read;
}

/** A Kysely that only builds statements for `dialect` (its driver runs none). */
export function compileOnly(dialect: Dialect): Kysely<StoreSchema> {
  const postgres = dialect === 'postgres';
  return new Kysely<StoreSchema>({
    dialect: {
      createAdapter: () => (postgres ? new PostgresAdapter() : new SqliteAdapter()),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => (postgres ? new PostgresIntrospector(db) : new SqliteIntrospector(db)),
      createQueryCompiler: () => (postgres ? new PostgresQueryCompiler() : new SqliteQueryCompiler()),
    },
  });
}
