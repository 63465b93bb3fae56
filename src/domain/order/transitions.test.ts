import { describe, expect, it } from 'vitest';
import { InvariantViolation } from '../result.ts';
import { decide, type OrderCommand } from './decide.ts';
import { ORDER_EVENT_KINDS, type OrderEvent, type OrderEventKind } from './events.ts';
import { evolve } from './evolve.ts';
import {
  at, fill, given, orderIn, OTHER_VENUE_ORDER_ID, recordAck, recordBust, recordCancel, recordCancelReject, recordCorrection, recordExpiry,
  recordFill, recordReject, requestCancel, settle, SHAPES, submit, VENUE_ORDER_ID, type Shape,
} from './fixtures.ts';
import {
  CANCELABLE_STATUSES, isTerminal, leavesQuantity, ORDER_STATUSES, TERMINAL_STATUSES, type Order, type OrderStatus,
} from './order.ts';
import { RESTORE, targetOf, type Target } from './transitions.ts';

type Kind = Exclude<OrderEventKind, 'submitted'>;
const KINDS = ORDER_EVENT_KINDS.filter((k): k is Kind => k !== 'submitted');
const NOW = at(60);

/** One command that asks for each kind of event, sized to fit the order. */
const COMMAND_FOR: { readonly [K in Kind]: (o: Order) => OrderCommand } = {
  acked: (o) => recordAck(o.venueOrderId === null ? VENUE_ORDER_ID : OTHER_VENUE_ORDER_ID),
  fill: () => recordFill('1'),
  cancel_requested: () => requestCancel(),
  cancelled: () => recordCancel(),
  cancel_rejected: () => recordCancelReject(),
  rejected: () => recordReject(),
  expired: () => recordExpiry(),
  settled: () => settle(),
  fill_busted: () => recordBust('1'),
  fill_corrected: () => recordCorrection('1', '2'),
};

interface RowCase {
  readonly name: string;
  readonly given: Order;
  readonly when: OrderCommand;
  readonly then: OrderStatus;
  /**
   * 'evolve' for a row decide never reaches because a repeated ack is answered first; the row
   * still tells evolve where a late ack leaves the order.
   */
  readonly through?: 'evolve';
}

