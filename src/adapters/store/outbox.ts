/**
 * The outbox seen from the relay: claiming events that are still unpublished, and marking
 * events published. Invariants:
 * - An event is marked published only after the bus took it, never before; a failed publish
 *   marks nothing, so the event is claimed again later (at least once, never zero times).
 * - PostgreSQL: the claim runs in one transaction holding its rows FOR UPDATE SKIP LOCKED, so
 *   relays on several instances claim disjoint rows and never wait for each other. The claim is
 *   a lease: `idle_in_transaction_session_timeout` makes the server end a claim whose holder
 *   stopped (SIGSTOP, a hung publish), which frees its rows for another instance.
 * - SQLite is one process's store: the claim reads without a transaction, so the write lock is
 *   never held while the bus is called, and marks in a short write transaction afterwards.
 * - Each trader's claimed events are published in seq order.
 */
import { sql, type Kysely } from 'kysely';
import type { OutboxEvent } from '../../ports/bus.ts';
import type { OutboxClaim } from '../../ports/store.ts';
import { streamEventFromRow } from './rows.ts';
import type { StoreSchema } from './schema.ts';

type Db = Kysely<StoreSchema>;

/** Well under both dialects' bound-parameter limits. */
export const IDS_PER_STATEMENT = 1000;

function claimQuery(db: Db, claim: OutboxClaim) {
  const before = new Date(claim.now.getTime() - claim.olderThanMs).toISOString();
  return db
    .selectFrom('outbox')
    .select(['event_id', 'trader_id', 'seq', 'payload'])
    .where('published_at', 'is', null)
    .where('created_at', '<', before)
    .orderBy('created_at')
    .limit(claim.limit);
}

const inPublicationOrder = (events: OutboxEvent[]): OutboxEvent[] =>
  events.sort((a, b) => (a.traderId === b.traderId ? a.seq - b.seq : a.traderId < b.traderId ? -1 : 1));

async function mark(db: Db, eventIds: readonly string[], at: Date): Promise<void> {
  for (let start = 0; start < eventIds.length; start += IDS_PER_STATEMENT) {
    await db
      .updateTable('outbox')
      .set({ published_at: at.toISOString() })
      .where('event_id', 'in', eventIds.slice(start, start + IDS_PER_STATEMENT))
      .execute();
  }
}

export async function markPublished(db: Db, eventIds: readonly string[], at: Date): Promise<void> {
  if (eventIds.length === 0) return;
  await db.transaction().execute((trx) => mark(trx, eventIds, at));
}

export async function relayUnpublished(
  db: Db,
  claim: OutboxClaim,
  publish: (events: OutboxEvent[]) => Promise<void>,
  lockRows: boolean,
): Promise<number> {
  if (!lockRows) {
    const rows = await claimQuery(db, claim).execute();
    if (rows.length === 0) return 0;
    const events = inPublicationOrder(rows.map(streamEventFromRow));
    await publish(events);
    await markPublished(db, events.map((event) => event.id), claim.now);
    return events.length;
  }
  return db.transaction().execute(async (trx) => {
    await sql`SELECT set_config('idle_in_transaction_session_timeout', ${String(Math.max(1, Math.trunc(claim.leaseMs)))}, true)`.execute(trx);
    const rows = await claimQuery(trx, claim).forUpdate().skipLocked().execute();
    if (rows.length === 0) return 0;
    const events = inPublicationOrder(rows.map(streamEventFromRow));
    await publish(events);
    await mark(trx, events.map((event) => event.id), claim.now);
    return events.length;
  });
}
