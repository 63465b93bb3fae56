import { describe, expect, it } from 'vitest';
import { decimalText, fromText } from '../money.ts';
import { decide, type OrderCommand } from './decide.ts';
import { evolve } from './evolve.ts';
import {
  applyAll, at, given, orderIn, OTHER_VENUE_ORDER_ID, recordAck, recordCancel, recordCancelReject, recordExpiry,
  recordFill, recordReject, requestCancel, settle, SHAPES, submit, terms, VENUE_ORDER_ID,
} from './fixtures.ts';
import { CANCELABLE_STATUSES, ORDER_STATUSES, type Order } from './order.ts';

const NOW = at(60);

/** Decides and applies; the command must be accepted. */
function after(order: Order, command: OrderCommand): Order {
  const decision = decide(command, order, NOW);
  if (!decision.ok) throw new Error(`refused: ${JSON.stringify(decision.error)}`);
  return applyAll(order, decision.value)!;
}

const refusal = (command: OrderCommand, order: Order | null) => {
  const decision = decide(command, order, NOW);
  return decision.ok ? { accepted: decision.value } : decision.error;
};

describe('submit', () => {
  it('given no order, when submitted, then one submitted event carries the terms and the time given', () => {
    const orderTerms = terms();
    expect(decide({ kind: 'submit', terms: orderTerms }, null, NOW)).toEqual({
      ok: true, value: [{ kind: 'submitted', at: NOW, terms: orderTerms }],
    });
  });

  it('given an order, when submitted again, then order_exists', () => {
    expect(refusal(submit(), orderIn('acked'))).toEqual({ code: 'order_exists' });
  });

  it.each<OrderCommand>([requestCancel(), recordAck(), recordFill('1'), recordCancel(), recordCancelReject(), recordReject(), recordExpiry(), settle()])(
    'given no order, when $kind, then order_not_found',
    (command) => {
      expect(refusal(command, null)).toEqual({ code: 'order_not_found' });
    },
  );
});

describe('request_cancel', () => {
  it.each(CANCELABLE_STATUSES)('given a %s order, when the trader cancels, then cancel_requested with the reason', (status) => {
    const decision = decide(requestCancel('kill switch'), orderIn(status), NOW);
    expect(decision).toEqual({ ok: true, value: [{ kind: 'cancel_requested', at: NOW, reason: 'kill switch' }] });
  });

  const notCancelable = ORDER_STATUSES.filter((s) => !CANCELABLE_STATUSES.includes(s))
    .flatMap((status) => SHAPES[status].map((shape) => ({ status, shape })));
  it.each(notCancelable)('given a $status order ($shape), when the trader cancels, then order_not_cancelable naming it', ({ status, shape }) => {
    expect(refusal(requestCancel(), orderIn(status, shape))).toEqual({ code: 'order_not_cancelable', status });
  });

  it('names exactly pending, acked and partially_filled as cancelable (the API contract)', () => {
    expect([...CANCELABLE_STATUSES].sort()).toEqual(['acked', 'partially_filled', 'pending']);
  });
});

