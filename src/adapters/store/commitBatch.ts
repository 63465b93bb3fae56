/**
 * The body of commit(): writes a whole batch of order changes inside one transaction that the
 * caller opened, with the same SQL on both dialects. It keeps these invariants:
 * - The audit head is read first and, on PostgreSQL, locked FOR UPDATE (SQLite holds the write
 *   lock from BEGIN IMMEDIATE). Every commit is therefore serialised on it, which is what makes
 *   audit seqs gap-free and the chain linear; a rolled-back batch consumes no seq.
 * - Changes apply in array order: runs of new orders become one multi-row INSERT, and an update
 *   (WHERE id AND version = expectedVersion) is never reordered before an earlier insert, so a
 *   batch may insert an order and then update it.
 * - Per-trader stream seqs come from one upsert of trader_streams (last_seq += n) and are handed
 *   out in array order; the stored payload is JSON with seq as its first key.
 * - An idempotency key whose record expired before the new record's createdAt may be reused;
 *   a live one is a conflict.
 * Conflicts found here throw StoreConflict; the caller's transaction rolls everything back.
 */
import type { Transaction } from 'kysely';
import type { OutboxEvent } from '../../ports/bus.ts';
import { StoreConflict, type IdempotencyRecord, type OrderChange, type StreamEventDraft } from '../../ports/store.ts';
import { applyAccountEffects } from './accountsCommit.ts';
import { chainAuditEntries, type ChainHead } from './auditChain.ts';
import { writeDispatchIntents, writeFillAdjustments } from './executionStore.ts';
import { decimalText } from '../../domain/money.ts';
import { reasonOf } from '../../domain/order/order.ts';
import { auditToRow, fillToRow, idempotencyToRow, orderToRow } from './rows.ts';
import { updateOrder, type Dialect } from './hotStatements.ts';
import type { StoreSchema } from './schema.ts';

type Tx = Transaction<StoreSchema>;

/** Both dialects accept well over this many bound parameters in one statement (SQLite 32766, pg 65535). */
const MAX_PARAMETERS = 30_000;

function* inChunks<T extends object>(rows: readonly T[]): Generator<T[]> {
  if (rows.length === 0) return;
  const perRow = Object.keys(rows[0] as object).length;
  const size = Math.max(1, Math.floor(MAX_PARAMETERS / perRow));
  for (let start = 0; start < rows.length; start += size) yield rows.slice(start, start + size);
}

export async function readAuditHead(db: Tx, lock: boolean): Promise<ChainHead> {
  const head = await db
    .selectFrom('audit_head')
    .select(['seq', 'hash'])
    .where('id', '=', 1)
    .$if(lock, (query) => query.forUpdate())
    .executeTakeFirstOrThrow();
  return { seq: Number(head.seq), hash: head.hash };
}

export async function commitBatch(db: Tx, changes: readonly OrderChange[], dialect: Dialect): Promise<OutboxEvent[]> {
  // PostgreSQL locks what it reads; on SQLite, BEGIN IMMEDIATE already holds the write lock.
  const lockRows = dialect === 'postgres';
  const head = await readAuditHead(db, lockRows);
  await applyAccountEffects(db, changes.flatMap((change) => (change.account ? [change.account] : [])), lockRows);
  await writeOrders(db, changes, dialect);
  await writeDispatchIntents(db, changes.flatMap((change) => change.intents ?? []), dialect);

  const fills = changes.flatMap((change) => change.newFills.map(fillToRow));
  for (const chunk of inChunks(fills)) await db.insertInto('fills').values(chunk).execute();
  await writeFillAdjustments(db, changes.flatMap((change) => change.fillAdjustments ?? []));

  const audit = chainAuditEntries(head, changes.flatMap((change) => change.audit));
  for (const chunk of inChunks(audit.map(auditToRow))) await db.insertInto('order_events').values(chunk).execute();
  const last = audit.at(-1);
  if (last) await db.updateTable('audit_head').set({ seq: last.seq, hash: last.hash }).where('id', '=', 1).execute();

  const events = await appendStream(db, changes.flatMap((change) => change.stream));
  await putIdempotency(db, changes.flatMap((change) => (change.idempotency ? [change.idempotency] : [])));
  return events;
}

