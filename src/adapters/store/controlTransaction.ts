/**
 * Control transactions: the one way a transaction other than commit() writes the audit trail
 * (a setting, an instrument, cash; accountsStore.ts). Invariant, shared with commit()
 * (commitBatch.ts): a transaction that writes the audit trail takes the audit head before any
 * row, so every writer of the trail locks in one order, audit head then rows, and none holds a
 * row while it waits for the head. Control writes that locked their row first and the head
 * second deadlocked with order commits, which hold the head and then lock the same rows.
 * - On PostgreSQL the head is read FOR UPDATE before `work` runs; on SQLite BEGIN IMMEDIATE
 *   already holds the write lock, and the same read is a plain one.
 * - `work` appends to the trail only through `audit.record`, whose entries chain on from that
 *   head in the order recorded; it never reads the head itself.
 */
import type { Kysely, Transaction } from 'kysely';
import type { ControlMeta, ControlStream } from '../../ports/accounts.ts';
import type { OutboxEvent } from '../../ports/bus.ts';
import { appendAudit, appendStream, readAuditHead } from './commitBatch.ts';
import type { StoreSchema } from './schema.ts';
import { withStatements, type Dialect } from './statements.ts';

/** An audit entry of a control write: `subject` is stored as its order_id, `payload` after actor and reason. */
export interface ControlEntry {
  readonly subject: string;
  readonly traderId: string;
  readonly kind: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

export interface ControlAudit {
  /** Appends the entry to the audit trail, and the stream events to the outbox; answers the events. */
  record(entry: ControlEntry, meta: ControlMeta, stream?: ControlStream | null): Promise<OutboxEvent[]>;
}

export function controlTransaction<T>(
  db: Kysely<StoreSchema>, dialect: Dialect, work: (trx: Transaction<StoreSchema>, audit: ControlAudit) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    let head = await withStatements(trx, dialect, (st) => readAuditHead(st, dialect === 'postgres'));
    const audit: ControlAudit = {
      record: (entry, meta, stream = null) => withStatements(trx, dialect, async (st) => {
        head = appendAudit(st, head, [{
          id: meta.auditId, orderId: entry.subject, traderId: entry.traderId, kind: entry.kind,
          payload: JSON.stringify({ actor: meta.actor, reason: meta.reason, ...entry.payload }), at: meta.at,
        }]);
        if (!stream || stream.traderIds.length === 0) return [];
        return appendStream(st, stream.traderIds.map((t) => ({ id: stream.newId(), traderId: t, body: { ...stream.body, trader_id: t }, at: meta.at })));
      }),
    };
    return work(trx, audit);
  });
}
