/**
 * How the PostgreSQL commit (pipelinedCommit in postgresStore.ts) reads its outcome, and which
 * failed tries it runs again. A try runs again only when it is known to have committed nothing
 * and another try may succeed:
 * - a prepared statement gone stale (a migration changed a table under it, or the session lost
 *   it): the connection is replaced, at most as many times as the pool has connections;
 * - a transaction the server aborted as a deadlock victim (40P01) or a serialisation failure
 *   (40001): it was rolled back, and whoever it collided with goes on holding its locks, so the
 *   next try waits behind it rather than in a cycle; at most ABORTED_RETRIES times.
 * Past those bounds the failure is StoreUnavailable, and says that nothing was recorded: unlike
 * a lost link, these failures leave no doubt. A COMMIT the server answers with anything but
 * COMMIT (ROLLBACK: the transaction had failed) fails the same way, never as a success.
 * Every other failure passes on as it is, for the caller to classify.
 */
import type pg from 'pg';
import { StoreUnavailable } from '../../../ports/store.ts';

/** A deadlock takes deadlock_timeout (1 s by default) to be found: a few retries, not a wait without end. */
export const ABORTED_RETRIES = 3;

const codeOf = (error: unknown): unknown => (error as { code?: unknown } | null | undefined)?.code;

/**
 * A prepared statement the server no longer takes as it was prepared: a migration changed a
 * table it reads (result columns), or the session lost it. The connection is replaced.
 */
export const stalePrepared = (error: unknown): boolean => {
  const message = (error as { message?: unknown } | null | undefined)?.message;
  return codeOf(error) === '26000' || (codeOf(error) === '0A000' && typeof message === 'string' && message.includes('cached plan'));
};

/** The server aborted the transaction to resolve a conflict with another: it rolled back whole. */
export const abortedByServer = (error: unknown): boolean => codeOf(error) === '40P01' || codeOf(error) === '40001';

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Sends COMMIT and reads its answer. On a transaction that had failed, PostgreSQL answers
 * ROLLBACK without an error (and a pipelined connection reports no error either): that is a
 * commit that did not happen.
 */
export async function sendCommit(client: { query(sql: string, parameters: readonly unknown[]): Promise<pg.QueryResult> }): Promise<void> {
  const answer = await client.query('COMMIT', []);
  if (answer.command !== 'COMMIT') {
    throw new StoreUnavailable(`PostgreSQL answered COMMIT with ${answer.command}: the transaction had failed and was rolled back, so the change was NOT recorded`);
  }
}

/**
 * Runs `attempt` (one try of a commit) until it succeeds, or fails in a way not to retry (see
 * the module header). `connections`: the commit pool's size; each stale try replaces one.
 */
export async function retryCommit<T>(attempt: () => Promise<T>, connections: number): Promise<T> {
  let stale = 0;
  let aborted = 0;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (stalePrepared(error)) {
        stale += 1;
        if (stale <= connections) continue;
        throw new StoreUnavailable(
          `PostgreSQL: the commit's prepared statements were stale on ${stale} connections in a row (${messageOf(error)}); the change was NOT recorded`,
          { cause: error });
      }
      if (abortedByServer(error)) {
        aborted += 1;
        if (aborted <= ABORTED_RETRIES) continue;
        throw new StoreUnavailable(
          `PostgreSQL aborted the commit ${aborted} times (${messageOf(error)}); it was rolled back each time, so the change was NOT recorded`,
          { cause: error });
      }
      throw error;
    }
  }
}
