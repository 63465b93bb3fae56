/**
 * The accounts part of the store contract: reservations are enforced by the database in the
 * order's own transaction, also between two store instances (two gateways) committing at once;
 * fills convert reservations into cash and positions; a finished order releases the rest;
 * a bust or correction undoes or replaces exactly what its fill did, once by its own id;
 * control writes land in the audit chain with old and new values.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { D, type Dec } from '../../../domain/money.ts';
import { RiskRefused, type AccountEffect } from '../../../ports/accounts.ts';
import { StoreConflict, type FillAdjustment, type OrderChange, type OrderStore } from '../../../ports/store.ts';
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

/** Fills as [quantity, price] or [quantity, price, venue fill id]. */
function settling(change: OrderChange, fills: Array<[string, string, string?]>, releaseRest: boolean): AccountEffect {
  return {
    ...change.account!, reserve: null, releaseRest,
    fills: fills.map(([quantity, price, venueFillId]) => ({
      venue: 'sim', venueFillId: venueFillId ?? randomUUID(), quantity: new D(quantity), price: new D(price), commission: new D(0),
    })),
  };
}

/** A bust (no `to`) or a correction to [quantity, price] of the fill with this venue fill id. */
function adjusting(change: OrderChange, venueFillId: string, to: [string, string] | null = null, releaseRest = false): AccountEffect {
  return {
    ...change.account!, reserve: null, releaseRest, fills: [],
    adjustments: [{ venue: 'sim', venueFillId, replacement: to ? { quantity: new D(to[0]), price: new D(to[1]) } : null }],
  };
}

/** A settlement rides on an order change; here on a fresh order of the same trader, which the effect does not look at. */
const carrying = (traderId: string, account: AccountEffect): OrderChange => ({ ...submission(pendingOrder(traderId)), account });

/** As the app commits a bust or correction: with the venue's message recorded by its own id, which refuses a replay. */
function adjustment(traderId: string, account: AccountEffect, adjustmentId: string): OrderChange {
  const [a] = account.adjustments!;
  const recorded: FillAdjustment = {
    venue: a!.venue, adjustmentId, venueFillId: a!.venueFillId, busted: a!.replacement === null, at: T0,
    quantity: a!.replacement?.quantity ?? new D(1), price: a!.replacement?.price ?? new D(1),
  };
  return { ...carrying(traderId, account), fillAdjustments: [recorded] };
}

