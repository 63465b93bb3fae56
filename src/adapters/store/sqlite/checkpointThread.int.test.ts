/**
 * The embedded store's checkpoint thread: what commits leave in the write-ahead log reaches the
 * database file itself without any commit paying for it. Checked by copying the database file
 * alone (no WAL): the copy holds the committed orders only once they were checkpointed.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { OrderStore } from '../../../ports/store.ts';
import { newTraderId, pendingOrder, submission } from '../contract/fixtures.ts';
import { openSqliteStore } from './sqliteStore.ts';

let dir: string | null = null;
let store: OrderStore | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

/** Orders in a copy of the database file alone, as it would be found without its WAL. */
function ordersInFileAlone(file: string): number {
  const copy = `${file}.copy`;
  copyFileSync(file, copy);
  const db = new Database(copy, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM orders').get() as { n: number }).n;
  } finally {
    db.close();
    rmSync(copy, { force: true });
  }
}

describe('SQLite checkpoint thread', () => {
  it('given committed orders, then the checkpoint thread copies them into the database file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'checkpoint-'));
    const file = join(dir, 'ordergate.db');
    store = await openSqliteStore({ file });
    await store.migrate();
    const orders = Array.from({ length: 50 }, () => pendingOrder(newTraderId()));
    await store.commit(orders.map((order) => submission(order)));

    await expect.poll(() => {
      try {
        return ordersInFileAlone(file);
      } catch {
        return -1; // the copy was taken before the schema itself was checkpointed
      }
    }, { timeout: 10_000, interval: 100 }).toBe(50);
  });
});
