/**
 * When the disk fails an fsync, the SQLite store stops: nothing more is committed or read on
 * top of what the disk may have lost, whichever connection found out (the event loop's writer
 * here; the commit thread's own I/O errors latch the same way, see commitWorker.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { v7 as uuidv7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import { D } from '../../../domain/money.ts';
import { StoreUnavailable, type OrderStore } from '../../../ports/store.ts';
import { newTraderId, pendingOrder, submission } from '../contract/fixtures.ts';
import { openSqliteStore } from './sqliteStore.ts';

type Fsync = (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => void;

const opened: Array<{ store: OrderStore; dir: string }> = [];

afterEach(async () => {
  for (const { store, dir } of opened.splice(0)) {
    await store.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A store whose event-loop fsyncs fail once `failNext` is set; `during` runs while the failing one is under way. */
async function storeWithFailingDisk() {
  const dir = mkdtempSync(join(tmpdir(), 'ordergate-diskfail-'));
  const file = join(dir, 'ordergate.db');
  const disk = { failNext: false, during: null as null | (() => void) };
  const walFsync: Fsync = (fd, done) => {
    if (!disk.failNext) return void import('node:fs').then(({ fsync }) => fsync(fd, done));
    disk.during?.();
    setTimeout(() => done(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })), 30);
  };
  const store = await openSqliteStore({ file, walFsync });
  opened.push({ store, dir });
  await store.migrate();
  const inFile = (orderId: string) => {
    const raw = new Database(file, { readonly: true });
    try {
      return raw.prepare('SELECT 1 FROM orders WHERE id = ?').get(orderId) !== undefined;
    } finally {
      raw.close();
    }
  };
  return { store, disk, inFile };
}

const control = () => ({ auditId: uuidv7(), actor: 'admin', reason: null, at: new Date() });

describe('SQLite store after a failed fsync', () => {
  it('given the event loop writer found its fsync failing, when an order is committed, then it is refused and not written', async () => {
    const { store, disk, inFile } = await storeWithFailingDisk();
    const trader = newTraderId();
    await store.commit([submission(pendingOrder(trader))]);

    disk.failNext = true;
    await expect(store.accounts.creditCash(trader, new D(100), new D(0), control())).rejects.toBeInstanceOf(StoreUnavailable);

    const later = pendingOrder(trader);
    await expect(store.commit([submission(later)])).rejects.toBeInstanceOf(StoreUnavailable);
    expect(inFile(later.id)).toBe(false);
  });

  it('given a read waiting for an fsync that then fails, then the read fails instead of showing what is not on disk', async () => {
    const { store, disk } = await storeWithFailingDisk();
    const trader = newTraderId();
    await store.commit([submission(pendingOrder(trader))]);
    const before = await store.auditHead();

    let read: Promise<unknown> | null = null;
    disk.during = () => (read = store.auditHead());
    disk.failNext = true;
    await expect(store.accounts.creditCash(trader, new D(100), new D(0), control())).rejects.toBeInstanceOf(StoreUnavailable);

    expect(read).not.toBeNull();
    await expect(read).rejects.toBeInstanceOf(StoreUnavailable);
    expect(before.seq).toBeGreaterThan(0);
  });
});
