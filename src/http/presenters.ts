/**
 * Domain values rendered as the API's JSON resources (API.md "Order resource", fills, the
 * audit trail). Field order follows API.md so answers read the same everywhere.
 */
import { decimalText, type Dec } from '../domain/money.ts';
import { averageFillPrice, type Order } from '../domain/order/order.ts';
import type { AuditRow, StoredFill } from '../ports/store.ts';

const text = (d: Dec | null) => (d === null ? null : decimalText(d));

/** `inDoubt`: the order's submit outcome is unknown and no lookup has settled it yet (README "Execution"). */
export function orderJson(o: Order, inDoubt = false): Record<string, unknown> {
  return {
    id: o.id,
    client_order_id: o.clientOrderId,
    trader_id: o.traderId,
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    time_in_force: o.timeInForce,
    quantity: decimalText(o.quantity),
    limit_price: text(o.limitPrice),
    stop_price: text(o.stopPrice),
    status: o.status,
    filled_quantity: decimalText(o.filledQuantity),
    average_fill_price: text(averageFillPrice(o)),
    venue: o.venue,
    venue_order_id: o.venueOrderId,
    batch_id: o.batchId,
    reject_reason: o.status === 'rejected' ? o.reason : null,
    in_doubt: inDoubt,
    created_at: o.createdAt.toISOString(),
    updated_at: o.updatedAt.toISOString(),
  };
}

export function fillJson(f: StoredFill): Record<string, unknown> {
  return {
    id: f.id,
    venue_fill_id: f.venueFillId,
    quantity: decimalText(f.quantity),
    price: decimalText(f.price),
    venue: f.venue,
    commission: decimalText(f.commission),
    filled_at: f.filledAt.toISOString(),
  };
}

/**
 * An audit entry as its trader sees it. The chain's seq and hash stay out: the seq counts every
 * trader's entries, so two of one's own orders would tell how many entries the others wrote
 * in between. `npm run verify-audit` is where the chain is checked.
 */
export function auditJson(row: AuditRow): Record<string, unknown> {
  return { id: row.id, type: row.kind, at: row.at.toISOString(), data: JSON.parse(row.payload) };
}
