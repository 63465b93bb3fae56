/**
 * What an order's venue events do to its trader's account: each fill converts reservation
 * into cash and position; reaching a terminal status (filled, cancelled, rejected, expired)
 * releases what the order still holds. The store applies it in the same transaction as the
 * events. A fill reported after the order ended (a late fill) still moves cash and position:
 * it happened; its reservation was released already, so none is released twice.
 */
import type { Dec } from '../../domain/money.ts';
import type { OrderEvent } from '../../domain/order/events.ts';
import { isTerminal, type Order } from '../../domain/order/order.ts';
import type { AccountEffect } from '../../ports/accounts.ts';

/** The trading day a time belongs to: its UTC date. */
export const tradingDayOf = (at: Date) => at.toISOString().slice(0, 10);

export function settlementEffect(before: Order, after: Order, events: readonly OrderEvent[], openingCash: Dec, at: Date): AccountEffect | null {
  const fills = events.flatMap((e) => (e.kind === 'fill' ? [{ quantity: e.fill.quantity, price: e.fill.price, commission: e.fill.commission }] : []));
  const releaseRest = isTerminal(after.status) && !isTerminal(before.status);
  if (fills.length === 0 && !releaseRest) return null;
  return {
    traderId: after.traderId, orderId: after.id, symbol: after.symbol, side: after.side, openingCash,
    reserve: null, fills, releaseRest, tradingDay: tradingDayOf(at), at,
  };
}
