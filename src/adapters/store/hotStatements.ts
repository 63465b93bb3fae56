/**
 * The statements every commit runs, written out per dialect and executed as they are: on the
 * commit path, building each one with Kysely cost more than running it (about 0.1 ms a
 * statement on the commit thread, against a few microseconds to run a prepared one; a fill's
 * commit runs some twenty). Everything else keeps using the query builder.
 * They run through Statements, one per transaction, in three forms with the same rules:
 * pipelined on a pg connection (PostgreSQL's commit), immediate on better-sqlite3 (SQLite's
 * commit thread), and one at a time on a Kysely transaction (control writes, ':memory:').
 * Rows handed to insertRows are written column for column as given: every row of a call has
 * the same keys, and no value is undefined (Kysely would silently leave such
 * a column to its default; here it is refused).
 */
import { CompiledQuery, type Compilable, type Kysely, type Transaction } from 'kysely';
import { StoreConflict, type ConflictKind, type OrderStore } from '../../ports/store.ts';
import type { StoreSchema } from './schema.ts';

export type Dialect = OrderStore['dialect'];

/** `?` placeholders as the dialect wants them: SQLite keeps them, PostgreSQL numbers them. */
function both(sql: string): Record<Dialect, string> {
  let n = 0;
  return { sqlite: sql, postgres: sql.replace(/\?/g, () => `$${++n}`) };
}

const UPDATE_ORDER = both(
  'UPDATE orders SET status = ?, venue_order_id = ?, filled_quantity = ?, filled_notional = ?, reason = ?, version = ?, updated_at = ?' +
  ' WHERE id = ? AND trader_id = ? AND version = ?',
);

const COMPLETE_INTENT = both('DELETE FROM dispatch_intents WHERE order_id = ? AND lease_owner = ?');

/** Sends a write that must change a row; the commit fails with `conflict` if it changed none. */
function sendFenced(st: Statements, sql: Record<Dialect, string>, parameters: unknown[], conflict: ConflictKind, detail: string): void {
  st.send(sql[st.dialect], parameters, (changed) => {
    if (changed === 0n) throw new StoreConflict(conflict, detail);
  });
}

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
 * Runs `work` on Statements over a Kysely transaction (SQLite's commit thread, control writes),
 * one statement at a time, and resolves once every statement it sent has answered and passed.
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

/** Statement texts by shape; a batch's sizes repeat, so this stays small, and is cleared if it does not. */
const shapes = new Map<string, Record<Dialect, string>>();

/** `sql` in the dialect's placeholders, built once per shape by `build`. */
export function shaped(dialect: Dialect, shape: string, build: () => string): string {
  let texts = shapes.get(shape);
  if (!texts) {
    if (shapes.size >= 2000) shapes.clear();
    texts = both(build());
    shapes.set(shape, texts);
  }
  return texts[dialect];
}

/** `?, ?, ?` for an IN list of n values. */
export const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

/** Both dialects accept well over this many bound parameters in one statement (SQLite 32766, pg 65535). */
const MAX_PARAMETERS = 30_000;

/** The INSERT statements (text and parameters) that write `values`, within the parameter limit, with `tail` after VALUES. */
function insertStatements(dialect: Dialect, table: string, values: readonly object[], tail: string): Array<[string, unknown[]]> {
  if (values.length === 0) return [];
  const columns = Object.keys(values[0]!);
  const perChunk = Math.max(1, Math.floor(MAX_PARAMETERS / columns.length));
  const statements: Array<[string, unknown[]]> = [];
  for (let start = 0; start < values.length; start += perChunk) {
    const chunk = values.slice(start, start + perChunk);
    const parameters: unknown[] = [];
    for (const row of chunk) {
      const keys = Object.keys(row);
      if (keys.length !== columns.length) throw new Error(`insert into ${table}: rows with different columns (${keys.join(',')} vs ${columns.join(',')})`);
      for (let i = 0; i < columns.length; i++) {
        const value = (row as Record<string, unknown>)[columns[i]!];
        if (value === undefined) throw new Error(`insert into ${table}: no value for ${columns[i]}`);
        parameters.push(value);
      }
    }
    const sql = shaped(dialect, `insert ${table} ${columns.join(',')} ${chunk.length} ${tail}`, () => {
      const row = `(${placeholders(columns.length)})`;
      return `INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${Array.from({ length: chunk.length }, () => row).join(', ')}${tail ? ` ${tail}` : ''}`;
    });
    statements.push([sql, parameters]);
  }
  return statements;
}

/**
 * Sends INSERT INTO `table` of the rows, in as few statements as the parameter limit allows,
 * with `tail` (ON CONFLICT …; no placeholders, no RETURNING) after the VALUES. Nothing waits
 * for the answer (see Statements).
 */
export function insertRows(st: Statements, table: string, values: readonly object[], tail = ''): void {
  if (tail.includes('RETURNING')) throw new Error(`insert into ${table}: RETURNING needs insertReturning`);
  for (const [sql, parameters] of insertStatements(st.dialect, table, values, tail)) st.send(sql, parameters);
}

/** As insertRows, with RETURNING in `tail`: waits for, and answers, the rows it returned. */
export async function insertReturning<R>(st: Statements, table: string, values: readonly object[], tail: string): Promise<R[]> {
  if (!tail.includes('RETURNING')) throw new Error(`insert into ${table}: insertReturning needs RETURNING`);
  const statements = insertStatements(st.dialect, table, values, tail);
  const answers = await Promise.all(statements.map(([sql, parameters]) => rows<R>(st, sql, parameters)));
  return answers.flat();
}

export interface OrderUpdate {
  readonly id: string;
  readonly traderId: string;
  readonly status: string;
  readonly venueOrderId: string | null;
  readonly filledQuantity: string;
  readonly filledNotional: string;
  readonly reason: string | null;
  readonly version: number;
  readonly updatedAt: string;
}

/** Sends the move of an order to its new state; the commit fails with an order_version conflict unless it was still at `expectedVersion`. */
export function updateOrder(st: Statements, update: OrderUpdate, expectedVersion: number): void {
  const { id, traderId, status, venueOrderId, filledQuantity, filledNotional, reason, version, updatedAt } = update;
  sendFenced(st, UPDATE_ORDER, [status, venueOrderId, filledQuantity, filledNotional, reason, version, updatedAt, id, traderId, expectedVersion],
    'order_version', `order ${id} is not at version ${expectedVersion}`);
}

/** Sends the deletion of a finished intent; the commit fails with a dispatch_lease conflict unless `owner` still held its lease. */
export function completeIntent(st: Statements, orderId: string, owner: string): void {
  sendFenced(st, COMPLETE_INTENT, [orderId, owner], 'dispatch_lease', `${owner} no longer holds the dispatch lease of order ${orderId}`);
}
