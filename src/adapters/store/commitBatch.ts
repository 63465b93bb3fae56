/**
 * The body of commit(): writes a whole batch of order changes inside one transaction that the
 * caller opened, with the same SQL on both dialects. It keeps these invariants:
 * - The audit head is read first and, on PostgreSQL, locked FOR UPDATE (SQLite holds the write
 *   lock from BEGIN IMMEDIATE). Every commit is therefore serialised on it, which is what makes
 *   audit seqs gap-free and the chain linear; a rolled-back batch consumes no seq. First, before
 *   any row: control writes take it first too (controlTransaction.ts), so all writers of the
 *   trail lock in one order and cannot deadlock with each other.
 * - Changes apply in array order: runs of new orders become one multi-row INSERT, and an update
 *   (WHERE id AND version = expectedVersion) is never reordered before an earlier insert, so a
 *   batch may insert an order and then update it.
 * - Per-trader stream seqs come from one upsert of trader_streams (last_seq += n) and are handed
 *   out in array order; the stored payload is JSON with seq as its first key.
 * - An idempotency key whose record expired before the new record's createdAt may be reused;
 *   a live one is a conflict.
 * Conflicts throw StoreConflict, here or when the caller settles `st` (a fenced write that
 * changed no row, a unique key); the caller's transaction then rolls everything back.
 */
import type { OutboxEvent } from '../../ports/bus.ts';
import { StoreConflict, type IdempotencyRecord, type OrderChange, type StreamEventDraft } from '../../ports/store.ts';
import { applyAccountEffects } from './accountsCommit.ts';
import { chainAuditEntries, type ChainHead } from './auditChain.ts';
import { writeDispatchIntents, writeFillAdjustments } from './executionStore.ts';
import { decimalText } from '../../domain/money.ts';
import { reasonOf } from '../../domain/order/order.ts';
import { auditToRow, fillToRow, idempotencyToRow, orderToRow } from './rows.ts';
import { insertReturning, insertRows, shaped, updateOrder } from './hotStatements.ts';
import { ahead, rows, type Statements } from './statements.ts';

export async function readAuditHead(st: Statements, lock: boolean): Promise<ChainHead> {
  const sql = lock ? 'SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE' : 'SELECT seq, hash FROM audit_head WHERE id = 1';
  const [head] = await rows<{ seq: number | string; hash: string }>(st, sql, []);
  if (!head) throw new Error('audit_head has no row: the store was not migrated');
  return { seq: Number(head.seq), hash: head.hash };
}

/**
 * Statements that need no answer are only sent (see Statements), and the reads go out together,
 * so on PostgreSQL a fill's commit takes three round trips (the reads, the writes, COMMIT), not
 * one per statement. The caller settles `st`, then commits.
 */
export async function commitBatch(st: Statements, changes: readonly OrderChange[]): Promise<OutboxEvent[]> {
  // PostgreSQL locks what it reads; on SQLite, BEGIN IMMEDIATE already holds the write lock.
  const lockRows = st.dialect === 'postgres';
  const headRead = ahead(readAuditHead(st, lockRows));
  const drafts = changes.flatMap((change) => change.stream);
  const seqsRead = ahead(reserveSeqs(st, drafts));
  await applyAccountEffects(st, changes.flatMap((change) => (change.account ? [change.account] : [])), lockRows);
  writeOrders(st, changes);
  await writeDispatchIntents(st, changes.flatMap((change) => change.intents ?? []));

  insertRows(st, 'fills', changes.flatMap((change) => change.newFills.map(fillToRow)));
  await writeFillAdjustments(st, changes.flatMap((change) => change.fillAdjustments ?? []));

  appendAudit(st, await headRead, changes.flatMap((change) => change.audit));

  const events = writeOutbox(st, drafts, await seqsRead);
  await putIdempotency(st, changes.flatMap((change) => (change.idempotency ? [change.idempotency] : [])));
  return events;
}

function writeOrders(st: Statements, changes: readonly OrderChange[]): void {
  let inserts: ReturnType<typeof orderToRow>[] = [];
  const flush = () => {
    insertRows(st, 'orders', inserts);
    inserts = [];
  };
  for (const { order, expectedVersion } of changes) {
    // The order is unchanged: the change only adds audit entries or intent writes.
    if (expectedVersion === order.version) continue;
    if (expectedVersion === null) {
      inserts.push(orderToRow(order));
      continue;
    }
    flush();
    updateOrder(st, {
      id: order.id, traderId: order.traderId, status: order.status, venueOrderId: order.venueOrderId,
      filledQuantity: decimalText(order.filledQuantity), filledNotional: decimalText(order.filledNotional), reason: reasonOf(order),
      version: order.version, updatedAt: order.updatedAt.toISOString(),
    }, expectedVersion);
  }
  flush();
}

