import { describe, expect, it } from 'vitest';
import { D, ZERO } from '../money.ts';
import { checkOrder, type OrderUnderCheck, type TraderRiskState } from './checks.ts';
import { denialMessage, denialNumbers, type Denial } from './denials.ts';
import { effectiveLimits, type Instrument, type LimitSettings } from './limits.ts';

const AAPL: Instrument = { symbol: 'AAPL', lotSize: new D(1), tickSize: new D('0.01'), referencePrice: new D(150), tradable: true };

const buy = (overrides: Partial<OrderUnderCheck> = {}): OrderUnderCheck =>
  ({ symbol: 'AAPL', side: 'buy', type: 'limit', quantity: new D(10), limitPrice: new D(150), stopPrice: null, ...overrides });
const sell = (overrides: Partial<OrderUnderCheck> = {}) => buy({ side: 'sell', ...overrides });

function state(limits: LimitSettings = {}, overrides: Partial<TraderRiskState> = {}): TraderRiskState {
  return {
    limits: effectiveLimits({}, limits),
    firmState: 'active',
    traderState: 'active',
    buyingPower: new D(1_000_000),
    position: { quantity: ZERO, availableToSell: ZERO, openBuyQuantity: ZERO, openSellQuantity: ZERO },
    pnlToday: ZERO,
    ordersInLastSecond: 0,
    duplicateAgeMs: null,
    ...overrides,
  };
}

function denied(order: OrderUnderCheck, s: TraderRiskState, instrument: Instrument | null = AAPL): Denial {
  const decision = checkOrder(order, instrument, s);
  if (decision.ok) throw new Error(`expected a denial, got ${JSON.stringify(decision.value)}`);
  return decision.error;
}
const passes = (order: OrderUnderCheck, s: TraderRiskState, instrument: Instrument = AAPL) => expect(checkOrder(order, instrument, s).ok).toBe(true);

