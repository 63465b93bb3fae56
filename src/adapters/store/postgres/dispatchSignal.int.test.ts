/**
 * The dispatch signal between stores on one PostgreSQL server (LISTEN/NOTIFY): heard by every
 * store of the same schema, never by one of another schema, and heard again after the
 * listening connection was ended by the server.
 */
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OrderStore } from '../../../ports/store.ts';
import { dropSchema, freshSchemaName, POSTGRES_URL, storesToTest } from '../../../../test/support/postgres.ts';
import { until } from '../../../../test/support/buses.ts';
import { openStore } from '../openStore.ts';

const usable = (await storesToTest('dispatchSignal.int')).includes('postgres');

describe.skipIf(!usable)('dispatch signal on PostgreSQL', () => {
  const schemas: string[] = [];
  const stores: OrderStore[] = [];
  const open = async (schema: string) => {
    const store = await openStore({ databaseUrl: POSTGRES_URL, dataDir: tmpdir(), pgSchema: schema });
    await store.migrate();
    stores.push(store);
    return store;
  };
  const listen = (store: OrderStore) => {
    const heard: string[] = [];
    store.dispatchSignal!.onAnnounced((venue) => heard.push(venue));
    return heard;
  };

  beforeEach(() => {
    schemas.push(freshSchemaName(), freshSchemaName());
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const schema of schemas.splice(0)) await dropSchema(schema);
  });

  it('given stores of two schemas, when one announces a venue, then the stores of its schema hear it and the other schema does not', async () => {
    const [one, two] = schemas as [string, string];
    const sender = await open(one);
    const sameSchema = await open(one);
    const otherSchema = await open(two);
    const heardSame = listen(sameSchema);
    const heardSelf = listen(sender);
    const heardOther = listen(otherSchema);
    // Listening starts in the background: announce until the first is heard.
    await until(async () => {
      sender.dispatchSignal!.announce('warm-up');
      await new Promise((resolve) => setTimeout(resolve, 20));
      return heardSame.includes('warm-up') && heardSelf.includes('warm-up') && heardOther.length === 0;
    }, 'the first announcement heard', 5_000);
    sender.dispatchSignal!.announce('fix-ny');
    await until(() => heardSame.includes('fix-ny') && heardSelf.includes('fix-ny'), 'fix-ny heard in its schema', 5_000);
    otherSchema.dispatchSignal!.announce('fix-ldn');
    await until(() => heardOther.includes('fix-ldn'), 'fix-ldn heard in the other schema', 5_000);
    expect(heardOther).toEqual(['fix-ldn']);
    expect(heardSame).not.toContain('fix-ldn');
  });

  it('given a schema name too long for a channel and two listeners, then one connection listens, each listener hears each announcement once', async () => {
    const schema = `${freshSchemaName()}_${'x'.repeat(38)}`;
    expect(schema).toHaveLength(63);
    schemas.push(schema);
    const store = await open(schema);
    const [first, second] = [listen(store), listen(store)];
    await until(async () => {
      store.dispatchSignal!.announce('warm-up');
      await new Promise((resolve) => setTimeout(resolve, 20));
      return first.includes('warm-up') && second.includes('warm-up');
    }, 'the first announcement heard', 5_000);
    const before = first.length;
    store.dispatchSignal!.announce('fix-long');
    await until(() => first.includes('fix-long') && second.includes('fix-long'), 'fix-long heard', 5_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(first.slice(before).filter((venue) => venue === 'fix-long')).toHaveLength(1);
    expect(second.filter((venue) => venue === 'fix-long')).toHaveLength(1);
    const channel = `ordergate_dispatch.${createHash('sha256').update(schema).digest('hex').slice(0, 40)}`;
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    try {
      const listening = await admin.query(`SELECT pid FROM pg_stat_activity WHERE application_name = 'ordergate-dispatch-signal' AND query = $1`, [`LISTEN "${channel}"`]);
      expect(listening.rowCount).toBe(1);
    } finally {
      await admin.end();
    }
  });

  it('given the listening connection ended by the server, then it listens again and hears later announcements', async () => {
    const [one] = schemas as [string];
    const sender = await open(one);
    const receiver = await open(one);
    const heard = listen(receiver);
    await until(async () => {
      sender.dispatchSignal!.announce('before');
      await new Promise((resolve) => setTimeout(resolve, 20));
      return heard.includes('before');
    }, 'heard before the break', 5_000);
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    try {
      const ended = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ordergate-dispatch-signal'
        AND query ILIKE 'LISTEN%' AND query ILIKE $1`, [`%${one}%`]);
      expect(ended.rowCount).toBeGreaterThanOrEqual(1);
    } finally {
      await admin.end();
    }
    await until(async () => {
      sender.dispatchSignal!.announce('after');
      await new Promise((resolve) => setTimeout(resolve, 50));
      return heard.includes('after');
    }, 'heard after the break', 10_000);
  });
});