async function writeOrders(db: Tx, changes: readonly OrderChange[], dialect: Dialect): Promise<void> {
  let inserts: ReturnType<typeof orderToRow>[] = [];
  const flush = async () => {
    for (const chunk of inChunks(inserts)) await db.insertInto('orders').values(chunk).execute();
    inserts = [];
  };
  for (const { order, expectedVersion } of changes) {
    // The order is unchanged: the change only adds audit entries or intent writes.
    if (expectedVersion === order.version) continue;
    if (expectedVersion === null) {
      inserts.push(orderToRow(order));
      continue;
    }
    await flush();
    const updated = await updateOrder(db, dialect, {
      id: order.id, traderId: order.traderId, status: order.status, venueOrderId: order.venueOrderId,
      filledQuantity: decimalText(order.filledQuantity), filledNotional: decimalText(order.filledNotional), reason: reasonOf(order),
      version: order.version, updatedAt: order.updatedAt.toISOString(),
    }, expectedVersion);
    if (!updated) throw new StoreConflict('order_version', `order ${order.id} is not at version ${expectedVersion}`);
  }
  await flush();
}

export async function appendStream(db: Tx, drafts: readonly StreamEventDraft[]): Promise<OutboxEvent[]> {
  if (drafts.length === 0) return [];
  const counts = new Map<string, number>();
  for (const draft of drafts) counts.set(draft.traderId, (counts.get(draft.traderId) ?? 0) + 1);

  const next = new Map<string, number>();
  const increments = [...counts].map(([trader_id, n]) => ({ trader_id, last_seq: n }));
  for (const chunk of inChunks(increments)) {
    const rows = await db
      .insertInto('trader_streams')
      .values(chunk)
      .onConflict((conflict) =>
        conflict.column('trader_id').doUpdateSet((eb) => ({
          last_seq: eb('trader_streams.last_seq', '+', eb.ref('excluded.last_seq')),
        })),
      )
      .returning(['trader_id', 'last_seq'])
      .execute();
    for (const row of rows) next.set(row.trader_id, Number(row.last_seq) - (counts.get(row.trader_id) ?? 0) + 1);
  }

  const events = drafts.map((draft): OutboxEvent & { at: Date } => {
    if ('seq' in draft.body) throw new Error(`stream event ${draft.id} already has a seq; the store assigns it`);
    const seq = next.get(draft.traderId);
    if (seq === undefined) throw new Error(`no stream seq was reserved for trader ${draft.traderId}`);
    next.set(draft.traderId, seq + 1);
    return { id: draft.id, at: draft.at, traderId: draft.traderId, seq, payload: JSON.stringify({ seq, ...draft.body }) };
  });
  const rows = events.map((event) => ({
    trader_id: event.traderId,
    seq: event.seq,
    event_id: event.id,
    payload: event.payload,
    created_at: event.at.toISOString(),
  }));
  for (const chunk of inChunks(rows)) await db.insertInto('outbox').values(chunk).execute();
  return events.map(({ id, traderId, seq, payload }) => ({ id, traderId, seq, payload }));
}

async function putIdempotency(db: Tx, records: readonly IdempotencyRecord[]): Promise<void> {
  if (records.length === 0) return;
  const seen = new Set<string>();
  for (const record of records) {
    const scope = JSON.stringify([record.traderId, record.key]);
    if (seen.has(scope)) throw new StoreConflict('idempotency_key', `idempotency key ${record.key} is used twice in one batch`);
    seen.add(scope);
  }
  for (const chunk of inChunks(records.map(idempotencyToRow))) {
    const written = await db
      .insertInto('idempotency_keys')
      .values(chunk)
      .onConflict((conflict) =>
        conflict
          .columns(['trader_id', 'key'])
          .doUpdateSet((eb) => ({
            request_hash: eb.ref('excluded.request_hash'),
            status_code: eb.ref('excluded.status_code'),
            body: eb.ref('excluded.body'),
            created_at: eb.ref('excluded.created_at'),
            expires_at: eb.ref('excluded.expires_at'),
          }))
          .whereRef('idempotency_keys.expires_at', '<=', 'excluded.created_at'),
      )
      .returning('key')
      .execute();
    if (written.length !== chunk.length) {
      throw new StoreConflict('idempotency_key', 'an idempotency key in this batch is already in use');
    }
  }
}
