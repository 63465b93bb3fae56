/**
 * The audit verifier: walks the chain in seq order, a page at a time, and names the first row
 * where it breaks. It snapshots the head first and checks rows 1 … head.seq only: rows up to
 * the head were committed together with it and never change, so an honest chain verifies even
 * while the gateway keeps writing. Per row, in order: seq is the next one (else rows are
 * missing), prev_hash is the previous row's hash, hash recomputes from the row's contents; and
 * the row at head.seq carries the head's hash. A row past the head that no commit accounts for
 * (the head, re-read after it, is still behind it) was inserted by hand.
 */
import type { OrderStore } from '../../ports/store.ts';
import { auditHash, GENESIS_HASH } from './auditChain.ts';

export type AuditVerdict =
  | { readonly ok: true; readonly rows: number }
  /** seq: where the chain first breaks; id: the row found there, null when that row is missing. */
  | { readonly ok: false; readonly seq: number; readonly id: string | null; readonly problem: string };

export async function verifyAuditChain(
  store: Pick<OrderStore, 'auditChain' | 'auditHead'>,
  pageSize = 1000,
): Promise<AuditVerdict> {
  const head = await store.auditHead();
  let previous: { seq: number; hash: string; id: string | null } = { seq: 0, hash: GENESIS_HASH, id: null };

  while (previous.seq < head.seq) {
    const page = await store.auditChain(previous.seq, Math.min(pageSize, head.seq - previous.seq));
    if (page.length === 0) break;
    for (const row of page) {
      const expected = previous.seq + 1;
      if (row.seq !== expected) {
        const missing = row.seq - 1 === expected ? `row ${expected} is missing` : `rows ${expected}–${row.seq - 1} are missing`;
        return { ok: false, seq: expected, id: null, problem: `${missing} (the chain resumes at seq ${row.seq}, id ${row.id})` };
      }
      if (row.prevHash !== previous.hash) {
        return { ok: false, seq: row.seq, id: row.id, problem: `prev_hash does not match the hash of seq ${previous.seq}` };
      }
      if (auditHash(row.prevHash, row) !== row.hash) {
        return { ok: false, seq: row.seq, id: row.id, problem: 'hash does not match the row contents (the row was changed)' };
      }
      previous = { seq: row.seq, hash: row.hash, id: row.id };
      if (row.seq === head.seq) break;
    }
  }

  if (previous.seq < head.seq) {
    return { ok: false, seq: previous.seq + 1, id: null, problem: `the head is at seq ${head.seq} but the chain ends at seq ${previous.seq}` };
  }
  if (previous.hash !== head.hash) {
    return { ok: false, seq: head.seq, id: previous.id, problem: `the head's hash does not match the hash of seq ${head.seq}` };
  }
  // Rows past the snapshot are fine if a commit wrote them since; the head, read after them, then covers them.
  const [beyond] = await store.auditChain(head.seq, 1);
  if (beyond && (await store.auditHead()).seq < beyond.seq) {
    return { ok: false, seq: beyond.seq, id: beyond.id, problem: `row ${beyond.seq} lies beyond the head (seq ${head.seq}): it was not written by a commit` };
  }
  return { ok: true, rows: head.seq };
}
