/**
 * The SQLite driver's own fsync of the WAL: a failure is final for the store (writes and reads
 * refuse with StoreUnavailable), since a later fsync may "succeed" without the lost pages.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreUnavailable } from '../../../ports/store.ts';
import { WalSync } from './writeTransactions.ts';

let dir: string | null = null;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

function walFile(): string {
  dir = mkdtempSync(join(tmpdir(), 'walsync-'));
  const path = join(dir, 'ordergate.db-wal');
  writeFileSync(path, 'frames');
  return path;
}

describe('WalSync', () => {
  it('given a working disk, when flushed, then it resolves and the store stays usable', async () => {
    const wal = new WalSync(walFile());
    await wal.flush();
    expect(wal.failure()).toBeNull();
    wal.close();
  });

  it('given an fsync that fails, then that flush and every later one refuse with StoreUnavailable, and the failure stays', async () => {
    let calls = 0;
    const wal = new WalSync(walFile(), (_fd, done) => {
      calls += 1;
      done(calls === 1 ? Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }) : null);
    });
    await expect(wal.flush()).rejects.toThrow(/could not be synced to disk .*EIO.*restart ordergate/);
    expect(wal.failure()).toBeInstanceOf(StoreUnavailable);
    await expect(wal.flush()).rejects.toBeInstanceOf(StoreUnavailable);
    expect(calls).toBe(1);
    wal.close();
  });
});
