/**
 * The order as a union by status. Data lives on the variant that has it: a pending order has
 * no venue order id, a rejected one always has a reason. Quantities and prices are Decimals.
 * Invariant kept everywhere: 0 <= filledQuantity <= quantity.
 */
import type { Dec } from '../money.ts';
import type { ClientOrderId, OrderId, Symbol, TraderId, VenueFillId, VenueName, VenueOrderId } from '../ids.ts';

export const SIDES = ['buy', 'sell'] as const;
export const ORDER_TYPES = ['market', 'limit', 'stop', 'stop_limit'] as const;
export const TIMES_IN_FORCE = ['day', 'gtc', 'ioc', 'fok'] as const;
export const ORDER_STATUSES = [
  'pending', 'acked', 'partially_filled', 'filled', 'settled',
  'pending_cancel', 'cancelled', 'rejected', 'expired',
] as const;

export type Side = (typeof SIDES)[number];
export type OrderType = (typeof ORDER_TYPES)[number];
export type TimeInForce = (typeof TIMES_IN_FORCE)[number];
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Statuses in which the order may still trade at the venue. */
export const WORKING_STATUSES: readonly OrderStatus[] = ['pending', 'acked', 'partially_filled', 'pending_cancel'];
/** Statuses from which the order never returns to a working status. */
export const TERMINAL_STATUSES: readonly OrderStatus[] = ['filled', 'settled', 'cancelled', 'rejected', 'expired'];
/** Statuses a trader may cancel from. */
export const CANCELABLE_STATUSES: readonly OrderStatus[] = ['pending', 'acked', 'partially_filled'];

export const isWorking = (s: OrderStatus) => WORKING_STATUSES.includes(s);
export const isTerminal = (s: OrderStatus) => TERMINAL_STATUSES.includes(s);

/** What the trader asked for; fixed for the life of the order. */
export interface OrderTerms {
  readonly id: OrderId;
  readonly clientOrderId: ClientOrderId;
  readonly traderId: TraderId;
  readonly symbol: Symbol;
  readonly side: Side;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly quantity: Dec;
  readonly limitPrice: Dec | null;
  readonly stopPrice: Dec | null;
  readonly venue: VenueName;
  readonly batchId: string | null;
  readonly createdAt: Date;
}

/** What has executed so far. filledNotional is the exact sum of price × quantity of the fills. */
export interface Executions {
  readonly filledQuantity: Dec;
  readonly filledNotional: Dec;
}

interface Lifecycle {
  readonly version: number;
  readonly updatedAt: Date;
}

type Base = OrderTerms & Executions & Lifecycle;

export type PendingOrder = Base & { readonly status: 'pending'; readonly venueOrderId: null };
export type AckedOrder = Base & { readonly status: 'acked'; readonly venueOrderId: VenueOrderId };
export type PartiallyFilledOrder = Base & { readonly status: 'partially_filled'; readonly venueOrderId: VenueOrderId };
export type FilledOrder = Base & { readonly status: 'filled'; readonly venueOrderId: VenueOrderId };
export type SettledOrder = Base & { readonly status: 'settled'; readonly venueOrderId: VenueOrderId };
/** Asked to cancel; the venue may not have acknowledged the order yet. */
export type PendingCancelOrder = Base & { readonly status: 'pending_cancel'; readonly venueOrderId: VenueOrderId | null };
export type CancelledOrder = Base & { readonly status: 'cancelled'; readonly venueOrderId: VenueOrderId | null; readonly reason: string | null };
export type RejectedOrder = Base & { readonly status: 'rejected'; readonly venueOrderId: VenueOrderId | null; readonly reason: string };
export type ExpiredOrder = Base & { readonly status: 'expired'; readonly venueOrderId: VenueOrderId | null; readonly reason: string | null };

export type Order =
  | PendingOrder | AckedOrder | PartiallyFilledOrder | FilledOrder | SettledOrder
  | PendingCancelOrder | CancelledOrder | RejectedOrder | ExpiredOrder;

/** One execution reported by a venue. (venue, venueFillId) identifies it across replays. */
export interface Fill {
  readonly venueFillId: VenueFillId;
  readonly venue: VenueName;
  readonly venueOrderId: VenueOrderId;
  readonly quantity: Dec;
  readonly price: Dec;
  readonly commission: Dec;
  readonly filledAt: Date;
}

export const leavesQuantity = (o: Executions & { quantity: Dec }): Dec => o.quantity.minus(o.filledQuantity);

/** The volume-weighted average price of the fills, to 12 decimal places; null before any fill. */
export function averageFillPrice(o: Executions): Dec | null {
  return o.filledQuantity.isZero() ? null : o.filledNotional.div(o.filledQuantity).toDecimalPlaces(12);
}

export const reasonOf = (o: Order): string | null =>
  o.status === 'cancelled' || o.status === 'rejected' || o.status === 'expired' ? o.reason : null;
