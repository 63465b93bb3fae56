/**
 * A trader's account as GET /api/v1/account shows it: cash, reserved and buying power,
 * realized P&L today, open P&L and each position marked at the reference price, the trading
 * state in force (the stricter of the firm's and the trader's), effective limits and usage.
 * Read fresh from the store, plus this process's reservations not committed yet.
 */
import { decimalText, ZERO } from '../../domain/money.ts';
import { FIRM_SCOPE, strictestState } from '../../domain/risk/limits.ts';
import { unrealizedPnl } from '../../domain/risk/positions.ts';
import type { Clock } from '../../ports/clock.ts';
import { limitsToJson } from '../risk/limitsCodec.ts';
import type { RiskGate } from '../risk/riskGate.ts';
import { tradingDayOf } from './settlement.ts';

export function positionsJson(gate: RiskGate, positions: ReturnType<Awaited<ReturnType<RiskGate['book']>>['listPositions']>) {
  return positions.filter((p) => !p.quantity.isZero()).map((p) => {
    const market = gate.instrument(p.symbol)?.referencePrice ?? null;
    return {
      symbol: p.symbol,
      quantity: decimalText(p.quantity),
      average_price: decimalText(p.averagePrice),
      market_price: market === null ? null : decimalText(market),
      unrealized_pnl: market === null ? null : decimalText(unrealizedPnl(p, market)),
    };
  });
}

export async function accountView(gate: RiskGate, clock: Clock, traderId: string): Promise<Record<string, unknown>> {
  gate.invalidate(traderId);
  const book = await gate.book(traderId);
  const now = clock.now();
  const realized = book.realizedToday(tradingDayOf(now));
  const unrealized = book.unrealized((s) => gate.instrument(s)?.referencePrice ?? null);
  const buyingPower = book.buyingPower();
  const limits = gate.limitsFor(traderId);
  const pnl = realized.plus(unrealized);
  return {
    trader_id: traderId,
    cash: decimalText(book.cash),
    buying_power: decimalText(buyingPower),
    reserved: decimalText(book.cash.minus(buyingPower)),
    realized_pnl_today: decimalText(realized),
    unrealized_pnl: decimalText(unrealized),
    trading_state: strictestState(gate.stateOf(FIRM_SCOPE), gate.stateOf(traderId)),
    positions: positionsJson(gate, book.listPositions()),
    limits: { ...limitsToJson(limits), firm_restricted_symbols: [...limits.firmRestrictedSymbols] },
    usage: {
      orders_last_second: book.ordersInLastSecond(now.getTime()),
      daily_loss: decimalText(pnl.isNegative() ? pnl.negated() : ZERO),
    },
  };
}
