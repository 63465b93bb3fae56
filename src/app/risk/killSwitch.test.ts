import { afterEach, describe, expect, it } from 'vitest';
import { D } from '../../domain/money.ts';
import { FIRM_SCOPE } from '../../domain/risk/limits.ts';
import { isWorking } from '../../domain/order/order.ts';
import { submitOrder } from '../submitOrder.ts';
import { limitOrder } from '../testContext.ts';
import { riskTestApp, type RiskTestApp } from './riskTestApp.ts';

describe('the kill switch', () => {
  let t: RiskTestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('given 1,000 concurrent submissions in flight, when it trips, then none commits after the trip and every working order is cancelled within 1 s', async () => {
    t = await riskTestApp({ openingCash: new D(10_000_000) });
    await t.controls.setLimits(FIRM_SCOPE, { ordersPerSecond: null, maxPosition: null }, 'risk-1', null);
    const trader = 'kill-1';
    // 1,000 submissions arrive over several turns of the event loop; the trip lands halfway, so
    // some orders are committed, some queued for the commit and some not checked yet.
    const submissions = [];
    let trippedAt = 0;
    let tripping: ReturnType<RiskTestApp['controls']['tripKillSwitch']> | undefined;
    for (let i = 0; i < 1000; i++) {
      if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
      if (i === 500) {
        trippedAt = Date.now();
        tripping = t.controls.tripKillSwitch(trader, 'risk-1', 'runaway algo');
      }
      submissions.push(submitOrder(t.ctx, t.dispatcher, limitOrder(trader, { quantity: new D(1), limitPrice: new D(100 + (i % 10)) }), null));
    }
    const outcome = await tripping!;
    const results = await Promise.all(submissions);

    const accepted = results.flatMap((r) => (r.ok ? [r.value] : []));
    const denied = results.flatMap((r) => (r.ok ? [] : [r.error]));
    expect(accepted.length + denied.length).toBe(1000);
    expect(denied.every((e) => e.code === 'risk_denied' && e.denial.code === 'trading_halted')).toBe(true);
    expect(denied.length).toBeGreaterThan(0);
    expect(outcome.cancelRequested).toBe(accepted.length);
    await t.dispatcher.settled();
    // Each accepted order the venue took is cancelled there exactly once; the rest were never sent.
    const ids = new Set(accepted.map((o) => o.id as string));
    const journal = t.app.sim.journal().filter((e) => ids.has(e.clientOrderId));
    const reachedVenue = new Set(journal.filter((e) => e.op === 'submit' && e.result === 'accepted').map((e) => e.clientOrderId));
    const cancelsAtVenue = journal.filter((e) => e.op === 'cancel');
    expect(reachedVenue.size).toBeGreaterThan(0);
    expect(cancelsAtVenue.map((e) => e.clientOrderId).sort()).toEqual([...reachedVenue].sort());
    expect(Math.max(...cancelsAtVenue.map((e) => e.at.getTime())) - trippedAt).toBeLessThan(1000);

    // The audit chain orders every commit: no accepted order was committed after the trip was.
    const trip = (await t.app.store.listAudit(`risk_state:${trader}`)).at(-1)!;
    expect(JSON.parse(trip.payload)).toMatchObject({ actor: 'risk-1', reason: 'runaway algo', old: null, new: 'halted' });
    for (const order of accepted) expect((await t.app.store.listAudit(order.id))[0]!.seq).toBeLessThan(trip.seq);

    await expect.poll(async () => (await t!.app.store.listTraderOrders(trader, { limit: 100, offset: 0, status: 'pending_cancel' })).total).toBe(0);
    const stored = await t.app.store.listTraderOrders(trader, { limit: 100, offset: 0 });
    expect(stored.total).toBe(accepted.length);
    expect((await t.app.store.listWorkingOrders()).filter((o) => o.traderId === trader)).toEqual([]);
    for (const order of accepted) expect((await t.app.sim.lookup(order.id))?.status ?? 'never arrived').not.toBe('working');
    const account = await t.app.store.accounts.loadTrader(trader);
    expect(account.account?.reserved.toFixed()).toBe('0');

    const after = await submitOrder(t.ctx, t.dispatcher, limitOrder(trader), null);
    expect(after).toMatchObject({ ok: false, error: { code: 'risk_denied', denial: { code: 'trading_halted', scope: 'trader' } } });
    expect((await submitOrder(t.ctx, t.dispatcher, limitOrder('bystander'), null)).ok).toBe(true);
  });

  it('given a firm-wide trip, when released, then orders are accepted again and both changes are in the audit trail', async () => {
    t = await riskTestApp();
    await t.controls.tripKillSwitch(FIRM_SCOPE, 'risk-1', 'market event');
    expect(await submitOrder(t.ctx, t.dispatcher, limitOrder('anyone'), null)).toMatchObject({ ok: false, error: { denial: { code: 'trading_halted', scope: 'firm' } } });
    await t.controls.releaseKillSwitch(FIRM_SCOPE, 'risk-2', 'all clear');
    expect((await submitOrder(t.ctx, t.dispatcher, limitOrder('anyone'), null)).ok).toBe(true);
    const changes = (await t.app.store.listAudit('risk_state:_firm')).map((r) => JSON.parse(r.payload));
    expect(changes).toEqual([
      { actor: 'risk-1', reason: 'market event', old: 'active', new: 'halted' },
      { actor: 'risk-2', reason: 'all clear', old: 'halted', new: 'active' },
    ]);
  });

  it('halts working orders at the venue only in its scope', async () => {
    t = await riskTestApp();
    const mine = await submitOrder(t.ctx, t.dispatcher, limitOrder('scope-a'), null);
    const theirs = await submitOrder(t.ctx, t.dispatcher, limitOrder('scope-b'), null);
    await t.dispatcher.settled();
    await t.controls.tripKillSwitch('scope-a', 'scope-a', null);
    await expect.poll(async () => (await t!.app.store.findOrder(mine.ok ? mine.value.id : ''))?.status).toBe('cancelled');
    expect(isWorking((await t.app.store.findOrder(theirs.ok ? theirs.value.id : ''))!.status)).toBe(true);
  });
});
