import { describe, expect, it } from 'vitest';
import { fromText } from '../money.ts';
import { InvariantViolation } from '../result.ts';
import { decide } from './decide.ts';
import { createOrder, evolve } from './evolve.ts';
import {
  at, fill, given, orderIn, OTHER_VENUE_ORDER_ID, recordAck, recordCancel, recordCancelReject, recordExpiry, recordFill,
  recordReject, requestCancel, settle, submit, terms, VENUE_ORDER_ID,
} from './fixtures.ts';
import { averageFillPrice, leavesQuantity, type Order } from './order.ts';

const text = (value: { toFixed(): string } | null) => (value === null ? null : value.toFixed());

describe('createOrder', () => {
  it('given a submitted event, when the order is created, then it is pending at version 1 with nothing filled', () => {
    const orderTerms = terms();
    const order = createOrder({ kind: 'submitted', at: at(5), terms: orderTerms });
    expect(order).toMatchObject({ ...orderTerms, status: 'pending', venueOrderId: null, version: 1, updatedAt: at(5) });
    expect(text(order.filledQuantity)).toBe('0');
    expect(text(order.filledNotional)).toBe('0');
    expect(averageFillPrice(order)).toBeNull();
    expect(text(leavesQuantity(order))).toBe('100');
  });
});

describe('version and time', () => {
  it('given a submitted order, when each event applies, then the version rises by exactly one and updatedAt is the event time', () => {
    let order: Order = orderIn('pending');
    const events = [
      { kind: 'acked', at: at(10), venueOrderId: VENUE_ORDER_ID },
      { kind: 'fill', at: at(11), fill: fill('10') },
      { kind: 'cancel_requested', at: at(12), reason: null },
      { kind: 'fill', at: at(13), fill: fill('20') },
      { kind: 'cancel_rejected', at: at(14), reason: 'too late' },
      { kind: 'fill', at: at(15), fill: fill('70') },
      { kind: 'settled', at: at(16) },
    ] as const;
    events.forEach((event, i) => {
      order = evolve(order, event);
      expect(order.version).toBe(2 + i);
      expect(order.updatedAt).toBe(event.at);
    });
    expect(order.status).toBe('settled');
  });

  it('given a repeated ack, when decided, then no event and so no new version', () => {
    const order = orderIn('acked');
    expect(decide(recordAck(), order, at(9))).toEqual({ ok: true, value: [] });
  });
});

describe('executions', () => {
  it('given fills of 40 at 150.25 and 60 at 150.30, then filledNotional 15028 and the average price 150.28', () => {
    const order = given(submit(), recordAck(), recordFill('40', '150.25'), recordFill('60', '150.30'));
    expect(text(order.filledNotional)).toBe('15028');
    expect(text(averageFillPrice(order))).toBe('150.28');
  });

  it('given fills of 1 at 1 and 2 at 2, then the average price is 5/3 rounded to 12 decimal places', () => {
    const order = given(submit({ quantity: fromText('3') }), recordFill('1', '1'), recordFill('2', '2'));
    expect(text(averageFillPrice(order))).toBe('1.666666666667');
  });

  it('given an average exactly halfway at the 13th decimal, then it rounds half to even', () => {
    const down = given(submit({ quantity: fromText('2') }), recordFill('1', '1.000000000001'), recordFill('1', '1'));
    const up = given(submit({ quantity: fromText('2') }), recordFill('1', '1.000000000002'), recordFill('1', '1.000000000001'));
    expect(text(averageFillPrice(down))).toBe('1');
    expect(text(averageFillPrice(up))).toBe('1.000000000002');
  });

  it('given fills of 0.1 and 0.2 at 0.1, then filledQuantity is exactly 0.3 and filledNotional exactly 0.03', () => {
    const order = given(submit(), recordFill('0.1', '0.1'), recordFill('0.2', '0.1'));
    expect(text(order.filledQuantity)).toBe('0.3');
    expect(text(order.filledNotional)).toBe('0.03');
    expect(text(averageFillPrice(order))).toBe('0.1');
  });

  it('given the largest quantity and price the parser accepts, then filledNotional is still exact', () => {
    const quantity = '123456789012.123456789012';
    const price = '123456789.123456789012';
    const order = given(submit({ quantity: fromText(quantity) }), recordFill(quantity, price));
    expect(text(order.filledNotional)).toBe(exactProduct(quantity, price));
    const largest = '999999999999999999.999999999999';
    const big = given(submit({ quantity: fromText(largest) }), recordFill(largest, largest));
    expect(text(big.filledNotional)).toBe(exactProduct(largest, largest));
    expect(text(averageFillPrice(big))).toBe(largest);
  });

  it('given a fill before any ack, then the order learns its venue order id from the fill', () => {
    expect(given(submit(), recordFill('5'))).toMatchObject({ status: 'partially_filled', venueOrderId: VENUE_ORDER_ID });
  });

  it('given a known venue order id, when a late ack event applies, then the id does not change', () => {
    const order = evolve(orderIn('filled'), { kind: 'acked', at: at(9), venueOrderId: OTHER_VENUE_ORDER_ID });
    expect(order.venueOrderId).toBe(VENUE_ORDER_ID);
  });
});

