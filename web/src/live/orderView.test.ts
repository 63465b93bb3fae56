import { describe, expect, it } from 'vitest';
import type { Order, StreamEvent } from '../api/types.ts';
import { applyEvent, applyEvents, emptyView, mergeOrders, rowsNewestFirst, type OrderView } from './orderView.ts';

const ORDER_A = '019a0000-0000-7000-8000-00000000000a';
const ORDER_B = '019a0000-0001-7000-8000-00000000000b';

function event(seq: number, overrides: Partial<StreamEvent> = {}): StreamEvent {
  return {
    seq, event: 'order.acked', order_id: ORDER_A, client_order_id: 'c-a', symbol: 'AAPL', side: 'buy',
    status: 'acked', total_filled: '0', average_fill_price: null, venue: 'sim', reason: null,
    timestamp: `2026-11-21T12:00:${String(seq).padStart(2, '0')}.000Z`, ...overrides,
  };
}

function order(id: string, overrides: Partial<Order> = {}): Order {
  return {
    id, client_order_id: `c-${id.slice(-1)}`, trader_id: 'alice', symbol: 'AAPL', side: 'buy', type: 'limit',
    time_in_force: 'day', quantity: '10', limit_price: '150.25', stop_price: null, status: 'acked', filled_quantity: '0',
    average_fill_price: null, venue: 'sim', venue_order_id: 'v-1', reject_reason: null,
    created_at: '2026-11-21T12:00:00.000Z', updated_at: '2026-11-21T12:00:00.000Z', ...overrides,
  };
}

function applied(view: OrderView, e: StreamEvent): OrderView {
  const outcome = applyEvent(view, e);
  if (outcome.kind !== 'applied') throw new Error(`expected ${e.seq} to apply, got ${outcome.kind}`);
  return outcome.view;
}

describe('applyEvent', () => {
  it('applies the next seq and takes the order state the event carries', () => {
    const view = applied(applied(emptyView(), event(1, { event: 'order.submitted', status: 'pending' })), event(2));
    const filled = applied(view, event(3, { event: 'order.filled', status: 'filled', total_filled: '10', average_fill_price: '150.10' }));
    expect(filled.lastSeq).toBe(3);
    expect(filled.rows.get(ORDER_A)).toMatchObject({ status: 'filled', filled_quantity: '10', average_fill_price: '150.10', client_order_id: 'c-a' });
  });

  it('drops an event at or below the last seq applied, changing nothing', () => {
    const view = applied(applied(emptyView(), event(1)), event(2, { status: 'filled' }));
    expect(applyEvent(view, event(2, { status: 'cancelled' }))).toEqual({ kind: 'duplicate' });
    expect(applyEvent(view, event(1, { status: 'pending' }))).toEqual({ kind: 'duplicate' });
    expect(view.rows.get(ORDER_A)?.status).toBe('filled');
  });

  it('reports a gap and applies nothing past it', () => {
    const view = applied(emptyView(), event(1));
    expect(applyEvent(view, event(3))).toEqual({ kind: 'gap', expectedSeq: 2, receivedSeq: 3 });
  });

  it('resumes after a seq the view starts from', () => {
    const view = emptyView(41);
    expect(applyEvent(view, event(41)).kind).toBe('duplicate');
    expect(applied(view, event(42)).lastSeq).toBe(42);
  });

  it('names an order first seen in the stream as missing its terms until they are merged', () => {
    const outcome = applyEvent(emptyView(), event(1, { order_id: ORDER_B }));
    expect(outcome).toMatchObject({ kind: 'applied', missingTerms: ORDER_B });
    const view = outcome.kind === 'applied' ? outcome.view : emptyView();
    expect(view.rows.get(ORDER_B)?.terms).toBeNull();
    const merged = mergeOrders(view, [order(ORDER_B)]);
    expect(merged.rows.get(ORDER_B)?.terms).toMatchObject({ quantity: '10', limit_price: '150.25', type: 'limit' });
    expect(applyEvent(merged, event(2, { order_id: ORDER_B }))).toMatchObject({ kind: 'applied', missingTerms: null });
  });

  it('advances past an event that names no order (a kill switch) without touching the orders', () => {
    const view = applied(emptyView(), event(1));
    const tripped: StreamEvent = { seq: 2, event: 'kill_switch.tripped', trading_state: 'halted', timestamp: '2026-11-21T12:00:02.000Z' };
    const after = applied(view, tripped);
    expect(after.lastSeq).toBe(2);
    expect(after.rows).toBe(view.rows);
  });

  it('keeps a rejection reason only while the order is rejected', () => {
    const rejected = applied(emptyView(), event(1, { event: 'order.rejected', status: 'rejected', reason: 'venue closed' }));
    expect(rejected.rows.get(ORDER_A)?.reject_reason).toBe('venue closed');
  });
});

describe('applyEvents', () => {
  it('applies a batch in order, counting duplicates and stopping at the first gap', () => {
    const start = applied(emptyView(), event(1));
    const outcome = applyEvents(start, [event(1), event(2), event(2), event(3, { status: 'filled' }), event(5), event(6)]);
    expect(outcome.view.lastSeq).toBe(3);
    expect(outcome.applied.map((e) => e.seq)).toEqual([2, 3]);
    expect(outcome.duplicates).toBe(2);
    expect(outcome.gap).toEqual({ expectedSeq: 4, receivedSeq: 5 });
    expect(outcome.view.rows.get(ORDER_A)?.status).toBe('filled');
  });

  it('lists each order missing its terms once', () => {
    const outcome = applyEvents(emptyView(), [event(1), event(2), event(3, { order_id: ORDER_B })]);
    expect(outcome.missingTerms).toEqual([ORDER_A, ORDER_B]);
    expect(outcome.gap).toBeNull();
  });
});

describe('mergeOrders', () => {
  it('never takes a row the stream has spoken about backwards', () => {
    const live = mergeOrders(applied(emptyView(), event(1, { status: 'filled', total_filled: '10' })), [order(ORDER_A, { status: 'acked' })]);
    expect(live.rows.get(ORDER_A)).toMatchObject({ status: 'filled', filled_quantity: '10' });
    expect(live.rows.get(ORDER_A)?.terms?.quantity).toBe('10');
  });

  it('adds orders the view does not have, whole, and returns the same view when nothing is new', () => {
    const view = mergeOrders(emptyView(7), [order(ORDER_A), order(ORDER_B, { status: 'cancelled' })]);
    expect(view.lastSeq).toBe(7);
    expect(view.rows.get(ORDER_B)?.status).toBe('cancelled');
    expect(mergeOrders(view, [order(ORDER_A, { status: 'filled' })])).toBe(view);
  });

  it('lists rows newest first by their time-ordered ids', () => {
    const view = mergeOrders(emptyView(), [order(ORDER_A), order(ORDER_B)]);
    expect(rowsNewestFirst(view).map((row) => row.id)).toEqual([ORDER_B, ORDER_A]);
  });
});
