/**
 * The one transition table. Every (status, event) pair not listed is an invalid transition.
 * A fill's target depends on whether it completes the order: `{ partial, complete }`.
 * RESTORE means "back to the working status the order's executions imply".
 */
import type { OrderEventKind } from './events.ts';
import type { OrderStatus } from './order.ts';

export const RESTORE = 'restore' as const;
export type FillTarget = { readonly partial: OrderStatus; readonly complete: OrderStatus };
export type Target = OrderStatus | FillTarget | typeof RESTORE;

type Row = { readonly [E in Exclude<OrderEventKind, 'submitted'>]?: Target };

const FILL_WORKING: FillTarget = { partial: 'partially_filled', complete: 'filled' };

export const TRANSITIONS: { readonly [S in OrderStatus]: Row } = {
  pending: {
    acked: 'acked',
    fill: FILL_WORKING, // a fill may be reported before the ack
    cancel_requested: 'pending_cancel',
    cancelled: 'cancelled', // the venue may cancel before acknowledging (ioc/fok with no liquidity)
    rejected: 'rejected',
    expired: 'expired',
  },
  acked: {
    fill: FILL_WORKING,
    cancel_requested: 'pending_cancel',
    cancelled: 'cancelled', // unsolicited: the venue cancels, e.g. an ioc remainder
    expired: 'expired',
  },
  partially_filled: {
    acked: 'partially_filled', // the ack arrived after the first fill
    fill: FILL_WORKING,
    cancel_requested: 'pending_cancel',
    cancelled: 'cancelled', // the remainder is cancelled; the fills stand
    expired: 'expired',
    fill_busted: RESTORE, // the trade never happened: back to what the remaining fills imply
    fill_corrected: FILL_WORKING,
  },
  pending_cancel: {
    acked: 'pending_cancel', // our cancel request overtook the ack
    fill: { partial: 'pending_cancel', complete: 'filled' }, // a fill can race our cancel
    cancelled: 'cancelled',
    cancel_rejected: RESTORE, // the venue refused the cancel: the order works again
    rejected: 'rejected', // the order itself was refused before the cancel reached it
    expired: 'expired',
    fill_busted: 'pending_cancel',
    fill_corrected: { partial: 'pending_cancel', complete: 'filled' },
  },
  filled: {
    acked: 'filled', // a late ack after the fills that completed the order
    cancel_rejected: 'filled', // our cancel lost the race to the last fill
    settled: 'settled',
    fill_busted: 'cancelled', // a bust does not re-open a completed order at the venue: the rest will not trade
    fill_corrected: { partial: 'cancelled', complete: 'filled' }, // corrected below its quantity: as a bust
  },
  cancelled: {
    acked: 'cancelled', // the venue reported its ack after the cancel confirmation
    fill: { partial: 'cancelled', complete: 'filled' }, // executed before the cancel took effect, reported late
    cancel_rejected: 'cancelled', // a repeated cancel refused because the first one succeeded
    fill_busted: 'cancelled',
    fill_corrected: { partial: 'cancelled', complete: 'filled' },
  },
  expired: {
    acked: 'expired', // the venue reported its ack after the expiry; keeps the venue order id
    fill: { partial: 'expired', complete: 'filled' }, // executed before expiry, reported late
    cancel_rejected: 'expired', // our cancel lost the race to the expiry
    fill_busted: 'expired',
    fill_corrected: { partial: 'expired', complete: 'filled' },
  },
  rejected: {
    cancel_rejected: 'rejected', // our cancel reached a venue that had refused the order
  },
  settled: {},
};

export function targetOf(status: OrderStatus, event: Exclude<OrderEventKind, 'submitted'>): Target | undefined {
  return TRANSITIONS[status][event];
}