/** A case for each row of the table, and for each branch of a fill or RESTORE row. */
const ROWS: { readonly [S in OrderStatus]: { readonly [K in Kind]?: readonly RowCase[] } } = {
  pending: {
    acked: [{ name: 'the venue acknowledges', given: orderIn('pending'), when: recordAck(), then: 'acked' }],
    fill: [
      { name: 'a fill before the ack, part of the order', given: orderIn('pending'), when: recordFill('40'), then: 'partially_filled' },
      { name: 'a fill before the ack, the whole order', given: orderIn('pending'), when: recordFill('100'), then: 'filled' },
    ],
    cancel_requested: [{ name: 'the trader cancels', given: orderIn('pending'), when: requestCancel(), then: 'pending_cancel' }],
    cancelled: [{ name: 'the venue cancels before acking', given: orderIn('pending'), when: recordCancel(), then: 'cancelled' }],
    rejected: [{ name: 'the venue refuses the order', given: orderIn('pending'), when: recordReject(), then: 'rejected' }],
    expired: [{ name: 'the order expires unacked', given: orderIn('pending'), when: recordExpiry(), then: 'expired' }],
  },
  acked: {
    fill: [
      { name: 'part of the order fills', given: orderIn('acked'), when: recordFill('40'), then: 'partially_filled' },
      { name: 'the whole order fills', given: orderIn('acked'), when: recordFill('100'), then: 'filled' },
    ],
    cancel_requested: [{ name: 'the trader cancels', given: orderIn('acked'), when: requestCancel(), then: 'pending_cancel' }],
    cancelled: [{ name: 'the venue cancels unsolicited', given: orderIn('acked'), when: recordCancel(), then: 'cancelled' }],
    expired: [{ name: 'the order expires', given: orderIn('acked'), when: recordExpiry(), then: 'expired' }],
  },
  partially_filled: {
    acked: [{ name: 'the ack arrives after the first fill', given: orderIn('partially_filled', { acked: false }), when: recordAck(), then: 'partially_filled', through: 'evolve' }],
    fill: [
      { name: 'more of the order fills', given: orderIn('partially_filled'), when: recordFill('10'), then: 'partially_filled' },
      { name: 'the rest fills', given: orderIn('partially_filled'), when: recordFill('60'), then: 'filled' },
    ],
    cancel_requested: [{ name: 'the trader cancels the rest', given: orderIn('partially_filled'), when: requestCancel(), then: 'pending_cancel' }],
    cancelled: [{ name: 'the venue cancels the rest', given: orderIn('partially_filled'), when: recordCancel(), then: 'cancelled' }],
    expired: [{ name: 'the rest expires', given: orderIn('partially_filled'), when: recordExpiry(), then: 'expired' }],
    fill_busted: [
      { name: 'a bust takes back some of the fills', given: orderIn('partially_filled'), when: recordBust('10'), then: 'partially_filled' },
      { name: 'a bust takes back every fill', given: orderIn('partially_filled'), when: recordBust('40'), then: 'acked' },
    ],
    fill_corrected: [
      { name: 'a fill corrected down', given: orderIn('partially_filled'), when: recordCorrection('40', '30'), then: 'partially_filled' },
      { name: 'a fill corrected up to the whole order', given: orderIn('partially_filled'), when: recordCorrection('40', '100'), then: 'filled' },
    ],
  },
  pending_cancel: {
    acked: [{ name: 'the ack arrives after our cancel request', given: orderIn('pending_cancel', { acked: false }), when: recordAck(), then: 'pending_cancel' }],
    fill: [
      { name: 'a fill races the cancel, part', given: orderIn('pending_cancel'), when: recordFill('40'), then: 'pending_cancel' },
      { name: 'a fill races the cancel, all', given: orderIn('pending_cancel'), when: recordFill('100'), then: 'filled' },
    ],
    cancelled: [{ name: 'the venue confirms the cancel', given: orderIn('pending_cancel'), when: recordCancel(), then: 'cancelled' }],
    cancel_rejected: [
      { name: 'cancel refused, never acked, nothing filled', given: orderIn('pending_cancel', { acked: false }), when: recordCancelReject(), then: 'pending' },
      { name: 'cancel refused, acked, nothing filled', given: orderIn('pending_cancel', { acked: true }), when: recordCancelReject(), then: 'acked' },
      { name: 'cancel refused, partly filled', given: orderIn('pending_cancel', { filled: '40' }), when: recordCancelReject(), then: 'partially_filled' },
      { name: 'cancel refused, partly filled before any ack', given: orderIn('pending_cancel', { acked: false, filled: '40' }), when: recordCancelReject(), then: 'partially_filled' },
    ],
    rejected: [{ name: 'the order is refused before the cancel reaches it', given: orderIn('pending_cancel', { acked: false }), when: recordReject(), then: 'rejected' }],
    expired: [{ name: 'the order expires first', given: orderIn('pending_cancel'), when: recordExpiry(), then: 'expired' }],
    fill_busted: [{ name: 'a bust while the cancel is pending', given: orderIn('pending_cancel', { filled: '40' }), when: recordBust('40'), then: 'pending_cancel' }],
    fill_corrected: [
      { name: 'a correction while the cancel is pending', given: orderIn('pending_cancel', { filled: '40' }), when: recordCorrection('40', '50'), then: 'pending_cancel' },
      { name: 'a correction completes the order', given: orderIn('pending_cancel', { filled: '40' }), when: recordCorrection('40', '100'), then: 'filled' },
    ],
  },
  filled: {
    acked: [{ name: 'a late ack after the completing fill', given: orderIn('filled', { acked: false }), when: recordAck(), then: 'filled', through: 'evolve' }],
    cancel_rejected: [{ name: 'our cancel lost to the last fill', given: given(submit(), recordAck(), requestCancel(), recordFill('100')), when: recordCancelReject(), then: 'filled' }],
    settled: [{ name: 'the trade settles', given: orderIn('filled'), when: settle(), then: 'settled' }],
    fill_busted: [{ name: 'a bust leaves a completed order short: the rest will not trade', given: orderIn('filled'), when: recordBust('100'), then: 'cancelled' }],
    fill_corrected: [
      { name: 'a price correction keeps it filled', given: orderIn('filled'), when: recordCorrection('100', '100', '149.00'), then: 'filled' },
      { name: 'a quantity corrected down leaves it short', given: orderIn('filled'), when: recordCorrection('100', '90'), then: 'cancelled' },
    ],
  },
  cancelled: {
    acked: [{ name: 'the ack arrives after the cancel confirmation', given: orderIn('cancelled', { acked: false }), when: recordAck(), then: 'cancelled' }],
    fill: [
      { name: 'a late fill, part', given: orderIn('cancelled'), when: recordFill('40'), then: 'cancelled' },
      { name: 'a late fill, all', given: orderIn('cancelled'), when: recordFill('100'), then: 'filled' },
    ],
    cancel_rejected: [{ name: 'a repeated cancel refused', given: orderIn('cancelled'), when: recordCancelReject(), then: 'cancelled' }],
    fill_busted: [{ name: 'a bust of a fill made before the cancel', given: orderIn('cancelled', { filled: '40' }), when: recordBust('40'), then: 'cancelled' }],
    fill_corrected: [
      { name: 'a correction of a fill made before the cancel', given: orderIn('cancelled', { filled: '40' }), when: recordCorrection('40', '45'), then: 'cancelled' },
      { name: 'a correction up to the whole order', given: orderIn('cancelled', { filled: '40' }), when: recordCorrection('40', '100'), then: 'filled' },
    ],
  },
  expired: {
    acked: [{ name: 'the ack arrives after the expiry', given: orderIn('expired', { acked: false }), when: recordAck(), then: 'expired' }],
    fill: [
      { name: 'a late fill, part', given: orderIn('expired'), when: recordFill('40'), then: 'expired' },
      { name: 'a late fill, all', given: orderIn('expired'), when: recordFill('100'), then: 'filled' },
    ],
    cancel_rejected: [{ name: 'our cancel lost to the expiry', given: given(submit(), recordAck(), requestCancel(), recordExpiry()), when: recordCancelReject(), then: 'expired' }],
    fill_busted: [{ name: 'a bust of a fill made before the expiry', given: orderIn('expired', { filled: '40' }), when: recordBust('40'), then: 'expired' }],
    fill_corrected: [
      { name: 'a correction of a fill made before the expiry', given: orderIn('expired', { filled: '40' }), when: recordCorrection('40', '45'), then: 'expired' },
      { name: 'a correction up to the whole order', given: orderIn('expired', { filled: '40' }), when: recordCorrection('40', '100'), then: 'filled' },
    ],
  },
  rejected: {
    cancel_rejected: [{ name: 'our cancel reached a venue that refused the order', given: given(submit(), requestCancel(), recordReject()), when: recordCancelReject(), then: 'rejected' }],
  },
  settled: {},
};

