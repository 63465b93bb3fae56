/** Mapping between the gateway's orders and Alpaca's Trading API v2 wire format. */
import { describe, expect, it } from 'vitest';
import { D } from '../../../domain/money.ts';
import { AlpacaWireError, fillIdOf, orderBody, reportOf, statusOf, viewOf, type AlpacaOrder } from './alpacaWire.ts';

const order = (changes: Partial<AlpacaOrder> = {}): AlpacaOrder => ({
  id: 'a5be8f5e-fdfa-41f5-a644-7a74fe947a8f', client_order_id: 'c-1', status: 'partially_filled', qty: '10', filled_qty: '4',
  created_at: '2022-04-19T13:45:04.981350886-04:00', ...changes,
});
const at = new Date('2026-01-05T14:30:00Z');

describe('orderBody', () => {
  it('given a request, then quantities and prices travel as exact decimal strings', () => {
    expect(orderBody({
      clientOrderId: 'c-1', account: 'alice', symbol: 'AAPL', side: 'buy', type: 'stop_limit', timeInForce: 'gtc',
      quantity: new D('0.000000001'), limitPrice: new D('100.10'), stopPrice: new D('99.9'),
    })).toEqual({ ok: true, body: {
      symbol: 'AAPL', qty: '0.000000001', side: 'buy', type: 'stop_limit', time_in_force: 'gtc', client_order_id: 'c-1', limit_price: '100.1', stop_price: '99.9',
    } });
  });
});

describe('reportOf', () => {
  it('given trade update events, then each maps to its report, and the rest to nothing', () => {
    const kinds = ['new', 'partial_fill', 'fill', 'canceled', 'expired', 'rejected', 'replaced', 'order_cancel_rejected', 'pending_new', 'done_for_day', 'something_new']
      .map((event) => reportOf({ event, order: order(), qty: '1', price: '1', timestamp: '2026-01-05T14:30:00Z' }, at)?.kind ?? null);
    expect(kinds).toEqual(['ack', 'fill', 'fill', 'cancelled', 'expired', 'rejected', 'cancelled', 'cancel_rejected', null, null, null]);
  });

  it('given a fill on the stream and the same fill in the activities, then both carry one venue fill id', () => {
    const update = { event: 'partial_fill', execution_id: 'e-1', order: order({ filled_qty: '4' }), qty: '4', price: '105.8988475', timestamp: '2026-01-05T14:30:00Z' };
    const streamed = reportOf(update, at);
    const viewed = viewOf(order({ filled_qty: '4' }), [
      { id: '20260105143000000::x', order_id: order().id, qty: '4', price: '105.8988475', cum_qty: '4.0', transaction_time: '2026-01-05T14:30:00Z' },
    ]);
    expect(streamed).toMatchObject({ kind: 'fill', venueFillId: fillIdOf(order().id, new D(4)), quantity: new D(4), price: new D('105.8988475') });
    expect(viewed.fills[0]!.venueFillId).toBe(streamed?.kind === 'fill' ? streamed.venueFillId : 'not a fill');
  });

  it('given a number sent as a JSON float instead of a decimal string, then the update is refused, not rounded', () => {
    expect(() => reportOf({ event: 'fill', order: order(), qty: 4 as unknown as string, price: '1' }, at)).toThrow(AlpacaWireError);
  });
});

describe('statusOf', () => {
  it('maps Alpaca statuses to the port', () => {
    expect(['new', 'accepted', 'partially_filled', 'done_for_day', 'filled', 'canceled', 'expired', 'rejected', 'replaced'].map(statusOf))
      .toEqual(['working', 'working', 'working', 'working', 'filled', 'cancelled', 'expired', 'rejected', 'cancelled']);
  });
});
