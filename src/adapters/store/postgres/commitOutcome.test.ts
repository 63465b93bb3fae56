/**
 * The retry rule of the PostgreSQL commit, by the SQLSTATE of a try's failure. The failures the
 * real server gives are provoked in auditLockOrder.int.test.ts (deadlocks) and
 * pipelinedStatements.int.test.ts (stale prepared statements); here, the bounds and the errors
 * past them, including the ones a test server cannot be made to give on demand (40001 under
 * READ COMMITTED, a session that keeps losing its prepared statements).
 */
import { describe, expect, it } from 'vitest';
import { StoreUnavailable } from '../../../ports/store.ts';
import { ABORTED_RETRIES, retryCommit } from './commitOutcome.ts';

const CONNECTIONS = 3;

/** An attempt that fails with these SQLSTATEs, in turn, then answers 'committed'; counts its tries. */
function failingWith(...codes: string[]) {
  const attempt = async () => {
    attempt.tries += 1;
    const code = codes[attempt.tries - 1];
    if (code === undefined) return 'committed';
    throw Object.assign(new Error(code === '0A000' ? 'cached plan must not change result type' : `failed with ${code}`), { code });
  };
  attempt.tries = 0;
  return attempt;
}

const outcomeOf = (promise: Promise<unknown>) => promise.then((value) => value, (error: unknown) => error);

describe('retryCommit', () => {
  it('given a serialisation failure, then a deadlock, then success, then it commits on the third try', async () => {
    const attempt = failingWith('40001', '40P01');
    expect(await retryCommit(attempt, CONNECTIONS)).toBe('committed');
    expect(attempt.tries).toBe(3);
  });

  it('given deadlocks on every try, then it stops after its retries and says the change was not recorded', async () => {
    const attempt = failingWith(...Array<string>(10).fill('40P01'));
    const error = await outcomeOf(retryCommit(attempt, CONNECTIONS));
    expect(attempt.tries).toBe(1 + ABORTED_RETRIES);
    expect(error).toBeInstanceOf(StoreUnavailable);
    expect((error as Error).message).toMatch(/aborted the commit 4 times \(failed with 40P01\).*NOT recorded/);
    expect((error as Error).cause).toMatchObject({ code: '40P01' });
  });

  it('given stale prepared statements on more connections than the pool has, then it fails as StoreUnavailable saying the change was not recorded', async () => {
    const attempt = failingWith('26000', '0A000', '26000', '26000', '26000');
    const error = await outcomeOf(retryCommit(attempt, CONNECTIONS));
    expect(attempt.tries).toBe(1 + CONNECTIONS);
    expect(error).toBeInstanceOf(StoreUnavailable);
    expect((error as Error).message).toMatch(/stale on 4 connections.*NOT recorded/);
  });

  it('given stale statements and deadlocks mixed, then each is counted against its own bound', async () => {
    const attempt = failingWith('26000', '40P01', '26000', '40P01', '26000', '40P01');
    expect(await retryCommit(attempt, CONNECTIONS)).toBe('committed');
    expect(attempt.tries).toBe(7);
  });

  it('given any other failure (a unique violation, a lost link), then it is not retried and passes on as it is', async () => {
    for (const code of ['23505', '08006', 'ETIMEDOUT']) {
      const attempt = failingWith(code);
      const error = await outcomeOf(retryCommit(attempt, CONNECTIONS));
      expect(attempt.tries).toBe(1);
      expect(error).toMatchObject({ code });
      expect(error).not.toBeInstanceOf(StoreUnavailable);
    }
  });
});