const eventOf = (decision: ReturnType<typeof decide>): OrderEvent => {
  if (!decision.ok) throw new Error(`refused: ${JSON.stringify(decision.error)}`);
  expect(decision.value).toHaveLength(1);
  return decision.value[0]!;
};

/** The ack event as evolve would see it: the venue order id the order already knows, if any. */
function eventForAck(order: Order): OrderEvent {
  return { kind: 'acked', at: NOW, venueOrderId: order.venueOrderId ?? VENUE_ORDER_ID };
}

describe('the transition table', () => {
  describe.each(ORDER_STATUSES.flatMap((status) =>
    KINDS.flatMap((kind) => (ROWS[status][kind] ?? []).map((c) => ({ status, kind, ...c })))))(
    '$status on $kind: $name',
    ({ kind, given: order, when, then, through }) => {
      it(`given the order, when the command arrives, then it becomes ${then}`, () => {
        if (through === 'evolve') expect(decide(when, order, NOW)).toEqual({ ok: true, value: [] });
        const event: OrderEvent = through === 'evolve' ? eventForAck(order) : eventOf(decide(when, order, NOW));
        expect(event.kind).toBe(kind);
        const next = evolve(order, event);
        expect(next.status).toBe(then);
        expect(next.version).toBe(order.version + 1);
      });
    },
  );

  it('has a test case for every row and every branch of a fill row', () => {
    for (const status of ORDER_STATUSES) {
      for (const kind of KINDS) {
        const target = targetOf(status, kind);
        const cases = ROWS[status][kind] ?? [];
        expect({ status, kind, tested: cases.length > 0 }).toEqual({ status, kind, tested: target !== undefined });
        if (target !== undefined) expect(new Set(cases.map((c) => c.then))).toEqual(targetsOf(target, kind));
      }
    }
  });

  it('lets a trader cancel from exactly the cancelable statuses', () => {
    const cancelable = ORDER_STATUSES.filter((s) => targetOf(s, 'cancel_requested') !== undefined);
    expect(cancelable).toEqual([...CANCELABLE_STATUSES]);
  });

  it('never takes a terminal status back to a working one', () => {
    for (const status of TERMINAL_STATUSES) {
      for (const kind of KINDS) {
        const target = targetOf(status, kind);
        if (target === undefined) continue;
        expect(target).not.toBe(RESTORE);
        for (const next of targetsOf(target)) expect(isTerminal(next), `${status} on ${kind} → ${next}`).toBe(true);
      }
    }
  });
});

