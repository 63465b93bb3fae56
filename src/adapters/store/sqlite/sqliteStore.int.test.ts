import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { StoreUnavailable, type OrderStore } from '../../../ports/store.ts';
import { describeOrderStoreContract, type MakeStore } from '../contract.ts';
import { newTraderId, pendingOrder, submission } from '../contract/fixtures.ts';
import { openStore } from '../openStore.ts';
import { openSqliteStore } from './sqliteStore.ts';

const makeStore: MakeStore = async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ordergate-sqlite-'));
  const file = join(dataDir, 'ordergate.db');
  const store = await openStore({ dataDir });
  const others: OrderStore[] = [];
  return {
    store,
    openAnother: async () => {
      const other = await openSqliteStore({ file });
      others.push(other);
      return other;
    },
    sql: async (text) => {
      const dba = new Database(file);
      try {
        dba.exec(text);
      } finally {
        dba.close();
      }
    },
    dispose: async () => {
      for (const other of others) await other.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
};

describeOrderStoreContract('SQLite (temp file)', makeStore);

describe('SQLite store specifics', () => {
  it('given a data folder that does not exist, when opened, then the folder and ordergate.db are created in WAL mode', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ordergate-sqlite-'));
    const dataDir = join(root, 'nested', 'data');
    const store = await openStore({ dataDir });
    await store.migrate();
    await store.close();
    const raw = new Database(join(dataDir, 'ordergate.db'), { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("given sqliteFile ':memory:', when used, then it works without touching the data folder", async () => {
    const store = await openStore({ dataDir: '/nonexistent/never-created', sqliteFile: ':memory:' });
    await store.migrate();
    const order = pendingOrder(newTraderId());
    await store.commit([submission(order)]);
    expect((await store.findOrder(order.id))?.id).toBe(order.id);
    await store.close();
  });

  it('given a path that cannot hold a database, when opened, then StoreUnavailable', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ordergate-sqlite-'));
    writeFileSync(join(root, 'not-a-folder'), 'x');
    await expect(openStore({ dataDir: join(root, 'not-a-folder') })).rejects.toBeInstanceOf(StoreUnavailable);
    rmSync(root, { recursive: true, force: true });
  });

  it('given another process holding the write lock, when committing, then StoreUnavailable once busy_timeout passes', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ordergate-sqlite-'));
    const file = join(root, 'ordergate.db');
    const store = await openSqliteStore({ file, busyTimeoutMs: 50 });
    await store.migrate();
    const holder = new Database(file);
    holder.exec('BEGIN IMMEDIATE');
    try {
      await expect(store.commit([submission(pendingOrder(newTraderId()))])).rejects.toBeInstanceOf(StoreUnavailable);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    await store.commit([submission(pendingOrder(newTraderId()))]);
    await store.close();
    rmSync(root, { recursive: true, force: true });
  });
});