describe('record_ack', () => {
  it('given a pending order, when acked, then it is acked with the venue order id', () => {
    const order = after(orderIn('pending'), recordAck());
    expect(order).toMatchObject({ status: 'acked', venueOrderId: VENUE_ORDER_ID });
  });

  it.each(['acked', 'partially_filled', 'filled', 'settled', 'pending_cancel', 'cancelled', 'expired'] as const)(
    'given a %s order that knows its venue order id, when the same ack repeats, then nothing happens',
    (status) => {
      expect(refusal(recordAck(VENUE_ORDER_ID), orderIn(status, { acked: true }))).toEqual({ accepted: [] });
    },
  );

  it('given an acked order, when an ack names another venue order id, then venue_order_id_mismatch with both', () => {
    expect(refusal(recordAck(OTHER_VENUE_ORDER_ID), orderIn('acked'))).toEqual({
      code: 'venue_order_id_mismatch', known: VENUE_ORDER_ID, reported: OTHER_VENUE_ORDER_ID,
    });
  });

  it('given an order filled in part before any ack, when the ack arrives, then it is a repeat: nothing happens', () => {
    const order = given(submit(), recordFill('40'));
    expect(order).toMatchObject({ status: 'partially_filled', venueOrderId: VENUE_ORDER_ID });
    expect(refusal(recordAck(), order)).toEqual({ accepted: [] });
  });

  it('given an order filled in part before any ack, when an ack names another venue order id, then a mismatch', () => {
    expect(refusal(recordAck(OTHER_VENUE_ORDER_ID), given(submit(), recordFill('40')))).toEqual({
      code: 'venue_order_id_mismatch', known: VENUE_ORDER_ID, reported: OTHER_VENUE_ORDER_ID,
    });
  });

  it('given a cancel requested before the ack, when the ack arrives, then the order stays pending_cancel and learns its id', () => {
    const order = after(orderIn('pending_cancel', { acked: false }), recordAck());
    expect(order).toMatchObject({ status: 'pending_cancel', venueOrderId: VENUE_ORDER_ID });
  });

  it('given a refused order, when an ack arrives, then invalid_transition', () => {
    expect(refusal(recordAck(), orderIn('rejected'))).toEqual({ code: 'invalid_transition', from: 'rejected', event: 'acked' });
  });
});

describe('record_fill', () => {
  it('given an acked order of 100, when 40 fill, then partially_filled with 40 filled and 60 left', () => {
    const order = after(orderIn('acked'), recordFill('40'));
    expect(order.status).toBe('partially_filled');
    expect(decimalText(order.filledQuantity)).toBe('40');
  });

  it('given 40 of 100 filled, when the other 60 fill, then filled', () => {
    const order = after(orderIn('partially_filled', { filled: '40' }), recordFill('60'));
    expect(order.status).toBe('filled');
    expect(decimalText(order.filledQuantity)).toBe('100');
  });

  it('given an order for 0.3, when 0.1 and 0.2 fill, then exactly filled (no float drift)', () => {
    const order = given(submit({ quantity: fromText('0.3') }), recordAck(), recordFill('0.1'), recordFill('0.2'));
    expect(order.status).toBe('filled');
  });

  it('given a cancel request in flight, when part fills, then the order stays pending_cancel with the fill counted', () => {
    const order = after(orderIn('pending_cancel'), recordFill('30'));
    expect(order.status).toBe('pending_cancel');
    expect(decimalText(order.filledQuantity)).toBe('30');
  });

  it('given a cancel request in flight, when the rest fills, then filled', () => {
    const order = after(orderIn('pending_cancel', { filled: '40' }), recordFill('60'));
    expect(order.status).toBe('filled');
  });

  it.each(['cancelled', 'expired'] as const)('given a %s order, when a late partial fill arrives, then it keeps its status and the fill counts', (status) => {
    const order = after(orderIn(status, { filled: '40' }), recordFill('10'));
    expect(order.status).toBe(status);
    expect(decimalText(order.filledQuantity)).toBe('50');
  });

  it.each(['cancelled', 'expired'] as const)('given a %s order, when late fills complete it, then filled', (status) => {
    const order = after(orderIn(status, { filled: '40' }), recordFill('60'));
    expect(order.status).toBe('filled');
  });

  it('given an acked order of 100, when 101 fill, then overfill with leaves and requested', () => {
    expect(refusal(recordFill('101'), orderIn('acked'))).toEqual({ code: 'overfill', leaves: fromText('100'), requested: fromText('101') });
  });

  it('given 40 of 100 filled, when 60.000000000001 fill, then overfill with 60 left', () => {
    const error = refusal(recordFill('60.000000000001'), orderIn('partially_filled', { filled: '40' }));
    expect(error).toMatchObject({ code: 'overfill' });
    expect(error).toHaveProperty('leaves', fromText('60'));
    expect(error).toHaveProperty('requested', fromText('60.000000000001'));
  });

  it('given a filled order, when another fill arrives, then overfill with nothing left', () => {
    expect(refusal(recordFill('1'), orderIn('filled'))).toEqual({ code: 'overfill', leaves: fromText('0'), requested: fromText('1') });
  });

  it('given a refused order, when a fill arrives, then invalid_transition', () => {
    expect(refusal(recordFill('1'), orderIn('rejected'))).toEqual({ code: 'invalid_transition', from: 'rejected', event: 'fill' });
  });

  it('given an order acked as SIM-1, when a fill for SIM-2 arrives, then venue_order_id_mismatch and nothing counts', () => {
    expect(refusal(recordFill('10', '150.25', OTHER_VENUE_ORDER_ID), orderIn('acked'))).toEqual({
      code: 'venue_order_id_mismatch', known: VENUE_ORDER_ID, reported: OTHER_VENUE_ORDER_ID,
    });
  });
});