describe('pairs not in the table', () => {
  const pairs = ORDER_STATUSES.flatMap((status) =>
    KINDS.filter((kind) => targetOf(status, kind) === undefined)
      .flatMap((kind) => SHAPES[status].map((shape) => ({ status, kind, shape, label: describeShape(shape) }))));

  it.each(pairs)('$status on $kind ($label): decide refuses it', ({ status, kind, shape }) => {
    const order = orderIn(status, shape);
    const decision = decide(COMMAND_FOR[kind](order), order, NOW);
    expect(decision).toEqual({ ok: false, error: expectedRefusal(order, kind) });
  });

  it.each(pairs)('$status on $kind ($label): evolve throws InvariantViolation', ({ status, kind, shape }) => {
    const order = orderIn(status, shape);
    expect(() => evolve(order, anyEvent(kind, order))).toThrow(InvariantViolation);
  });

  it.each(ORDER_STATUSES)('%s: a second submission is refused as order_exists', (status) => {
    expect(decide(submit(), orderIn(status), NOW)).toEqual({ ok: false, error: { code: 'order_exists' } });
  });

  it.each(ORDER_STATUSES)('%s: evolve throws on a second submitted event', (status) => {
    const order = orderIn(status);
    expect(() => evolve(order, { kind: 'submitted', at: NOW, terms: order })).toThrow(InvariantViolation);
  });

  it('a repeated ack on a status with no ack row is answered before the table: a no-op, or a mismatch', () => {
    for (const status of ORDER_STATUSES.filter((s) => targetOf(s, 'acked') === undefined)) {
      for (const shape of SHAPES[status]) {
        const order = orderIn(status, shape);
        if (order.venueOrderId === null) continue;
        expect(decide(recordAck(order.venueOrderId), order, NOW)).toEqual({ ok: true, value: [] });
        expect(decide(recordAck(OTHER_VENUE_ORDER_ID), order, NOW)).toEqual({
          ok: false, error: { code: 'venue_order_id_mismatch', known: order.venueOrderId, reported: OTHER_VENUE_ORDER_ID },
        });
      }
    }
  });
});

/**
 * invalid_transition, except where decide answers with a more specific code first:
 * a cancel from a status that cannot be cancelled is order_not_cancelable (the API's code),
 * an ack for an order that already has a venue order id is a repeat or a mismatch, and a fill
 * for an order with nothing left is an overfill (the API's code for simulate_fill).
 */
function expectedRefusal(order: Order, kind: Kind): object {
  if (kind === 'cancel_requested') return { code: 'order_not_cancelable', status: order.status };
  if (kind === 'acked' && order.venueOrderId !== null) {
    return { code: 'venue_order_id_mismatch', known: order.venueOrderId, reported: OTHER_VENUE_ORDER_ID };
  }
  if (kind === 'fill' && leavesQuantity(order).isZero()) {
    return { code: 'overfill', leaves: leavesQuantity(order), requested: fill('1').quantity };
  }
  return { code: 'invalid_transition', from: order.status, event: kind };
}

function anyEvent(kind: Kind, order: Order): OrderEvent {
  switch (kind) {
    case 'acked': return eventForAck(order);
    case 'fill': return { kind, at: NOW, fill: fill('1', '150.25', order.venueOrderId ?? VENUE_ORDER_ID) };
    case 'cancel_requested': return { kind, at: NOW, reason: null };
    case 'cancelled': return { kind, at: NOW, reason: null };
    case 'cancel_rejected': return { kind, at: NOW, reason: 'too late to cancel' };
    case 'rejected': return { kind, at: NOW, reason: 'refused' };
    case 'expired': return { kind, at: NOW, reason: null };
    case 'settled': return { kind, at: NOW };
    case 'fill_busted': return { kind, at: NOW, fill: fill('1'), adjustmentId: 'B-1' };
    case 'fill_corrected': return { kind, at: NOW, fill: fill('1'), adjustmentId: 'C-1', quantity: fill('2').quantity, price: fill('2').price };
  }
}

/** Where a row can lead. A bust restores from fills, and a fill carries the venue order id: never back to pending. */
function targetsOf(target: Target, kind?: Kind): Set<OrderStatus> {
  if (target === RESTORE) return new Set(kind === 'fill_busted' ? ['acked', 'partially_filled'] : ['pending', 'acked', 'partially_filled']);
  if (typeof target === 'string') return new Set([target]);
  return new Set([target.partial, target.complete]);
}

function describeShape(shape: Shape): string {
  return `${shape.acked ? 'acked' : 'never acked'}, ${shape.filled ?? '0'} filled`;
}
