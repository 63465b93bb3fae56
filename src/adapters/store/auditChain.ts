/**
 * The audit trail's hash chain, shared by both store adapters and the verifier.
 * Invariants: seq starts at 1 and has no gaps; row n's prevHash is row n-1's hash (GENESIS_HASH
 * for row 1); hash = sha256(prevHash + canonical text of the row), where the canonical text
 * covers seq, id, order id, trader id, kind, `at` to the millisecond and the payload exactly as
 * stored. Changing any of those, or the order of rows, breaks the chain from that row on.
 */
import { createHash } from 'node:crypto';
import type { AuditEntry, AuditRow } from '../../ports/store.ts';

export const GENESIS_HASH = '0'.repeat(64);

export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/** A JSON array, so no field can bleed into its neighbour (no separator ambiguity). */
export function canonicalAuditText(row: AuditEntry & { readonly seq: number }): string {
  return JSON.stringify([row.seq, row.id, row.orderId, row.traderId, row.kind, row.at.toISOString(), row.payload]);
}

export function auditHash(prevHash: string, row: AuditEntry & { readonly seq: number }): string {
  return createHash('sha256').update(prevHash).update(canonicalAuditText(row)).digest('hex');
}

/** Gives entries the seqs and hashes that follow `head`, in array order. */
export function chainAuditEntries(head: ChainHead, entries: readonly AuditEntry[]): AuditRow[] {
  const rows: AuditRow[] = [];
  let { seq, hash } = head;
  for (const entry of entries) {
    seq += 1;
    const row = { ...entry, seq, prevHash: hash };
    hash = auditHash(hash, row);
    rows.push({ ...row, hash });
  }
  return rows;
}
