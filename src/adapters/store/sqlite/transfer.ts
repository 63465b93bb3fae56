/**
 * What crosses between the event loop and the commit thread (commitThread.ts): order changes
 * one way, stream events or an error the other. Structured clone keeps plain data and Dates
 * but not class instances, so each Decimal is carried as its exact text and made again on the
 * other side, and the store's own errors (StoreConflict, StoreUnavailable, RiskRefused) are
 * carried by name and rebuilt, so callers see exactly what the in-thread store throws.
 */
import { D, type Dec } from '../../../domain/money.ts';
import type { Denial } from '../../../domain/risk/denials.ts';
import { RiskRefused } from '../../../ports/accounts.ts';
import { StoreConflict, StoreUnavailable, type ConflictKind } from '../../../ports/store.ts';

const DECIMAL = '$decimal';

/** A deep copy with every Decimal replaced by `{ $decimal: text }`. */
export function encode(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  if (D.isDecimal(value)) return { [DECIMAL]: (value as Dec).toFixed() };
  if (Array.isArray(value)) return value.map(encode);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = encode((value as Record<string, unknown>)[key]);
  return out;
}

/** encode() undone, in place: the copy came from structured clone and belongs to the receiver. */
export function decode<T>(value: unknown): T {
  if (value === null || typeof value !== 'object' || value instanceof Date) return value as T;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = decode(value[i]);
    return value as T;
  }
  const record = value as Record<string, unknown>;
  const text = record[DECIMAL];
  if (typeof text === 'string') return new D(text) as T;
  for (const key of Object.keys(record)) record[key] = decode(record[key]);
  return record as T;
}

export type TransferredError =
  | { readonly type: 'StoreConflict'; readonly kind: ConflictKind; readonly message: string }
  | { readonly type: 'StoreUnavailable'; readonly message: string }
  | { readonly type: 'RiskRefused'; readonly orderId: string; readonly denial: unknown }
  | { readonly type: 'Error'; readonly message: string; readonly stack: string | undefined };

export function errorToTransfer(error: unknown): TransferredError {
  if (error instanceof StoreConflict) return { type: 'StoreConflict', kind: error.kind, message: error.message };
  if (error instanceof StoreUnavailable) return { type: 'StoreUnavailable', message: error.message };
  if (error instanceof RiskRefused) return { type: 'RiskRefused', orderId: error.orderId, denial: encode(error.denial) };
  const e = error instanceof Error ? error : new Error(String(error));
  return { type: 'Error', message: e.message, stack: e.stack };
}

export function errorFromTransfer(error: TransferredError): Error {
  switch (error.type) {
    case 'StoreConflict':
      return new StoreConflict(error.kind, error.message);
    case 'StoreUnavailable':
      return new StoreUnavailable(error.message);
    case 'RiskRefused':
      return new RiskRefused(error.orderId, decode<Denial>(error.denial));
    case 'Error': {
      const rebuilt = new Error(`commit thread: ${error.message}`);
      if (error.stack) rebuilt.stack = `${rebuilt.message}\n${error.stack}`;
      return rebuilt;
    }
  }
}
