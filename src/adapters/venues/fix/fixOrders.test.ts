/** FIX order messages both ways: exact decimals on the wire, and execution reports read into the port's reports. */
import { describe, expect, it } from 'vitest';
import { D } from '../../../domain/money.ts';
import type { VenueOrderRequest } from '../../../ports/venue.ts';
import { FixMessage, type FixField } from './fixCodec.ts';
import { newOrderSingle, orderCancelRequest, portReport, readExecutionReport, termsOf, type FixExecution } from './fixOrders.ts';

const at = new Date('2026-01-05T14:30:00.123Z');
const order: VenueOrderRequest = {
  clientOrderId: '0194a1b2-0000-7000-8000-000000000001', account: 'alice', symbol: 'AAPL', side: 'sell', type: 'stop_limit',
  timeInForce: 'ioc', quantity: new D('12.5'), limitPrice: new D('150.000000000001'), stopPrice: new D('151'),
};

const report = (fields: FixField[]) => new FixMessage([[35, '8'], [52, '20260105-14:30:01.000'], ...fields]);
const trade: FixField[] = [[11, 'order-1'], [37, 'V-1'], [17, 'E-7'], [150, 'F'], [39, '1'], [32, '4'], [31, '99.125'], [14, '4'], [151, '6']];

describe('FIX order messages', () => {
  it('given an order, when sent, then every price and quantity is the exact decimal text and the enums are FIX codes', () => {
    expect(newOrderSingle(order, at)).toEqual([
      [11, order.clientOrderId], [1, 'alice'], [21, '1'], [55, 'AAPL'], [54, '2'], [60, '20260105-14:30:00.123'],
      [38, '12.5'], [40, '4'], [44, '150.000000000001'], [99, '151'], [59, '3'],
    ]);
    expect(termsOf(newOrderSingle(order, at))).toEqual({ clientOrderId: order.clientOrderId, terms: { symbol: 'AAPL', side: '2', quantity: new D('12.5') } });
  });

  it('given a market day order, when sent, then it carries no price', () => {
    const body = newOrderSingle({ ...order, type: 'market', timeInForce: 'day', limitPrice: null, stopPrice: null }, at);
    expect(body.map(([tag]) => tag)).not.toContain(44);
    expect(body).toContainEqual([40, '1']);
    expect(body).toContainEqual([59, '0']);
  });

  it('given a cancel, then it names the order as OrigClOrdID under a ClOrdID of its own', () => {
    expect(orderCancelRequest('order-1', 'cancel-1', { symbol: 'AAPL', side: '1', quantity: new D(10) }, at)).toEqual([
      [41, 'order-1'], [11, 'cancel-1'], [55, 'AAPL'], [54, '1'], [60, '20260105-14:30:00.123'], [38, '10'],
    ]);
  });

  it('given a trade report, then it is a fill of exact decimals whose id is the order id plus ExecID', () => {
    const execution = readExecutionReport(report(trade)) as FixExecution;
    expect(portReport(execution)).toEqual({
      kind: 'fill', clientOrderId: 'order-1', venueOrderId: 'V-1', venueFillId: 'order-1/E-7',
      quantity: new D(4), price: new D('99.125'), commission: new D(0), at: new Date('2026-01-05T14:30:01.000Z'),
    });
  });

  it.each([
    ['absolute', [[12, '1.5'], [13, '3']], '1.5'],
    ['per unit', [[12, '0.01'], [13, '1']], '0.04'],
    ['percent', [[12, '0.1'], [13, '2']], '0.3965'],
  ] as [string, FixField[], string][])('given a %s commission, then the fill carries it in money', (_, fields, expected) => {
    const execution = readExecutionReport(report([...trade, ...fields])) as FixExecution;
    expect(execution.fill?.commission.toFixed()).toBe(expected);
  });

  it('given an answer to a cancel request, then the report names the original order, not the cancel request', () => {
    const execution = readExecutionReport(report([[11, 'cancel-1'], [41, 'order-1'], [37, 'V-1'], [17, 'E-8'], [150, '4'], [39, '4'], [60, '20260105-14:30:02']])) as FixExecution;
    expect(execution.requestId).toBe('cancel-1');
    expect(portReport(execution)).toEqual({ kind: 'cancelled', clientOrderId: 'order-1', venueOrderId: 'V-1', reason: null, at: new Date('2026-01-05T14:30:02.000Z') });
  });

  it('given a reject under a cancel request id, then it is the cancel that was refused, not the order', () => {
    const execution = readExecutionReport(report([[11, 'cancel-1'], [41, 'order-1'], [37, 'V-1'], [17, 'E-8'], [150, '8'], [39, '0'], [58, 'too late']])) as FixExecution;
    expect(portReport(execution)).toMatchObject({ kind: 'cancel_rejected', clientOrderId: 'order-1', venueOrderId: 'V-1', reason: 'too late' });
  });

  it('given a reject for a duplicate ClOrdID, then nothing is reported for the order that id already names', () => {
    const execution = readExecutionReport(report([[11, 'order-1'], [37, 'NONE'], [17, 'E-9'], [150, '8'], [39, '8'], [103, '6']])) as FixExecution;
    expect(portReport(execution)).toBeNull();
  });

  it.each([
    ['no ExecID', trade.filter(([tag]) => tag !== 17)],
    ['a trade without LastPx', trade.filter(([tag]) => tag !== 31)],
    ['a LastQty in exponent form', trade.map(([tag, value]): FixField => [tag, tag === 32 ? '4e0' : value])],
    ['an unknown CommType', [...trade, [12, '1'], [13, '9']]],
  ] as [string, FixField[]][])('given a report with %s, then it is refused with a reason', (_, fields) => {
    expect(readExecutionReport(report(fields))).toEqual(expect.any(String));
  });
});
