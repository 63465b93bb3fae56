/**
 * The accounts part of the store contract: reservations are enforced by the database in the
 * order's own transaction, also between two store instances (two gateways) committing at once;
 * fills convert reservations into cash and positions; a finished order releases the rest;
 * control writes land in the audit chain with old and new values.
 */
import { describe, expect, it } from 'vitest';
import { D, type Dec } from '../../../domain/money.ts';
import { RiskRefused, type AccountEffect } from '../../../ports/accounts.ts';
import type { OrderChange, OrderStore } from '../../../ports/store.ts';
import { verifyAuditChain } from '../verifyAuditChain.ts';
import type { MakeStore } from './context.ts';
import { useMigratedStore } from './context.ts';
import { newTraderId, pendingOrder, submission, T0 } from './fixtures.ts';

const day = '2026-11-21';

function reserving(traderId: string, side: 'buy' | 'sell', quantity: Dec, unitPrice: Dec | null, openingCash = new D(1000)): OrderChange {
  const order = pendingOrder(traderId);
  const account: AccountEffect = {
    traderId, orderId: order.id, symbol: 'AAPL', side, openingCash,
    reserve: { quantity, unitPrice, cash: unitPrice ? quantity.times(unitPrice) : new D(0), positionQuantity: unitPrice ? new D(0) : quantity },
    fills: [], releaseRest: false, tradingDay: day, at: T0,
  };
  return { ...submission(order), account };
}

function settling(change: OrderChange, fills: Array<[string, string]>, releaseRest: boolean): AccountEffect {
  return {
    ...change.account!, reserve: null, releaseRest,
    fills: fills.map(([quantity, price]) => ({ quantity: new D(quantity), price: new D(price), commission: new D(0) })),
  };
}

/** A settlement rides on an order change; here on a fresh order of the same trader, which the effect does not look at. */
const carrying = (traderId: string, account: AccountEffect): OrderChange => ({ ...submission(pendingOrder(traderId)), account });

async function account(store: OrderStore, traderId: string) {
  const snapshot = await store.accounts.loadTrader(traderId);
  return {
    cash: snapshot.account?.cash.toFixed(), reserved: snapshot.account?.reserved.toFixed(),
    positions: snapshot.positions.map((p) => [p.symbol, p.quantity.toFixed(), p.averagePrice.toFixed(), p.sellReserved.toFixed(), p.realizedPnl.toFixed()]),
  };
}

export function describeAccountsContract(makeStore: MakeStore): void {
  describe('accounts and reservations', () => {
    const c = useMigratedStore(makeStore);

    it('given cash for exactly 10 orders, when two instances commit 40 concurrently, then exactly 10 commit and none overspends', async () => {
      const trader = newTraderId();
      const other = await c.fixture.openAnother();
      const outcomes = await Promise.allSettled(Array.from({ length: 40 }, (_, i) =>
        (i % 2 === 0 ? c.store : other).commit([reserving(trader, 'buy', new D(1), new D(100))])));
      const refused = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(10);
      expect(refused.every((e) => e instanceof RiskRefused && e.denial.code === 'insufficient_buying_power')).toBe(true);
      expect(await account(c.store, trader)).toMatchObject({ cash: '1000', reserved: '1000' });
      expect((await c.store.countOrdersByStatus()).pending).toBe(10);
    });

    it('given one batch that overspends, then the whole batch rolls back and nothing is reserved', async () => {
      const trader = newTraderId();
      await expect(c.store.commit([reserving(trader, 'buy', new D(6), new D(100)), reserving(trader, 'buy', new D(5), new D(100))]))
        .rejects.toMatchObject({ denial: { code: 'insufficient_buying_power', requested: new D(500), available: new D(400) } });
      expect(await c.store.accounts.loadTrader(trader)).toMatchObject({ account: null, open: [] });
    });

    it('given a buy, when it fills in part and is then cancelled, then cash, position and reservation follow exactly', async () => {
      const trader = newTraderId();
      const buy = reserving(trader, 'buy', new D(10), new D(100));
      await c.store.commit([buy]);
      await c.store.commit([carrying(trader, settling(buy, [['4', '99.5']], false))]);
      expect(await account(c.store, trader)).toEqual({ cash: '602', reserved: '600', positions: [['AAPL', '4', '99.5', '0', '0']] });
      await c.store.commit([carrying(trader, settling(buy, [], true))]);
      expect(await account(c.store, trader)).toMatchObject({ cash: '602', reserved: '0' });
      expect((await c.store.accounts.loadTrader(trader)).open).toEqual([]);
    });

    it('given a position, when two instances sell all of it at once, then one sell is refused; a fill realizes P&L', async () => {
      const trader = newTraderId();
      const buy = reserving(trader, 'buy', new D(10), new D(100));
      await c.store.commit([buy]);
      await c.store.commit([carrying(trader, settling(buy, [['10', '100']], true))]);
      const other = await c.fixture.openAnother();
      const sells = [reserving(trader, 'sell', new D(10), null), reserving(trader, 'sell', new D(10), null)];
      const outcomes = await Promise.allSettled([c.store.commit([sells[0]!]), other.commit([sells[1]!])]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
      const won = sells[outcomes.findIndex((o) => o.status === 'fulfilled')]!;
      expect(await account(c.store, trader)).toMatchObject({ positions: [['AAPL', '10', '100', '10', '0']] });
      await c.store.commit([carrying(trader, settling(won, [['10', '103']], true))]);
      expect(await account(c.store, trader)).toEqual({ cash: '1030', reserved: '0', positions: [['AAPL', '0', '0', '0', '30']] });
    });

    it('given a halted trader, when an order reserves, then the store refuses it at commit', async () => {
      const trader = newTraderId();
      await c.store.accounts.writeSetting({ key: `state:${trader}`, update: () => 'halted' }, { auditId: crypto.randomUUID(), actor: 'risk-1', reason: 'test', at: T0 }, null);
      await expect(c.store.commit([reserving(trader, 'buy', new D(1), new D(1))])).rejects.toMatchObject({ denial: { code: 'trading_halted', scope: 'trader' } });
    });

    it('given control changes, then each is in the audit chain with actor, old and new values, and the chain verifies', async () => {
      const trader = newTraderId();
      const meta = () => ({ auditId: crypto.randomUUID(), actor: 'risk-1', reason: 'tighten', at: T0 });
      await c.store.accounts.writeSetting<Record<string, unknown>>({ key: `limits:${trader}`, update: (b) => ({ ...b, max_order_quantity: '10' }) }, meta(), null);
      await c.store.accounts.writeSetting<Record<string, unknown>>({ key: `limits:${trader}`, update: (b) => ({ ...b, max_order_quantity: '5' }) }, meta(), null);
      await c.store.accounts.creditCash(trader, new D('250.5'), new D(1000), meta());
      const rows = await c.store.listAudit(`risk_limits:${trader}`);
      expect(rows.map((r) => JSON.parse(r.payload))).toEqual([
        { actor: 'risk-1', reason: 'tighten', old: null, new: { max_order_quantity: '10' } },
        { actor: 'risk-1', reason: 'tighten', old: { max_order_quantity: '10' }, new: { max_order_quantity: '5' } },
      ]);
      expect(JSON.parse((await c.store.listAudit(`cash:${trader}`))[0]!.payload)).toMatchObject({ amount: '250.5', old: '1000', new: '1250.5' });
      expect(await verifyAuditChain(c.store)).toMatchObject({ ok: true });
    });
  });
}
