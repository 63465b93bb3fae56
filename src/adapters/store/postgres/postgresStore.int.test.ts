import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { StoreUnavailable, type OrderStore } from '../../../ports/store.ts';
import { describeOrderStoreContract, type MakeStore } from '../contract.ts';
import { newTraderId, pendingOrder, submission } from '../contract/fixtures.ts';
import { openStore } from '../openStore.ts';

const DATABASE_URL = process.env.ORDERGATE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function withClient<T>(schema: string | null, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: DATABASE_URL,
    connectionTimeoutMillis: 3_000,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function unreachableBecause(): Promise<string | null> {
  try {
    await withClient(null, (client) => client.query('SELECT 1'));
    return null;
  } catch (error) {
    return error instanceof Error ? error.message || error.name : String(error);
  }
}

const freshSchema = () => `og_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;

const makeStore: MakeStore = async () => {
  const schema = freshSchema();
  const open = () => openStore({ databaseUrl: DATABASE_URL, dataDir: tmpdir(), pgSchema: schema });
  const store = await open();
  const others: OrderStore[] = [];
  return {
    store,
    openAnother: async () => {
      const other = await open();
      others.push(other);
      return other;
    },
    sql: (text) => withClient(schema, async (client) => void (await client.query(text))),
    dispose: async () => {
      for (const other of others) await other.close();
      await store.close();
      await withClient(null, (client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
    },
  };
};

const unreachable = await unreachableBecause();

if (unreachable === null) {
  describeOrderStoreContract('PostgreSQL (fresh schema per test)', makeStore);

  describe('PostgreSQL store specifics', () => {
    it('given audit rows, when someone TRUNCATEs order_events, then the database refuses', async () => {
      const fixture = await makeStore();
      try {
        await fixture.store.migrate();
        await fixture.store.commit([submission(pendingOrder(newTraderId()))]);
        await expect(fixture.sql('TRUNCATE order_events')).rejects.toThrow(/append-only: TRUNCATE refused/);
        expect((await fixture.store.auditChain(0, 10)).map((row) => row.seq)).toEqual([1]);
      } finally {
        await fixture.dispose();
      }
    });

    it('given two schemas, when each store writes, then neither sees the other', async () => {
      const [one, two] = await Promise.all([makeStore(), makeStore()]);
      try {
        await Promise.all([one.store.migrate(), two.store.migrate()]);
        const order = pendingOrder(newTraderId());
        await one.store.commit([submission(order)]);
        expect(await two.store.findOrder(order.id)).toBeNull();
        expect((await two.store.auditHead()).seq).toBe(0);
      } finally {
        await Promise.all([one.dispose(), two.dispose()]);
      }
    });

    it('given a server that does not answer, when the store is used, then StoreUnavailable', async () => {
      const url = new URL(DATABASE_URL);
      url.port = '1';
      const store = await openStore({ databaseUrl: url.toString(), dataDir: tmpdir(), pgSchema: freshSchema() });
      try {
        await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailable);
        await expect(store.commit([submission(pendingOrder(newTraderId()))])).rejects.toBeInstanceOf(StoreUnavailable);
      } finally {
        await store.close();
      }
    });

    it('given a schema name that is not a plain identifier, when opened, then it is refused', async () => {
      await expect(openStore({ databaseUrl: DATABASE_URL, dataDir: tmpdir(), pgSchema: 'x; DROP TABLE orders' })).rejects.toThrow(/schema/);
    });
  });
} else if (process.env.CI === 'true') {
  describe('PostgreSQL store', () => {
    it('needs a reachable PostgreSQL in CI', () => {
      throw new Error(`PostgreSQL at ${DATABASE_URL} is unreachable (${unreachable}); CI must run the store contract against it`);
    });
  });
} else {
  console.warn(
    `\n⚠️  SKIPPING the PostgreSQL store tests: cannot reach ${DATABASE_URL} (${unreachable}). ` +
      'Start PostgreSQL or set ORDERGATE_TEST_DATABASE_URL; with CI=true this is a failure.\n',
  );
  // Skipped only on a developer machine without PostgreSQL, loudly (above); under CI=true the
  // branch before this one fails instead, so CI always runs the contract on the real server.
  describe.skip('PostgreSQL store (unreachable, skipped)', () => {
    it('runs the OrderStore contract against PostgreSQL', () => {});
  });
}