describe('reasons live on the variants that have them', () => {
  it('given a cancel confirmed with a reason, when the venue also refuses a repeated cancel, then the cancel reason is kept', () => {
    const order = given(submit(), recordAck(), recordCancel('trader asked'), recordCancelReject('order already cancelled'));
    expect(order).toMatchObject({ status: 'cancelled', reason: 'trader asked' });
  });

  it('given an order that expired or was refused while our cancel was in flight, when the cancel is refused, then its own reason is kept', () => {
    const expired = given(submit(), recordAck(), requestCancel(), recordExpiry('end of day'), recordCancelReject('unknown order'));
    const rejected = given(submit(), requestCancel(), recordReject('unknown symbol'), recordCancelReject('unknown order'));
    expect(expired).toMatchObject({ status: 'expired', reason: 'end of day' });
    expect(rejected).toMatchObject({ status: 'rejected', reason: 'unknown symbol' });
  });

  it('given an expired order that never heard its ack, when the ack arrives, then it keeps its reason and learns its venue order id', () => {
    const order = given(submit(), recordExpiry('ioc: no liquidity'), recordAck());
    expect(order).toMatchObject({ status: 'expired', reason: 'ioc: no liquidity', venueOrderId: VENUE_ORDER_ID });
  });

  it('given a cancelled order, when a late ack and a late partial fill arrive, then the reason is kept', () => {
    const order = given(submit(), requestCancel(), recordCancel('trader asked'), recordAck(), recordFill('10'));
    expect(order).toMatchObject({ status: 'cancelled', reason: 'trader asked', venueOrderId: VENUE_ORDER_ID });
  });

  it('given a cancelled order, when late fills complete it, then filled with no reason', () => {
    const order = given(submit(), recordAck(), recordCancel('trader asked'), recordFill('100'));
    expect(order.status).toBe('filled');
    expect(order).not.toHaveProperty('reason');
  });

  it('given a pending order, when rejected, then the reason is the venue reason', () => {
    expect(given(submit(), recordReject('lot size'))).toMatchObject({ status: 'rejected', reason: 'lot size' });
  });

  it('given an expiry without a reason, then expired with reason null', () => {
    expect(given(submit(), recordAck(), recordExpiry(null))).toMatchObject({ status: 'expired', reason: null });
  });

  it('given a cancel in flight, when it is refused, then the working order carries no reason', () => {
    const order = given(submit(), recordAck(), requestCancel(), recordCancelReject('too late'));
    expect(order.status).toBe('acked');
    expect(order).not.toHaveProperty('reason');
  });
});

describe('broken invariants throw', () => {
  it('given an acked order, when an event the table does not allow applies, then InvariantViolation', () => {
    expect(() => evolve(orderIn('acked'), { kind: 'settled', at: at(9) })).toThrow(InvariantViolation);
    expect(() => evolve(orderIn('rejected'), { kind: 'fill', at: at(9), fill: fill('1') })).toThrow(InvariantViolation);
  });

  it('given 40 of 100 filled, when a fill of 61 applies, then InvariantViolation (decide would have refused it)', () => {
    expect(() => evolve(orderIn('partially_filled', { filled: '40' }), { kind: 'fill', at: at(9), fill: fill('61') })).toThrow(/overfilled/);
  });

  it.each(['0', '-10'])('given an acked order, when a fill of %s applies, then InvariantViolation (fills are positive)', (quantity) => {
    const bad = { ...fill('1'), quantity: fromText(quantity) };
    expect(() => evolve(orderIn('acked'), { kind: 'fill', at: at(9), fill: bad })).toThrow(InvariantViolation);
  });

  it('given an order, when a second submitted event applies, then InvariantViolation', () => {
    const order = orderIn('pending');
    expect(() => evolve(order, { kind: 'submitted', at: at(9), terms: order })).toThrow(InvariantViolation);
  });

  it('given stored data claiming filled with no venue order id, when settled, then InvariantViolation', () => {
    const corrupt = { ...orderIn('pending'), status: 'filled', filledQuantity: fromText('100') } as unknown as Order;
    expect(() => evolve(corrupt, { kind: 'settled', at: at(9) })).toThrow(/without a venue order id/);
  });
});

/** price × quantity by integer arithmetic, as the shortest decimal string. */
function exactProduct(a: string, b: string): string {
  const scaled = (s: string) => {
    const [whole, frac = ''] = s.split('.');
    return { units: BigInt(whole! + frac), scale: frac.length };
  };
  const x = scaled(a);
  const y = scaled(b);
  const units = (x.units * y.units).toString().padStart(x.scale + y.scale + 1, '0');
  const cut = units.length - (x.scale + y.scale);
  const fraction = units.slice(cut).replace(/0+$/, '');
  return fraction === '' ? units.slice(0, cut) : `${units.slice(0, cut)}.${fraction}`;
}
