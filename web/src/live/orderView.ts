/**
 * The trader's orders as the page shows them, kept current by the event stream. Pure.
 *
 * Invariants:
 * - Events apply strictly in seq order, each once. One at or below the last applied seq is a
 *   duplicate and changes nothing; one past lastSeq + 1 is a gap and changes nothing either
 *   (the feed then reads again from lastSeq, which the server replays without holes).
 * - An order's status and fill figures come from the stream once the stream has spoken about
 *   it. A resource read over HTTP only adds what the stream lacks (the order's terms), or an
 *   order the stream has not mentioned: it may have been read before an event already applied,
 *   so it must never take a row backwards.
 */
import type { Order, StreamEvent } from '../api/types.ts';

const TERM_FIELDS = ['type', 'time_in_force', 'quantity', 'limit_price', 'stop_price', 'created_at'] as const;
const ROW_FIELDS = [
  'id', 'client_order_id', 'symbol', 'side', 'status', 'filled_quantity', 'average_fill_price', 'reject_reason', 'venue', 'updated_at',
] as const;

/** What the trader asked for; fixed for the life of the order. */
export type OrderTerms = Pick<Order, (typeof TERM_FIELDS)[number]>;

/** What the stream keeps current, and the terms: null for an order first seen in the stream until its resource has been read. */
export type OrderRow = Pick<Order, (typeof ROW_FIELDS)[number]> & { readonly terms: OrderTerms | null };

export interface OrderView {
  /** The seq of the last event applied; the stream resumes after it. */
  readonly lastSeq: number;
  readonly rows: ReadonlyMap<string, OrderRow>;
}

export type ApplyOutcome =
  | { readonly kind: 'applied'; readonly view: OrderView; readonly missingTerms: string | null }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'gap'; readonly expectedSeq: number; readonly receivedSeq: number };

export interface BatchOutcome {
  readonly view: OrderView;
  readonly applied: StreamEvent[];
  readonly duplicates: number;
  /** The first event past a hole; nothing from it on was applied. */
  readonly gap: { readonly expectedSeq: number; readonly receivedSeq: number } | null;
  /** Orders the stream named whose terms the page has not read yet. */
  readonly missingTerms: string[];
}

export const emptyView = (lastSeq = 0): OrderView => ({ lastSeq, rows: new Map() });

export function applyEvent(view: OrderView, event: StreamEvent): ApplyOutcome {
  if (event.seq <= view.lastSeq) return { kind: 'duplicate' };
  if (event.seq !== view.lastSeq + 1) return { kind: 'gap', expectedSeq: view.lastSeq + 1, receivedSeq: event.seq };
  if (event.order_id === undefined || event.status === undefined) {
    return { kind: 'applied', view: { ...view, lastSeq: event.seq }, missingTerms: null };
  }
  const before = view.rows.get(event.order_id);
  const row: OrderRow = {
    id: event.order_id,
    client_order_id: event.client_order_id ?? before?.client_order_id ?? '',
    symbol: event.symbol ?? before?.symbol ?? '',
    side: event.side ?? before?.side ?? 'buy',
    status: event.status,
    filled_quantity: event.total_filled ?? before?.filled_quantity ?? '0',
    average_fill_price: event.average_fill_price !== undefined ? event.average_fill_price : before?.average_fill_price ?? null,
    reject_reason: event.status === 'rejected' ? event.reason ?? before?.reject_reason ?? null : null,
    venue: event.venue ?? before?.venue ?? '',
    updated_at: event.timestamp,
    terms: before?.terms ?? null,
  };
  const rows = new Map(view.rows);
  rows.set(row.id, row);
  return { kind: 'applied', view: { lastSeq: event.seq, rows }, missingTerms: row.terms === null ? row.id : null };
}

/** Applies events in the order given, stopping at the first gap. */
export function applyEvents(view: OrderView, events: readonly StreamEvent[]): BatchOutcome {
  let current = view;
  const applied: StreamEvent[] = [];
  const missing = new Set<string>();
  let duplicates = 0;
  for (const event of events) {
    const outcome = applyEvent(current, event);
    if (outcome.kind === 'duplicate') {
      duplicates += 1;
      continue;
    }
    if (outcome.kind === 'gap') {
      return { view: current, applied, duplicates, gap: { expectedSeq: outcome.expectedSeq, receivedSeq: outcome.receivedSeq }, missingTerms: [...missing] };
    }
    current = outcome.view;
    applied.push(event);
    if (outcome.missingTerms !== null) missing.add(outcome.missingTerms);
  }
  return { view: current, applied, duplicates, gap: null, missingTerms: [...missing] };
}

/**
 * Adds orders read over HTTP (a page of the list, one order's detail). A row the view already
 * has only gains its terms; the rest of it is the stream's.
 */
export function mergeOrders(view: OrderView, orders: readonly Order[]): OrderView {
  let rows: Map<string, OrderRow> | null = null;
  for (const order of orders) {
    const before = (rows ?? view.rows).get(order.id);
    if (before && before.terms !== null) continue;
    rows ??= new Map(view.rows);
    rows.set(order.id, before ? { ...before, terms: termsOf(order) } : rowOf(order));
  }
  return rows === null ? view : { ...view, rows };
}

/** Newest first. Order ids are UUIDv7, which sort by creation time. */
export function rowsNewestFirst(view: OrderView): OrderRow[] {
  return [...view.rows.values()].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

function pick<T, K extends keyof T>(from: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((key) => [key, from[key]])) as Pick<T, K>;
}

const termsOf = (order: Order): OrderTerms => pick(order, TERM_FIELDS);
const rowOf = (order: Order): OrderRow => ({ ...pick(order, ROW_FIELDS), terms: termsOf(order) });
