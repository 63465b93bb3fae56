/**
 * Statements over a pg connection in pipeline mode, as the PostgreSQL commit uses them
 * (statements.ts): statements go out without waiting for answers, and yet a failure fails
 * every statement after it and settle, the failure reported is the first one, and nothing is
 * sent once a failure is known; and a COMMIT of a transaction that failed is answered ROLLBACK,
 * which sendCommit takes as the failure it is.
 */
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dropSchema, freshSchemaName, POSTGRES_URL, storesToTest } from '../../../../test/support/postgres.ts';
import { StoreUnavailable, type OrderStore } from '../../../ports/store.ts';
import { newTraderId, pendingOrder, submission } from '../contract/fixtures.ts';
import { compileOnly, statementsOver, type Statements } from '../statements.ts';
import { sendCommit } from './commitOutcome.ts';
import { openPostgresStore } from './postgresStore.ts';

const usable = (await storesToTest('pipelinedStatements.int')).includes('postgres');


describe.skipIf(!usable)('Statements pipelined on PostgreSQL', () => {
  let schema: string;
  let client: pg.Client;
  let reader: pg.Client;
  let sent: string[];

  const statements = (): Statements => statementsOver('postgres', compileOnly('postgres'), true, async (sql, parameters) => {
    sent.push(sql);
    const result = await client.query(sql, [...parameters]);
    return { rows: result.rows, changed: BigInt(result.rowCount ?? 0) };
  });
  const stored = async () => (await reader.query<{ id: number }>('SELECT id FROM items ORDER BY id')).rows.map((row) => row.id);

  beforeEach(async () => {
    schema = freshSchemaName();
    const options = { connectionString: POSTGRES_URL, options: `-c search_path=${schema}` };
    client = new pg.Client({ ...options, pipeline: true } as pg.ClientConfig);
    reader = new pg.Client(options);
    await Promise.all([client.connect(), reader.connect()]);
    await reader.query(`CREATE SCHEMA ${schema}`);
    await reader.query('CREATE TABLE items (id integer PRIMARY KEY, note text)');
    sent = [];
  });
  afterEach(async () => {
    await Promise.all([client.end(), reader.end()]);
    await dropSchema(schema);
  });

  it('given writes sent and a read queried after them, then the read sees the writes and COMMIT keeps them', async () => {
    const st = statements();
    st.send('BEGIN', []);
    st.send('INSERT INTO items (id) VALUES ($1)', [1]);
    st.send('INSERT INTO items (id) VALUES ($1)', [2]);
    const { rows } = await st.query<{ n: string }>('SELECT count(*) AS n FROM items', []);
    expect(rows[0]!.n).toBe('2');
    await st.settle();
    await client.query('COMMIT');
    expect(await stored()).toEqual([1, 2]);
  });

  it('given a write that fails mid-batch, then settle throws that failure (not the aborted-transaction errors after it) and nothing is kept', async () => {
    await reader.query('INSERT INTO items (id) VALUES (1)');
    const st = statements();
    st.send('BEGIN', []);
    st.send('INSERT INTO items (id) VALUES ($1)', [2]);
    st.send('INSERT INTO items (id) VALUES ($1)', [1]);
    st.send('INSERT INTO items (id) VALUES ($1)', [3]);
    const failure = await st.settle().then(() => null, (error: unknown) => error);
    expect(failure).toMatchObject({ code: '23505' });
    await client.query('ROLLBACK');
    expect(await stored()).toEqual([1]);
  });

  it('given a read queried after a failed write, then the read rejects with the write failure', async () => {
    await reader.query('INSERT INTO items (id) VALUES (1)');
    const st = statements();
    st.send('BEGIN', []);
    st.send('INSERT INTO items (id) VALUES ($1)', [1]);
    await expect(st.query('SELECT 1', [])).rejects.toMatchObject({ code: '23505' });
    await client.query('ROLLBACK');
  });

  it('given a send whose check fails, then settle throws the check failure, the statements after it fail with it, and nothing is kept', async () => {
    const st = statements();
    st.send('BEGIN', []);
    st.send('INSERT INTO items (id) VALUES ($1)', [1]);
    st.send("UPDATE items SET note = 'x' WHERE id = $1", [99], (changed) => {
      if (changed === 0n) throw new Error('item 99 was not there');
    });
    const after = st.query('SELECT 1', []);
    await expect(st.settle()).rejects.toThrow('item 99 was not there');
    await expect(after).rejects.toThrow('item 99 was not there');
    await client.query('ROLLBACK');
    expect(await stored()).toEqual([]);
  });

  it('given a send whose check passes, then settle resolves and the writes are kept', async () => {
    await reader.query('INSERT INTO items (id) VALUES (1)');
    const st = statements();
    st.send('BEGIN', []);
    st.send("UPDATE items SET note = 'x' WHERE id = $1", [1], (changed) => {
      if (changed === 0n) throw new Error('item 1 was not there');
    });
    st.send('INSERT INTO items (id) VALUES ($1)', [2]);
    await st.settle();
    await client.query('COMMIT');
    expect(await stored()).toEqual([1, 2]);
    expect((await reader.query('SELECT note FROM items WHERE id = 1')).rows[0].note).toBe('x');
  });

  it('given a transaction that failed, when COMMIT is sent, then PostgreSQL answers ROLLBACK and sendCommit fails saying nothing was recorded', async () => {
    // Given a transaction whose write failed (the failure seen, then ignored)
    await reader.query('INSERT INTO items (id) VALUES (1)');
    await client.query('BEGIN');
    await client.query('INSERT INTO items (id) VALUES (2)');
    await expect(client.query('INSERT INTO items (id) VALUES (1)')).rejects.toMatchObject({ code: '23505' });

    // When it is committed, then that is a failure, not a success, and the write before it is gone
    const failure = await sendCommit(client).then(() => null, (error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreUnavailable);
    expect((failure as Error).message).toMatch(/answered COMMIT with ROLLBACK.*NOT recorded/);
    expect(await stored()).toEqual([1]);
  });

  it('given a transaction that did not fail, when sendCommit sends COMMIT, then it resolves and the writes are kept', async () => {
    await client.query('BEGIN');
    await client.query('INSERT INTO items (id) VALUES (1)');
    await sendCommit(client);
    expect(await stored()).toEqual([1]);
  });

  it('given a failure already seen, then statements issued after it are not sent at all', async () => {
    await reader.query('INSERT INTO items (id) VALUES (1)');
    const st = statements();
    st.send('BEGIN', []);
    await expect(st.query('INSERT INTO items (id) VALUES ($1) RETURNING id', [1])).rejects.toMatchObject({ code: '23505' });
    st.send('INSERT INTO items (id) VALUES ($1)', [5]);
    await expect(st.settle()).rejects.toMatchObject({ code: '23505' });
    expect(sent).toEqual(['BEGIN', 'INSERT INTO items (id) VALUES ($1) RETURNING id']);
    await client.query('ROLLBACK');
  });

  it('given a batch abandoned (its work threw), then nothing issued after is sent, and settle throws that error', async () => {
    const st = statements();
    st.send('BEGIN', []);
    await st.abandon(new Error('risk refused'));
    st.send('INSERT INTO items (id) VALUES ($1)', [1]);
    await expect(st.settle()).rejects.toThrow('risk refused');
    expect(sent).toEqual(['BEGIN']);
    await client.query('ROLLBACK');
  });
});

describe.skipIf(!usable)('PostgreSQL commits on prepared statements', () => {
  let schema: string;
  let store: OrderStore;
  beforeEach(async () => {
    schema = freshSchemaName();
    store = await openPostgresStore({ connectionString: POSTGRES_URL, schema });
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    await dropSchema(schema);
  });

  it('given a migration that changes what a prepared commit statement returns, then the next commits carry on (the stale connection is replaced)', async () => {
    const trader = newTraderId();
    await store.commit([submission(pendingOrder(trader))]);
    const admin = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path=${schema}` });
    await admin.connect();
    try {
      // The seq reservation's RETURNING changes type under the prepared statement.
      await admin.query('ALTER TABLE trader_streams ALTER COLUMN last_seq TYPE numeric');
    } finally {
      await admin.end();
    }
    const events = await store.commit([submission(pendingOrder(trader))]);
    expect(events.map((event) => event.seq)).toEqual([2]);
    await store.commit([submission(pendingOrder(trader))]);
    expect((await store.listTraderOrders(trader, { limit: 10, offset: 0 })).total).toBe(3);
  });
});
