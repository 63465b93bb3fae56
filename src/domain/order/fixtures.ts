/**
 * Test fixtures for the order state machine: terms, fills, commands, and orders brought to a
 * given status through decide + evolve (never hand-built), so every "given" is a state the
 * domain can really reach. Imported by tests only.
 */
import { fromText } from '../money.ts';
import {
  asClientOrderId, asOrderId, asSymbol, asTraderId, asVenueFillId, asVenueName, asVenueOrderId,
  type VenueOrderId,
} from '../ids.ts';
import type { OrderCommand } from './decide.ts';
import { decide } from './decide.ts';
import { createOrder, evolve } from './evolve.ts';
import type { OrderEvent } from './events.ts';
import type { Fill, Order, OrderStatus, OrderTerms } from './order.ts';

export const T0 = new Date('2026-11-21T12:00:00.000Z');
export const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

export const VENUE_ORDER_ID = asVenueOrderId('SIM-1');
export const OTHER_VENUE_ORDER_ID = asVenueOrderId('SIM-2');

export function terms(overrides: Partial<OrderTerms> = {}): OrderTerms {
  return {
    id: asOrderId('0193a5e0-0000-7000-8000-000000000001'),
    clientOrderId: asClientOrderId('my-1'),
    traderId: asTraderId('alice'),
    symbol: asSymbol('AAPL'),
    side: 'buy',
    type: 'limit',
    timeInForce: 'day',
    quantity: fromText('100'),
    limitPrice: fromText('150.25'),
    stopPrice: null,
    venue: asVenueName('sim'),
    batchId: null,
    createdAt: T0,
    ...overrides,
  };
}

let fillCounter = 0;
export function fill(quantity: string, price = '150.25', venueOrderId: VenueOrderId = VENUE_ORDER_ID): Fill {
  fillCounter += 1;
  return {
    venueFillId: asVenueFillId(`F-${fillCounter}`),
    venue: asVenueName('sim'),
    venueOrderId,
    quantity: fromText(quantity),
    price: fromText(price),
    commission: fromText('0'),
    filledAt: T0,
  };
}

export const submit = (overrides: Partial<OrderTerms> = {}): OrderCommand => ({ kind: 'submit', terms: terms(overrides) });
export const requestCancel = (reason: string | null = 'trader asked'): OrderCommand => ({ kind: 'request_cancel', reason });
export const recordAck = (venueOrderId: VenueOrderId = VENUE_ORDER_ID): OrderCommand => ({ kind: 'record_ack', venueOrderId });
export const recordFill = (quantity: string, price = '150.25', venueOrderId?: VenueOrderId): OrderCommand =>
  ({ kind: 'record_fill', fill: fill(quantity, price, venueOrderId) });
export const recordCancel = (reason: string | null = 'cancelled at venue'): OrderCommand => ({ kind: 'record_cancel', reason });
export const recordCancelReject = (reason = 'too late to cancel'): OrderCommand => ({ kind: 'record_cancel_reject', reason });
export const recordReject = (reason = 'unknown symbol at venue'): OrderCommand => ({ kind: 'record_reject', reason });
export const recordExpiry = (reason: string | null = 'day order expired'): OrderCommand => ({ kind: 'record_expiry', reason });
export const settle = (): OrderCommand => ({ kind: 'settle' });
/** A bust of a recorded fill of `quantity`. */
export const recordBust = (quantity: string, price = '150.25'): OrderCommand => ({ kind: 'record_bust', fill: fill(quantity, price), adjustmentId: 'B-1' });
/** A correction of a recorded fill of `from` to `to` at `price`. */
export const recordCorrection = (from: string, to: string, price = '150.25'): OrderCommand =>
  ({ kind: 'record_correction', fill: fill(from), adjustmentId: 'C-1', quantity: fromText(to), price: fromText(price) });

/** Applies the events of one decision; a submission starts the order. */
export function applyAll(order: Order | null, events: readonly OrderEvent[]): Order | null {
  return events.reduce<Order | null>(
    (current, event) => (event.kind === 'submitted' ? createOrder(event) : evolve(current!, event)),
    order,
  );
}

/** Runs commands that must all succeed (the "given" of a test); throws on the first rejection. */
export function given(...commands: OrderCommand[]): Order {
  let order: Order | null = null;
  commands.forEach((command, i) => {
    const decision = decide(command, order, at(i));
    if (!decision.ok) throw new Error(`given: ${command.kind} refused: ${JSON.stringify(decision.error)}`);
    order = applyAll(order, decision.value);
  });
  if (order === null) throw new Error('given: no order was submitted');
  return order;
}

export interface Shape {
  /** Whether the venue has acknowledged the order (so it carries a venue order id). */
  readonly acked?: boolean;
  /** Quantity already filled, of the default quantity 100. */
  readonly filled?: string;
}

/**
 * An order in `status`, reached by real commands. A fill carries the venue order id, so a
 * partly filled order always has one, acked or not.
 */
export function orderIn(status: OrderStatus, shape: Shape = {}): Order {
  const order = reach(status, {
    acked: shape.acked ?? !(status === 'pending' || status === 'rejected'),
    filled: shape.filled ?? (status === 'partially_filled' ? '40' : '0'),
  });
  if (order.status !== status) throw new Error(`orderIn: reached ${order.status}, not ${status}`);
  return order;
}

/** The shapes each status can take, for tests that must hold in all of them. */
export const SHAPES: { readonly [S in OrderStatus]: readonly Shape[] } = {
  pending: [{ acked: false }],
  acked: [{ acked: true }],
  partially_filled: [{ acked: true, filled: '40' }, { acked: false, filled: '40' }],
  filled: [{ acked: true }, { acked: false }],
  settled: [{ acked: true }],
  pending_cancel: [{ acked: false }, { acked: true }, { acked: true, filled: '40' }, { acked: false, filled: '40' }],
  cancelled: [{ acked: false }, { acked: true }, { acked: true, filled: '40' }, { acked: false, filled: '40' }],
  expired: [{ acked: false }, { acked: true }, { acked: true, filled: '40' }, { acked: false, filled: '40' }],
  rejected: [{ acked: false }],
};

function reach(status: OrderStatus, { acked, filled }: Required<Shape>): Order {
  const start: OrderCommand[] = [submit(), ...(acked ? [recordAck()] : [])];
  const executions: OrderCommand[] = filled === '0' ? [] : [recordFill(filled)];
  switch (status) {
    case 'pending':
    case 'acked':
    case 'partially_filled':
      return given(...start, ...executions);
    case 'filled':
      return given(...start, recordFill('100'));
    case 'settled':
      return given(...start, recordFill('100'), settle());
    case 'pending_cancel':
      return given(...start, ...executions, requestCancel());
    case 'cancelled':
      return given(...start, ...executions, recordCancel());
    case 'expired':
      return given(...start, ...executions, recordExpiry());
    case 'rejected':
      // Only an order the venue never took can be refused, so a rejected order has no venue order id.
      return given(submit(), recordReject());
  }
}