describe('pre-trade checks at their boundaries', () => {
  it('buying power: exactly the available cash passes; one cent more is denied with both amounts', () => {
    passes(buy({ quantity: new D(100), limitPrice: new D(32) }), state({}, { buyingPower: new D(3200) }));
    const d = denied(buy({ quantity: new D(100), limitPrice: new D('32.01') }), state({}, { buyingPower: new D(3200) }));
    expect(d.code).toBe('insufficient_buying_power');
    expect(denialMessage(d)).toBe('Insufficient funds for $3,201.00 order; available: $3,200.00');
    expect(denialNumbers(d)).toEqual({ requested: '3201', available: '3200' });
  });

  it('buying power: the issue example, a $15,000.00 order against $3,200.00', () => {
    const d = denied(buy({ quantity: new D(100), limitPrice: new D(150) }), state({}, { buyingPower: new D(3200) }));
    expect(denialMessage(d)).toBe('Insufficient funds for $15,000.00 order; available: $3,200.00');
  });

  it('a market buy is reserved at the reference price widened by the collar', () => {
    const decision = checkOrder(buy({ type: 'market', limitPrice: null }), AAPL, state({ priceCollarPct: new D(10) }));
    expect(decision.ok && decision.value.cash.toFixed()).toBe('1650');
  });

  it('max order quantity: the limit passes, one unit over is denied', () => {
    passes(buy({ quantity: new D(10_000), limitPrice: new D(1) }), state({ maxOrderQuantity: new D(10_000) }));
    const d = denied(buy({ quantity: new D(10_001), limitPrice: new D(1) }), state({ maxOrderQuantity: new D(10_000) }));
    expect(denialMessage(d)).toBe('Order quantity 10001 exceeds the maximum of 10000 per order; send 10000 or less.');
    expect(denialNumbers(d)).toEqual({ limit: '10000', requested: '10001' });
  });

  it('max order notional: the limit passes, one tick over is denied', () => {
    passes(buy({ quantity: new D(100), limitPrice: new D(100) }), state({ maxOrderNotional: new D(10_000) }));
    const d = denied(buy({ quantity: new D(100), limitPrice: new D('100.01') }), state({ maxOrderNotional: new D(10_000) }));
    expect(denialMessage(d)).toBe('Order notional of $10,001.00 exceeds the maximum of $10,000.00 per order; reduce the quantity or the price.');
  });

  it('price collar: a buy at reference + 10% passes, one tick above is denied; a passive price far below passes', () => {
    const limits = { priceCollarPct: new D(10) };
    passes(buy({ limitPrice: new D(165) }), state(limits));
    passes(buy({ limitPrice: new D(1) }), state(limits));
    const d = denied(buy({ limitPrice: new D('165.01') }), state(limits));
    expect(denialMessage(d)).toBe('Buy limit price 165.01 is more than 10% above the reference price 150.00; the highest allowed is 165.00.');
    expect(denialNumbers(d)).toMatchObject({ limit: '165', requested: '165.01' });
  });

  it('price collar: a sell at reference − 10% passes, one tick below is denied', () => {
    const s = state({ priceCollarPct: new D(10), allowShort: true });
    passes(sell({ limitPrice: new D(135) }), s);
    const d = denied(sell({ limitPrice: new D('134.99') }), s);
    expect(denialMessage(d)).toBe('Sell limit price 134.99 is more than 10% below the reference price 150.00; the lowest allowed is 135.00.');
  });

  it('max position: reaching the limit with open orders counted passes, one unit more is denied', () => {
    const position = { quantity: new D(900), availableToSell: new D(900), openBuyQuantity: new D(50), openSellQuantity: ZERO };
    passes(buy({ quantity: new D(50), limitPrice: new D(1) }), state({ maxPosition: new D(1000) }, { position }));
    const d = denied(buy({ quantity: new D(51), limitPrice: new D(1) }), state({ maxPosition: new D(1000) }, { position }));
    expect(denialMessage(d)).toBe('The order would take your AAPL position to 1001, past the maximum of 1000; send at most 50.');
  });

  it('daily loss limit: losses just under it pass; at it the order is denied with the issue text', () => {
    passes(buy(), state({ dailyLossLimit: new D(5000) }, { pnlToday: new D('-4999.99') }));
    const d = denied(buy(), state({ dailyLossLimit: new D(5000) }, { pnlToday: new D(-5000) }));
    expect(denialMessage(d)).toBe('Daily loss limit of $5,000.00 has been reached. Current losses: $5,000.00');
    expect(denialNumbers(d)).toEqual({ limit: '5000', current: '5000' });
  });

  it('daily loss limit: an order that only shrinks a position is still accepted', () => {
    const position = { quantity: new D(100), availableToSell: new D(100), openBuyQuantity: ZERO, openSellQuantity: ZERO };
    passes(sell({ quantity: new D(100) }), state({ dailyLossLimit: new D(5000) }, { pnlToday: new D(-6000), position }));
  });

  it('orders per second: the limit-th order passes, the next is denied', () => {
    passes(buy(), state({ ordersPerSecond: 50 }, { ordersInLastSecond: 49 }));
    const d = denied(buy(), state({ ordersPerSecond: 50 }, { ordersInLastSecond: 50 }));
    expect(denialMessage(d)).toBe('Order rate limit of 50 orders per second reached; slow down and retry in a moment.');
    expect(denialNumbers(d)).toEqual({ limit: 50, requested: 51 });
  });

  it('duplicate order: inside the window is denied, at the window it passes, window 0 never denies', () => {
    const d = denied(buy(), state({ duplicateWindowMs: 1000 }, { duplicateAgeMs: 999 }));
    expect(denialMessage(d)).toBe('Same symbol, side, quantity and price as an order sent 999 ms ago; change the order or resend it after 1 ms if you mean it.');
    passes(buy(), state({ duplicateWindowMs: 1000 }, { duplicateAgeMs: 1000 }));
    passes(buy(), state({ duplicateWindowMs: 0 }, { duplicateAgeMs: 0 }));
  });

  it('sells need a position unless short selling is allowed; exactly the available quantity passes', () => {
    const position = { quantity: new D(100), availableToSell: new D(60), openBuyQuantity: ZERO, openSellQuantity: new D(40) };
    const ok = checkOrder(sell({ quantity: new D(60) }), AAPL, state({}, { position }));
    expect(ok.ok && ok.value.positionQuantity.toFixed()).toBe('60');
    const d = denied(sell({ quantity: new D(61) }), state({}, { position }));
    expect(denialMessage(d)).toBe('Insufficient position to sell 61 AAPL; available: 60');
    const short = checkOrder(sell({ quantity: new D(61) }), AAPL, state({ allowShort: true }, { position }));
    expect(short.ok && short.value.positionQuantity.toFixed()).toBe('60');
  });

  it('lot size and tick size: multiples pass, anything between is denied with a valid neighbour', () => {
    const lots = { ...AAPL, lotSize: new D(10) };
    passes(buy({ quantity: new D(20) }), state(), lots);
    expect(denialMessage(denied(buy({ quantity: new D(25) }), state(), lots))).toBe('Quantity 25 is not a multiple of the lot size 10 for AAPL; use a multiple such as 20.');
    const d = denied(buy({ limitPrice: new D('150.005') }), state());
    expect(denialMessage(d)).toBe('limit_price 150.005 is not a multiple of the tick size 0.01 for AAPL; use 150 or 150.01.');
  });

  it('restricted symbols, per trader and firm-wide', () => {
    const trader = denied(buy(), state({ restrictedSymbols: ['AAPL'] }));
    expect(denialMessage(trader)).toBe('AAPL is restricted for your account; orders in it are not allowed.');
    const firm = denied(buy(), { ...state(), limits: effectiveLimits({ restrictedSymbols: ['AAPL'] }, {}) });
    expect(denialMessage(firm)).toBe('AAPL is restricted firm-wide; orders in it are not allowed.');
  });

  it('symbol unknown or not tradable', () => {
    expect(denied(buy(), state(), null).code).toBe('unknown_symbol');
    expect(denialMessage(denied(buy(), state(), { ...AAPL, tradable: false }))).toBe('AAPL is not tradable at the moment; try again when trading in it resumes.');
  });

  it('trading states: halted denies everything; reducing accepts only what shrinks a position', () => {
    expect(denialMessage(denied(buy(), state({}, { traderState: 'halted' })))).toBe(
      'Trading is halted for your account (kill switch); no new orders are accepted until it is released.');
    expect(denied(buy(), state({}, { firmState: 'halted' }))).toMatchObject({ code: 'trading_halted', scope: 'firm' });
    const long = { quantity: new D(100), availableToSell: new D(100), openBuyQuantity: ZERO, openSellQuantity: ZERO };
    passes(sell({ quantity: new D(100) }), state({}, { traderState: 'reducing', position: long }));
    const d = denied(sell({ quantity: new D(101) }), state({ allowShort: true }, { traderState: 'reducing', position: long }));
    expect(denialMessage(d)).toBe('Trading is in reducing-only mode for your account: only orders that shrink a position are accepted, and a sell of 101 AAPL does not shrink your position of 100.');
    const short = { quantity: new D(-100), availableToSell: ZERO, openBuyQuantity: ZERO, openSellQuantity: ZERO };
    passes(buy({ quantity: new D(100) }), state({}, { firmState: 'reducing', position: short }));
    expect(denied(buy({ quantity: new D(1) }), state({}, { firmState: 'reducing' }))).toMatchObject({ code: 'reducing_only', scope: 'firm' });
  });

  it('a trader setting overrides the firm field by field; null lifts a firm limit', () => {
    const limits = effectiveLimits({ maxOrderQuantity: new D(10), priceCollarPct: new D(5) }, { maxOrderQuantity: null });
    expect(limits.maxOrderQuantity).toBeNull();
    expect(limits.priceCollarPct?.toFixed()).toBe('5');
  });
});
