/**
 * What happened to an order, in the past tense. These are the rows of the audit trail; the
 * public stream events (order.acked, order.partial, …) are derived from them in the app.
 */
import type { Dec } from '../money.ts';
import type { VenueOrderId } from '../ids.ts';
import type { Fill, OrderTerms } from './order.ts';

export type OrderEvent =
  | { readonly kind: 'submitted'; readonly at: Date; readonly terms: OrderTerms }
  | { readonly kind: 'acked'; readonly at: Date; readonly venueOrderId: VenueOrderId }
  | { readonly kind: 'fill'; readonly at: Date; readonly fill: Fill }
  | { readonly kind: 'cancel_requested'; readonly at: Date; readonly reason: string | null }
  | { readonly kind: 'cancelled'; readonly at: Date; readonly reason: string | null }
  | { readonly kind: 'cancel_rejected'; readonly at: Date; readonly reason: string }
  | { readonly kind: 'rejected'; readonly at: Date; readonly reason: string }
  | { readonly kind: 'expired'; readonly at: Date; readonly reason: string | null }
  | { readonly kind: 'settled'; readonly at: Date }
  /** The venue cancelled one of its trades (a bust): it never happened. Carries the fill as recorded. */
  | { readonly kind: 'fill_busted'; readonly at: Date; readonly fill: Fill; readonly adjustmentId: string }
  /** The venue corrected one of its trades: the fill as recorded, and its corrected quantity and price. */
  | { readonly kind: 'fill_corrected'; readonly at: Date; readonly fill: Fill; readonly adjustmentId: string; readonly quantity: Dec; readonly price: Dec };

export type OrderEventKind = OrderEvent['kind'];
export const ORDER_EVENT_KINDS: readonly OrderEventKind[] = [
  'submitted', 'acked', 'fill', 'cancel_requested', 'cancelled', 'cancel_rejected', 'rejected', 'expired', 'settled',
  'fill_busted', 'fill_corrected',
];
