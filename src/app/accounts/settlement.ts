/**
 * What an order's venue events do to its trader's account: each fill converts reservation
 * into cash and position; a bust or correction of an earlier fill undoes (or replaces) exactly
 * what that fill did; reaching a terminal status (filled, cancelled, rejected, expired)
 * releases what the order still holds. The store applies it in the same transaction as the
 * events. A fill reported after the order ended (a late fill) still moves cash and position:
 * it happened; its reservation was released already, so none is released twice.
 */
import type { Dec } from '../../domain/money.ts';
import type { OrderEvent } from '../../domain/order/events.ts';
import { isTerminal, type Order } from '../../domain/order/order.ts';
import type { AccountEffect, SettledFill, SettlementAdjustment } from '../../ports/accounts.ts';

/** The trading day a time belongs to: its UTC date. */
export const tradingDayOf = (at: Date) => at.toISOString().slice(0, 10);

export function settlementEffect(before: Order, after: Order, events: readonly OrderEvent[], openingCash: Dec, at: Date): AccountEffect | null {
  const fills: SettledFill[] = [];
  const adjustments: SettlementAdjustment[] = [];
  for (const e of events) {
    if (e.kind === 'fill') {
      const { venue, venueFillId, quantity, price, commission } = e.fill;
      fills.push({ venue, venueFillId, quantity, price, commission });
    }
    if (e.kind === 'fill_busted') adjustments.push({ venue: e.fill.venue, venueFillId: e.fill.venueFillId, replacement: null });
    if (e.kind === 'fill_corrected') {
      adjustments.push({ venue: e.fill.venue, venueFillId: e.fill.venueFillId, replacement: { quantity: e.quantity, price: e.price } });
    }
  }
  const releaseRest = isTerminal(after.status) && !isTerminal(before.status);
  if (fills.length === 0 && adjustments.length === 0 && !releaseRest) return null;
  return {
    traderId: after.traderId, orderId: after.id, symbol: after.symbol, side: after.side, openingCash,
    reserve: null, fills, ...(adjustments.length > 0 ? { adjustments } : {}), releaseRest, tradingDay: tradingDayOf(at), at,
  };
}
