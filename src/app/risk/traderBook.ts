/**
 * One trader's risk state as this process knows it: the last snapshot read from the store
 * (cash, reserved, positions, open quantities), the reservations of orders admitted but not
 * committed yet (pending), and the recent orders the rate and duplicate checks look back on.
 * Invariants: buying power = cash − reserved − pending cash; a pending reservation leaves
 * `pending` exactly once, into the snapshot when its commit succeeds or nowhere when it fails.
 * The snapshot may lag other instances; that only makes a check too strict (the gate reloads
 * and checks again before denying) or too lenient (the store's commit refuses), never unsafe.
 */
import { D, ZERO, type Dec } from '../../domain/money.ts';
import type { PositionExposure, Reservation } from '../../domain/risk/checks.ts';
import type { OrderUnderCheck } from '../../domain/risk/checks.ts';
import { unrealizedPnl } from '../../domain/risk/positions.ts';
import type { PositionRecord, TraderSnapshot } from '../../ports/accounts.ts';

const ONE_SECOND_MS = 1000;
const REMEMBERED_ORDERS = 4096;

const add = (map: Map<string, Dec>, key: string, amount: Dec) => map.set(key, (map.get(key) ?? ZERO).plus(amount));

export const duplicateKey = (o: OrderUnderCheck) =>
  `${o.symbol} ${o.side} ${o.quantity.toFixed()} ${o.limitPrice?.toFixed() ?? '-'} ${o.stopPrice?.toFixed() ?? '-'}`;

export class TraderBook {
  cash: Dec = ZERO;
  reserved: Dec = ZERO;
  private positions = new Map<string, PositionRecord>();
  private open = new Map<string, Dec>();
  private pendingCash: Dec = ZERO;
  private pendingOpen = new Map<string, Dec>();
  private pendingSell = new Map<string, Dec>();
  private recent: number[] = [];
  private lastSeen = new Map<string, number>();
  loadedAtMs = 0;
  stale = true;

  /** Replaces the snapshot; pending reservations and the recent-order windows stay. */
  load(snapshot: TraderSnapshot, openingCash: Dec, nowMs: number): void {
    this.cash = snapshot.account?.cash ?? openingCash;
    this.reserved = snapshot.account?.reserved ?? ZERO;
    this.positions = new Map(snapshot.positions.map((p) => [p.symbol, p]));
    this.open = new Map(snapshot.open.map((o) => [`${o.symbol} ${o.side}`, o.quantity]));
    this.loadedAtMs = nowMs;
    this.stale = false;
  }

  buyingPower(): Dec {
    return this.cash.minus(this.reserved).minus(this.pendingCash);
  }

  exposure(symbol: string): PositionExposure {
    const p = this.positions.get(symbol);
    const quantity = p?.quantity ?? ZERO;
    const sellReserved = (p?.sellReserved ?? ZERO).plus(this.pendingSell.get(symbol) ?? ZERO);
    const openOf = (side: string) => (this.open.get(`${symbol} ${side}`) ?? ZERO).plus(this.pendingOpen.get(`${symbol} ${side}`) ?? ZERO);
    return { quantity, availableToSell: D.max(quantity.minus(sellReserved), ZERO), openBuyQuantity: openOf('buy'), openSellQuantity: openOf('sell') };
  }

  listPositions(): PositionRecord[] {
    return [...this.positions.values()];
  }

  realizedToday(day: string): Dec {
    let total = ZERO;
    for (const p of this.positions.values()) if (p.pnlDay === day) total = total.plus(p.realizedPnl);
    return total;
  }

  unrealized(priceOf: (symbol: string) => Dec | null): Dec {
    let total = ZERO;
    for (const p of this.positions.values()) {
      const price = priceOf(p.symbol);
      if (price !== null && !p.quantity.isZero()) total = total.plus(unrealizedPnl(p, price));
    }
    return total;
  }

  ordersInLastSecond(nowMs: number): number {
    while (this.recent.length > 0 && this.recent[0]! <= nowMs - ONE_SECOND_MS) this.recent.shift();
    return this.recent.length;
  }

  duplicateAgeMs(key: string, nowMs: number): number | null {
    const seen = this.lastSeen.get(key);
    return seen === undefined ? null : nowMs - seen;
  }

  /** Takes the reservation as pending and remembers the order; the result settles it once. */
  hold(order: OrderUnderCheck, reservation: Reservation, nowMs: number, duplicateWindowMs: number): (committed: boolean) => void {
    const openKey = `${order.symbol} ${order.side}`;
    this.pendingCash = this.pendingCash.plus(reservation.cash);
    add(this.pendingOpen, openKey, order.quantity);
    add(this.pendingSell, order.symbol, reservation.positionQuantity);
    this.recent.push(nowMs);
    this.remember(duplicateKey(order), nowMs, duplicateWindowMs);
    let settled = false;
    return (committed) => {
      if (settled) return;
      settled = true;
      this.pendingCash = this.pendingCash.minus(reservation.cash);
      add(this.pendingOpen, openKey, order.quantity.negated());
      add(this.pendingSell, order.symbol, reservation.positionQuantity.negated());
      if (!committed) return;
      this.reserved = this.reserved.plus(reservation.cash);
      add(this.open, openKey, order.quantity);
      const p = this.positions.get(order.symbol);
      if (p && reservation.positionQuantity.gt(0)) this.positions.set(order.symbol, { ...p, sellReserved: p.sellReserved.plus(reservation.positionQuantity) });
    };
  }

  private remember(key: string, nowMs: number, windowMs: number): void {
    this.lastSeen.delete(key);
    this.lastSeen.set(key, nowMs);
    if (this.lastSeen.size <= REMEMBERED_ORDERS) return;
    for (const [k, at] of this.lastSeen) {
      if (this.lastSeen.size <= REMEMBERED_ORDERS / 2 || nowMs - at < windowMs) break;
      this.lastSeen.delete(k);
    }
  }
}