async function account(store: OrderStore, traderId: string) {
  const snapshot = await store.accounts.loadTrader(traderId);
  return {
    cash: snapshot.account?.cash.toFixed(), reserved: snapshot.account?.reserved.toFixed(),
    positions: snapshot.positions.map((p) => [p.symbol, p.quantity.toFixed(), p.averagePrice.toFixed(), p.sellReserved.toFixed(), p.realizedPnl.toFixed()]),
    open: snapshot.open.map((o) => [o.symbol, o.side, o.quantity.toFixed()]),
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
      expect(await account(c.store, trader)).toEqual({ cash: '602', reserved: '600', positions: [['AAPL', '4', '99.5', '0', '0']], open: [['AAPL', 'buy', '6']] });
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
      expect(await account(c.store, trader)).toEqual({ cash: '1030', reserved: '0', positions: [['AAPL', '0', '0', '0', '30']], open: [] });
    });

    it('given a working buy filled in part, when the fill is busted, then cash, position, P&L and the reservation are as before it; the same bust again changes nothing', async () => {
      const trader = newTraderId();
      const buy = reserving(trader, 'buy', new D(10), new D(100));
      await c.store.commit([buy]);
      const before = await account(c.store, trader);
      await c.store.commit([carrying(trader, settling(buy, [['4', '99.5', 'F-1']], false))]);
      expect(await account(c.store, trader)).toMatchObject({ cash: '602', reserved: '600', open: [['AAPL', 'buy', '6']] });

      await c.store.commit([adjustment(trader, adjusting(buy, 'F-1'), 'BUST-1')]);
      expect(await account(c.store, trader)).toEqual({ ...before, positions: [['AAPL', '0', '0', '0', '0']] });
      await expect(c.store.commit([adjustment(trader, adjusting(buy, 'F-1'), 'BUST-1')])).rejects.toBeInstanceOf(StoreConflict);
      expect(await account(c.store, trader)).toEqual({ ...before, positions: [['AAPL', '0', '0', '0', '0']] });
    });

    it('given a working buy filled in part, when the fill is corrected, then it counts at its corrected size and price, reservation included', async () => {
      const trader = newTraderId();
      const buy = reserving(trader, 'buy', new D(10), new D(100));
      await c.store.commit([buy]);
      await c.store.commit([carrying(trader, settling(buy, [['4', '99', 'F-1']], false))]);
      await c.store.commit([adjustment(trader, adjusting(buy, 'F-1', ['6', '98']), 'CORR-1')]);
      expect(await account(c.store, trader)).toEqual({ cash: '412', reserved: '400', positions: [['AAPL', '6', '98', '0', '0']], open: [['AAPL', 'buy', '4']] });
      await c.store.commit([adjustment(trader, adjusting(buy, 'F-1', ['5', '97']), 'CORR-2')]);
      expect(await account(c.store, trader)).toEqual({ cash: '515', reserved: '500', positions: [['AAPL', '5', '97', '0', '0']], open: [['AAPL', 'buy', '5']] });
    });

    it('given fills after it, when an earlier fill is busted and a later one corrected, then the position is what the standing fills make it, in their order', async () => {
      const trader = newTraderId();
      const cash = new D(10_000);
      const buy = reserving(trader, 'buy', new D(10), new D(100), cash);
      await c.store.commit([buy]);
      await c.store.commit([carrying(trader, settling(buy, [['10', '100', 'A-1']], true))]);
      const sell = reserving(trader, 'sell', new D(5), null, cash);
      await c.store.commit([sell]);
      await c.store.commit([carrying(trader, settling(sell, [['5', '110', 'B-1']], true))]);
      const again = reserving(trader, 'buy', new D(5), new D(120), cash);
      await c.store.commit([again]);
      await c.store.commit([carrying(trader, settling(again, [['5', '120', 'C-1']], true))]);
      expect(await account(c.store, trader)).toEqual({ cash: '8950', reserved: '0', positions: [['AAPL', '10', '110', '0', '50']], open: [] });

      // Without A-1: short 5 at 110 from B-1, closed by C-1 at 120 for a loss of 50. Cash gets A-1's 1,000 back.
      await c.store.commit([adjustment(trader, adjusting(buy, 'A-1'), 'BUST-A')]);
      expect(await account(c.store, trader)).toEqual({ cash: '9950', reserved: '0', positions: [['AAPL', '0', '0', '0', '-50']], open: [] });
      // C-1 replays from its new checkpoint (short 5 at 110), not from the one it had when it was made.
      await c.store.commit([adjustment(trader, adjusting(again, 'C-1', ['5', '118']), 'CORR-C')]);
      expect(await account(c.store, trader)).toEqual({ cash: '9960', reserved: '0', positions: [['AAPL', '0', '0', '0', '-40']], open: [] });
    });

    it('given a sell filled in part, when the fill is busted, then the position and the sell reservation come back', async () => {
      const trader = newTraderId();
      const buy = reserving(trader, 'buy', new D(10), new D(100));
      await c.store.commit([buy]);
      await c.store.commit([carrying(trader, settling(buy, [['10', '100']], true))]);
      const sell = reserving(trader, 'sell', new D(10), null);
      await c.store.commit([sell]);
      await c.store.commit([carrying(trader, settling(sell, [['4', '110', 'S-1']], false))]);
      expect(await account(c.store, trader)).toMatchObject({ cash: '440', positions: [['AAPL', '6', '100', '6', '40']] });
      await c.store.commit([adjustment(trader, adjusting(sell, 'S-1'), 'BUST-S')]);
      expect(await account(c.store, trader)).toEqual({ cash: '0', reserved: '0', positions: [['AAPL', '10', '100', '10', '0']], open: [['AAPL', 'sell', '10']] });
    });

    it('given a finished order, when its fill is busted, then cash and position go back and nothing is reserved again', async () => {
      const trader = newTraderId();
      const buy = reserving(trader, 'buy', new D(10), new D(100));
      await c.store.commit([buy]);
      await c.store.commit([carrying(trader, settling(buy, [['10', '95', 'F-1']], true))]);
      await c.store.commit([adjustment(trader, adjusting(buy, 'F-1'), 'BUST-1')]);
      expect(await account(c.store, trader)).toEqual({ cash: '1000', reserved: '0', positions: [['AAPL', '0', '0', '0', '0']], open: [] });
    });

    it('given a fill the account never settled (no ledger row), when it is busted, then the account is left as it is', async () => {
      const trader = newTraderId();
      const buy = reserving(trader, 'buy', new D(10), new D(100));
      await c.store.commit([buy]);
      await c.store.commit([carrying(trader, settling(buy, [['4', '100', 'F-1']], false))]);
      const before = await account(c.store, trader);
      await c.store.commit([adjustment(trader, adjusting(buy, 'never-settled'), 'BUST-X')]);
      expect(await account(c.store, trader)).toEqual(before);
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
