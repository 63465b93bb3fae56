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
import { insertRows, rows, run, shaped, updateOrder, type Dialect } from './hotStatements.ts';
import type { StoreSchema } from './schema.ts';

type Tx = Transaction<StoreSchema>;

export async function readAuditHead(db: Tx, lock: boolean): Promise<ChainHead> {
  const sql = lock ? 'SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE' : 'SELECT seq, hash FROM audit_head WHERE id = 1';
  const [head] = await rows<{ seq: number | string; hash: string }>(db, sql, []);
  if (!head) throw new Error('audit_head has no row: the store was not migrated');
  return { seq: Number(head.seq), hash: head.hash };
}

export async function commitBatch(db: Tx, changes: readonly OrderChange[], dialect: Dialect): Promise<OutboxEvent[]> {
  // PostgreSQL locks what it reads; on SQLite, BEGIN IMMEDIATE already holds the write lock.
  const lockRows = dialect === 'postgres';
  const head = await readAuditHead(db, lockRows);
  await applyAccountEffects(db, changes.flatMap((change) => (change.account ? [change.account] : [])), lockRows, dialect);
  await writeOrders(db, changes, dialect);
  await writeDispatchIntents(db, changes.flatMap((change) => change.intents ?? []), dialect);

  await insertRows(db, dialect, 'fills', changes.flatMap((change) => change.newFills.map(fillToRow)));
  await writeFillAdjustments(db, changes.flatMap((change) => change.fillAdjustments ?? []));

  const audit = chainAuditEntries(head, changes.flatMap((change) => change.audit));
  await insertRows(db, dialect, 'order_events', audit.map(auditToRow));
  const last = audit.at(-1);
  if (last) await run(db, shaped(dialect, 'audit head', () => 'UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1'), [last.seq, last.hash]);

  const events = await appendStream(db, changes.flatMap((change) => change.stream), dialect);
  await putIdempotency(db, changes.flatMap((change) => (change.idempotency ? [change.idempotency] : [])), dialect);
  return events;
}

async function writeOrders(db: Tx, changes: readonly OrderChange[], dialect: Dialect): Promise<void> {
  let inserts: ReturnType<typeof orderToRow>[] = [];
  const flush = async () => {
    await insertRows(db, dialect, 'orders', inserts);
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

export async function appendStream(db: Tx, drafts: readonly StreamEventDraft[], dialect: Dialect): Promise<OutboxEvent[]> {
  if (drafts.length === 0) return [];
  const counts = new Map<string, number>();
  for (const draft of drafts) counts.set(draft.traderId, (counts.get(draft.traderId) ?? 0) + 1);

  const next = new Map<string, number>();
  const increments = [...counts].map(([trader_id, n]) => ({ trader_id, last_seq: n }));
  const reserved = await insertRows<{ trader_id: string; last_seq: number | string }>(db, dialect, 'trader_streams', increments,
    'ON CONFLICT (trader_id) DO UPDATE SET last_seq = trader_streams.last_seq + excluded.last_seq RETURNING trader_id, last_seq');
  for (const row of reserved) next.set(row.trader_id, Number(row.last_seq) - (counts.get(row.trader_id) ?? 0) + 1);

  const events = drafts.map((draft): OutboxEvent & { at: Date } => {
    if ('seq' in draft.body) throw new Error(`stream event ${draft.id} already has a seq; the store assigns it`);
    const seq = next.get(draft.traderId);
    if (seq === undefined) throw new Error(`no stream seq was reserved for trader ${draft.traderId}`);
    next.set(draft.traderId, seq + 1);
    return { id: draft.id, at: draft.at, traderId: draft.traderId, seq, payload: JSON.stringify({ seq, ...draft.body }) };
  });
  await insertRows(db, dialect, 'outbox', events.map((event) => ({
    trader_id: event.traderId,
    seq: event.seq,
    event_id: event.id,
    payload: event.payload,
    created_at: event.at.toISOString(),
  })));
  return events.map(({ id, traderId, seq, payload }) => ({ id, traderId, seq, payload }));
}

async function putIdempotency(db: Tx, records: readonly IdempotencyRecord[], dialect: Dialect): Promise<void> {
  if (records.length === 0) return;
  const seen = new Set<string>();
  for (const record of records) {
    const scope = JSON.stringify([record.traderId, record.key]);
    if (seen.has(scope)) throw new StoreConflict('idempotency_key', `idempotency key ${record.key} is used twice in one batch`);
    seen.add(scope);
  }
  // A live key's row is left as it is, and then missing from RETURNING: a conflict.
  const written = await insertRows(db, dialect, 'idempotency_keys', records.map(idempotencyToRow),
    'ON CONFLICT (trader_id, "key") DO UPDATE SET request_hash = excluded.request_hash, status_code = excluded.status_code, body = excluded.body,' +
    ' created_at = excluded.created_at, expires_at = excluded.expires_at WHERE idempotency_keys.expires_at <= excluded.created_at RETURNING "key"');
  if (written.length !== records.length) throw new StoreConflict('idempotency_key', 'an idempotency key in this batch is already in use');
}
