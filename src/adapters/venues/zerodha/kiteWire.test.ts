/** Mapping between the gateway's orders and Kite Connect v3's wire format. */
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { D } from '../../../domain/money.ts';
import type { VenueOrderRequest } from '../../../ports/venue.ts';
import {
  fillIdOf, isAcknowledged, istDayStart, istTime, orderOf, placeForm, statusOf, tagFor, uuidV7Time, viewOf,
} from './kiteWire.ts';

const request = (changes: Partial<VenueOrderRequest> = {}): VenueOrderRequest => ({
  clientOrderId: '0190d5a8-7c3e-7b11-9f00-3c5d2e1a4b6f', account: 'alice', symbol: 'INFY', side: 'sell', type: 'market',
  timeInForce: 'day', quantity: new D('5'), limitPrice: null, stopPrice: null, ...changes,
});
const settings = { exchange: 'NSE', product: 'MIS' };

describe('tagFor', () => {
  it('given any client order id, then the tag is 20 alphanumerics, stable, and distinct across ids', () => {
    const ids = Array.from({ length: 2000 }, () => uuidv7());
    const tags = ids.map(tagFor);
    expect(tags.every((tag) => /^og[0-9a-z]{18}$/.test(tag))).toBe(true);
    expect(new Set(tags).size).toBe(ids.length);
    expect(ids.map(tagFor)).toEqual(tags);
  });
});

describe('placeForm', () => {
  it.each([
    [{ type: 'market' as const }, { order_type: 'MARKET' }],
    [{ type: 'limit' as const, limitPrice: new D('1450.05') }, { order_type: 'LIMIT', price: '1450.05' }],
    [{ type: 'stop' as const, stopPrice: new D('1400') }, { order_type: 'SL-M', trigger_price: '1400' }],
    [{ type: 'stop_limit' as const, stopPrice: new D('1400'), limitPrice: new D('1399.5') }, { order_type: 'SL', trigger_price: '1400', price: '1399.5' }],
    [{ timeInForce: 'ioc' as const }, { validity: 'IOC' }],
  ])('given %o, then the form carries %o', (changes, expected) => {
    const placed = placeForm(request(changes), settings);
    expect(placed.ok && Object.fromEntries(placed.form)).toMatchObject({
      tradingsymbol: 'INFY', exchange: 'NSE', product: 'MIS', transaction_type: 'SELL', quantity: '5', tag: tagFor(request().clientOrderId), ...expected,
    });
  });

  it('given what Kite has no form for, then the reason says so', () => {
    expect(placeForm(request({ timeInForce: 'fok' }), settings)).toEqual({ ok: false, reason: 'Kite has no fok validity (only DAY, IOC, TTL)' });
    expect(placeForm(request({ quantity: new D('0.5') }), settings)).toEqual({ ok: false, reason: 'Kite trades whole quantities; got 0.5' });
  });
});

describe('statuses', () => {
  it('maps Kite statuses to the port and tells validation from an open order', () => {
    expect(['OPEN', 'TRIGGER PENDING', 'UPDATE', 'COMPLETE', 'CANCELLED', 'REJECTED'].map(statusOf))
      .toEqual(['working', 'working', 'working', 'filled', 'cancelled', 'rejected']);
    expect(['PUT ORDER REQ RECEIVED', 'VALIDATION PENDING', 'OPEN PENDING', 'REJECTED'].some(isAcknowledged)).toBe(false);
    expect(['OPEN', 'TRIGGER PENDING', 'COMPLETE', 'CANCELLED', 'AMO REQ RECEIVED'].every(isAcknowledged)).toBe(true);
  });
});

describe('viewOf', () => {
  it('given an order and its trades, then fills are ordered by fill time with ids unique across days', () => {
    const order = orderOf({ order_id: '220303000308932', status: 'COMPLETE', status_message: null, quantity: '10', filled_quantity: '10', tag: 'og1' });
    const trades = [
      { trade_id: '2', order_id: '220303000308932', quantity: '6', average_price: '470.05', fill_timestamp: '2022-03-03 09:24:27' },
      { trade_id: '1', order_id: '220303000308932', quantity: '4', average_price: '470', fill_timestamp: '2022-03-03 09:24:25' },
    ];
    const view = viewOf('client-1', order, trades, new Date());
    expect(view).toMatchObject({ clientOrderId: 'client-1', venueOrderId: '220303000308932', status: 'filled', reason: null });
    expect(view.fills.map((fill) => [fill.venueFillId, fill.quantity.toFixed(), fill.price.toFixed(), fill.at.toISOString()])).toEqual([
      [fillIdOf('220303000308932', '1'), '4', '470', '2022-03-03T03:54:25.000Z'],
      ['220303000308932/2', '6', '470.05', '2022-03-03T03:54:27.000Z'],
    ]);
  });

  it('given a rejected order, then the reason is Kite\'s status message', () => {
    const order = orderOf({ order_id: '1', status: 'REJECTED', status_message: 'Insufficient funds.', quantity: '1', filled_quantity: '0', tag: null });
    expect(viewOf('c', order, [], new Date()).reason).toBe('Insufficient funds.');
  });
});

describe('times', () => {
  it('reads Kite timestamps as IST and finds the start of the IST day', () => {
    expect(istTime('2022-03-03 09:24:25', new Date(0)).toISOString()).toBe('2022-03-03T03:54:25.000Z');
    expect(istTime(null, new Date(0))).toEqual(new Date(0));
    expect(istDayStart(new Date('2026-01-05T20:00:00Z')).toISOString()).toBe('2026-01-05T18:30:00.000Z');
    expect(istDayStart(new Date('2026-01-05T17:00:00Z')).toISOString()).toBe('2026-01-04T18:30:00.000Z');
  });

  it('reads the creation time of a UUIDv7, and nothing from other ids', () => {
    expect(uuidV7Time(uuidv7({ msecs: 1_767_600_000_000 }))?.getTime()).toBe(1_767_600_000_000);
    expect(uuidV7Time('0190d5a8-7c3e-4b11-9f00-3c5d2e1a4b6f')).toBeNull();
    expect(uuidV7Time('not-a-uuid')).toBeNull();
  });
});