/** Chains the entries on from `head`, and sends their rows and the head's move; answers the new head. */
export function appendAudit(st: Statements, head: ChainHead, entries: Parameters<typeof chainAuditEntries>[1]): ChainHead {
  const audit = chainAuditEntries(head, entries);
  insertRows(st, 'order_events', audit.map(auditToRow));
  const last = audit.at(-1);
  if (!last) return head;
  st.send(shaped(st.dialect, 'audit head', () => 'UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1'), [last.seq, last.hash]);
  return { seq: last.seq, hash: last.hash };
}

/** Appends stream events for the drafts, with their seqs; the caller settles `st`. */
export async function appendStream(st: Statements, drafts: readonly StreamEventDraft[]): Promise<OutboxEvent[]> {
  return writeOutbox(st, drafts, await reserveSeqs(st, drafts));
}

/** Reserves each trader's next seqs for the drafts (one upsert of trader_streams); answers the first seq per trader. */
async function reserveSeqs(st: Statements, drafts: readonly StreamEventDraft[]): Promise<Map<string, number>> {
  const next = new Map<string, number>();
  if (drafts.length === 0) return next;
  const counts = new Map<string, number>();
  for (const draft of drafts) counts.set(draft.traderId, (counts.get(draft.traderId) ?? 0) + 1);
  const increments = [...counts].map(([trader_id, n]) => ({ trader_id, last_seq: n }));
  const reserved = await insertReturning<{ trader_id: string; last_seq: number | string }>(st, 'trader_streams', increments,
    'ON CONFLICT (trader_id) DO UPDATE SET last_seq = trader_streams.last_seq + excluded.last_seq RETURNING trader_id, last_seq');
  for (const row of reserved) next.set(row.trader_id, Number(row.last_seq) - (counts.get(row.trader_id) ?? 0) + 1);
  return next;
}

/** Sends the outbox rows of the drafts, numbered in array order from `next`. */
function writeOutbox(st: Statements, drafts: readonly StreamEventDraft[], next: Map<string, number>): OutboxEvent[] {
  const events = drafts.map((draft): OutboxEvent & { at: Date } => {
    if ('seq' in draft.body) throw new Error(`stream event ${draft.id} already has a seq; the store assigns it`);
    const seq = next.get(draft.traderId);
    if (seq === undefined) throw new Error(`no stream seq was reserved for trader ${draft.traderId}`);
    next.set(draft.traderId, seq + 1);
    return { id: draft.id, at: draft.at, traderId: draft.traderId, seq, payload: JSON.stringify({ seq, ...draft.body }) };
  });
  insertRows(st, 'outbox', events.map((event) => ({
    trader_id: event.traderId,
    seq: event.seq,
    event_id: event.id,
    payload: event.payload,
    created_at: event.at.toISOString(),
  })));
  return events.map(({ id, traderId, seq, payload }) => ({ id, traderId, seq, payload }));
}

async function putIdempotency(st: Statements, records: readonly IdempotencyRecord[]): Promise<void> {
  if (records.length === 0) return;
  const seen = new Set<string>();
  for (const record of records) {
    const scope = JSON.stringify([record.traderId, record.key]);
    if (seen.has(scope)) throw new StoreConflict('idempotency_key', `idempotency key ${record.key} is used twice in one batch`);
    seen.add(scope);
  }
  // A live key's row is left as it is, and then missing from RETURNING: a conflict.
  const written = await insertReturning(st, 'idempotency_keys', records.map(idempotencyToRow),
    'ON CONFLICT (trader_id, "key") DO UPDATE SET request_hash = excluded.request_hash, status_code = excluded.status_code, body = excluded.body,' +
    ' created_at = excluded.created_at, expires_at = excluded.expires_at WHERE idempotency_keys.expires_at <= excluded.created_at RETURNING "key"');
  if (written.length !== records.length) throw new StoreConflict('idempotency_key', 'an idempotency key in this batch is already in use');
}
