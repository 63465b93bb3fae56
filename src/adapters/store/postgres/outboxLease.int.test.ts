/**
 * The outbox relay's claims from several instances on one PostgreSQL database: disjoint while
 * they run (FOR UPDATE SKIP LOCKED), and a claim whose holder stops answering is ended by the
 * database after its lease, so another instance publishes its rows.
 */
import { tmpdir } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OutboxEvent } from '../../../ports/bus.ts';
import type { OrderStore } from '../../../ports/store.ts';
import { dropSchema, freshSchemaName, POSTGRES_URL, storesToTest } from '../../../../test/support/postgres.ts';
import { later, newTraderId, pendingOrder, submission } from '../contract/fixtures.ts';
import { openStore } from '../openStore.ts';

const usable = (await storesToTest('outboxLease.int')).includes('postgres');

/** A promise the test settles by hand. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe.skipIf(!usable)('outbox claims on PostgreSQL', () => {
  let schema: string;
  let first: OrderStore;
  let second: OrderStore;
  beforeEach(async () => {
    schema = freshSchemaName();
    first = await openStore({ databaseUrl: POSTGRES_URL, dataDir: tmpdir(), pgSchema: schema });
    second = await openStore({ databaseUrl: POSTGRES_URL, dataDir: tmpdir(), pgSchema: schema });
    await first.migrate();
  });
  afterEach(async () => {
    await first.close();
    await second.close();
    await dropSchema(schema);
  });

  const commitTen = async () => {
    const trader = newTraderId();
    const events: OutboxEvent[] = [];
    for (let i = 0; i < 10; i += 1) events.push(...(await first.commit([submission(pendingOrder(trader))])));
    return events;
  };

  it('given one instance mid-claim, when another claims, then it gets only the other rows, and every event is published exactly once', async () => {
    const committed = await commitTen();
    const published: OutboxEvent[] = [];
    const release = gate();
    const claimed = gate();
    const slow = first.relayUnpublished({ now: later(5_000), olderThanMs: 1_000, limit: 4, leaseMs: 10_000 }, async (events) => {
      claimed.open();
      await release.opened;
      published.push(...events);
    });
    await claimed.opened;
    const other = await second.relayUnpublished({ now: later(5_000), olderThanMs: 1_000, limit: 100, leaseMs: 10_000 }, async (events) => {
      published.push(...events);
    });
    expect(other).toBe(6);
    release.open();
    expect(await slow).toBe(4);
    expect(published.map((event) => event.id).sort()).toEqual(committed.map((event) => event.id).sort());
    expect(await second.relayUnpublished({ now: later(9_000), olderThanMs: 1_000, limit: 100, leaseMs: 10_000 }, async () => {})).toBe(0);
  });

  it('given a claim whose holder stops answering, when its lease passes, then the database ends it and another instance publishes the rows', async () => {
    const committed = await commitTen();
    const claimed = gate();
    const release = gate();
    const stuck = first.relayUnpublished({ now: later(5_000), olderThanMs: 1_000, limit: 100, leaseMs: 300 }, async () => {
      claimed.open();
      await release.opened;
    });
    const stuckOutcome = stuck.then(() => 'marked', () => 'ended by the database');
    await claimed.opened;

    const taken: OutboxEvent[] = [];
    const deadline = Date.now() + 10_000;
    while (taken.length === 0) {
      expect(Date.now()).toBeLessThan(deadline);
      await second.relayUnpublished({ now: later(5_000), olderThanMs: 1_000, limit: 100, leaseMs: 10_000 }, async (events) => {
        taken.push(...events);
      });
      if (taken.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    release.open();
    expect(await stuckOutcome).toBe('ended by the database');
    expect(taken.map((event) => event.id)).toEqual(committed.map((event) => event.id));
  });
});
