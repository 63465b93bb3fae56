/**
 * An order as the simulated exchange keeps it: the request as received, its venue order id,
 * its fills, and a state whose data lives on its variant (only a working order has a stage,
 * only a cancelled, expired or rejected one has a reason).
 * Invariant: filledQuantity is the sum of the fills' quantities and never exceeds the quantity.
 */
import type { Dec } from '../../../domain/money.ts';
import type { VenueFillView, VenueOrderRequest, VenueOrderView } from '../../../ports/venue.ts';

export const REASONS = {
  iocRemainder: 'ioc remainder not filled',
  fokNotFilled: 'fok could not be filled in full',
  dayExpired: 'day order expired at end of session',
  cancelRequested: 'cancelled at client request',
} as const;

/**
 * Where a working order is: `matching` only inside one engine call; `resting` in the book;
 * `awaiting_trigger` a stop whose condition has not held yet; `awaiting_liquidity` a market
 * remainder that the reference's limited liquidity could not fill, retried on every move.
 */
export type WorkingStage = 'matching' | 'resting' | 'awaiting_trigger' | 'awaiting_liquidity';

export type SimOrderState =
  | { readonly status: 'working'; readonly stage: WorkingStage }
  | { readonly status: 'filled' }
  | { readonly status: 'cancelled' | 'expired' | 'rejected'; readonly reason: string };

export interface SimOrder {
  readonly request: VenueOrderRequest;
  readonly venueOrderId: string;
  state: SimOrderState;
  filledQuantity: Dec;
  readonly fills: VenueFillView[];
}

export const leavesOf = (order: SimOrder): Dec => order.request.quantity.minus(order.filledQuantity);

export function viewOf(order: SimOrder): VenueOrderView {
  const { state } = order;
  return {
    clientOrderId: order.request.clientOrderId,
    venueOrderId: order.venueOrderId,
    status: state.status,
    quantity: order.request.quantity,
    filledQuantity: order.filledQuantity,
    fills: [...order.fills],
    reason: state.status === 'working' || state.status === 'filled' ? null : state.reason,
  };
}