describe('record_cancel_reject', () => {
  it.each([
    { shape: { acked: false }, then: 'pending' },
    { shape: { acked: true }, then: 'acked' },
    { shape: { acked: true, filled: '40' }, then: 'partially_filled' },
    { shape: { acked: false, filled: '40' }, then: 'partially_filled' },
  ])('given a cancel in flight ($shape), when the venue refuses it, then the order works again as $then', ({ shape, then }) => {
    const order = after(orderIn('pending_cancel', shape), recordCancelReject());
    expect(order.status).toBe(then);
    expect(order).not.toHaveProperty('reason');
  });

  it.each(['pending', 'acked', 'partially_filled', 'settled'] as const)('given a %s order with no cancel in flight, when a cancel reject arrives, then invalid_transition', (status) => {
    expect(refusal(recordCancelReject(), orderIn(status))).toEqual({ code: 'invalid_transition', from: status, event: 'cancel_rejected' });
  });
});

describe('record_cancel, record_reject, record_expiry', () => {
  it('given an acked order, when the venue cancels it, then cancelled with the venue reason', () => {
    expect(after(orderIn('acked'), recordCancel('ioc remainder'))).toMatchObject({ status: 'cancelled', reason: 'ioc remainder' });
  });

  it('given a pending order, when the venue refuses it, then rejected with the reason', () => {
    expect(after(orderIn('pending'), recordReject('unknown symbol'))).toMatchObject({ status: 'rejected', reason: 'unknown symbol' });
  });

  it('given an acked order, when a reject arrives, then invalid_transition (a venue refuses orders before working them)', () => {
    expect(refusal(recordReject(), orderIn('acked'))).toEqual({ code: 'invalid_transition', from: 'acked', event: 'rejected' });
  });

  it('given a partly filled order, when the day ends, then expired with the fills standing', () => {
    const order = after(orderIn('partially_filled', { filled: '40' }), recordExpiry('end of day'));
    expect(order).toMatchObject({ status: 'expired', reason: 'end of day' });
    expect(decimalText(order.filledQuantity)).toBe('40');
  });

  it('given a cancelled order, when the venue cancels again, then invalid_transition', () => {
    expect(refusal(recordCancel(), orderIn('cancelled'))).toEqual({ code: 'invalid_transition', from: 'cancelled', event: 'cancelled' });
  });
});

describe('settle', () => {
  it('given a filled order, when settled, then settled', () => {
    expect(after(orderIn('filled'), settle()).status).toBe('settled');
  });

  const others = ORDER_STATUSES.filter((s) => s !== 'filled').flatMap((status) => SHAPES[status].map((shape) => ({ status, shape })));
  it.each(others)('given a $status order ($shape), when settled, then invalid_transition', ({ status, shape }) => {
    expect(refusal(settle(), orderIn(status, shape))).toEqual({ code: 'invalid_transition', from: status, event: 'settled' });
  });
});

describe('purity', () => {
  it('given an order, when decide and evolve run, then the order given is unchanged and time comes only from the input', () => {
    const order = orderIn('partially_filled');
    const before = JSON.stringify(order);
    const decision = decide(recordFill('10'), order, NOW);
    expect(decision.ok && decision.value[0]?.at).toBe(NOW);
    if (decision.ok) evolve(order, decision.value[0]!);
    expect(JSON.stringify(order)).toBe(before);
  });
});
