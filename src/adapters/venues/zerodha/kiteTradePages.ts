/**
 * Paging Kite's trade book for reconciliation. Kite lists the day's trades in one answer,
 * with neither paging nor a documented order, so the connector pages them itself: by fill time,
 * then trade id, then order id. A cursor names the IST day, the last trade handed out, and how
 * many of the day's trades sorted at or before it when it was made. A trade that shows up later
 * but sorts before the cursor (an earlier fill time from another exchange's clock, a late
 * report) raises that count: the day is then listed again from its start, since the gateway
 * ignores fills it already has, rather than skip the late one. Pure.
 * Invariants: within a day, a cursor only moves forward unless a late trade was found; a page
 * never repeats the trade its cursor names; a cursor of another day, another venue or another
 * format starts from the day's first trade (the book holds nothing older).
 */
import type { KiteTrade } from './kiteWire.ts';

const FORMAT = 'kite1';

interface Position {
  readonly key: string;
  readonly atOrBefore: number;
}

const timestampOf = (trade: KiteTrade) => trade.fill_timestamp ?? '';
const keyOf = (trade: KiteTrade) => `${timestampOf(trade)}|${trade.trade_id}|${trade.order_id}`;

function parse(cursor: string | null, day: string): Position | null {
  const parts = cursor?.split('~') ?? [];
  if (parts.length !== 4 || parts[0] !== FORMAT || parts[1] !== day || !/^[0-9]+$/.test(parts[3]!)) return null;
  return { key: parts[2]!, atOrBefore: Number(parts[3]) };
}

/** Up to `limit` of the day's trades after `cursor`, in order, and the cursor to go on from. */
export function tradesAfter(trades: readonly KiteTrade[], cursor: string | null, limit: number, day: string): { trades: KiteTrade[]; cursor: string } {
  const sorted = [...trades].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const countUpTo = (key: string) => sorted.filter((trade) => keyOf(trade) <= key).length;
  const position = parse(cursor, day);
  const resume = position !== null && countUpTo(position.key) === position.atOrBefore;
  const remaining = resume ? sorted.filter((trade) => keyOf(trade) > position.key) : sorted;
  const page = remaining.slice(0, Math.max(0, limit));
  const last = page.at(-1);
  if (!last) return { trades: [], cursor: cursor ?? `${FORMAT}~${day}~~0` };
  return { trades: page, cursor: `${FORMAT}~${day}~${keyOf(last)}~${countUpTo(keyOf(last))}` };
}
