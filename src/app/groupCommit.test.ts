/**
 * Group commit: submissions that arrive together share one transaction; a conflicting one
 * fails alone while the rest of its batch commits.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../adapters/bus/memory/memoryBus.ts';
import { pendingOrder, submission } from '../adapters/store/contract/fixtures.ts';
import { asClientOrderId } from '../domain/ids.ts';
import { StoreUnavailable, type OrderStore } from '../ports/store.ts';
import { noTelemetry } from '../ports/telemetry.ts';
import { GroupCommitter, groupCommitFor } from './groupCommit.ts';
import { submitOrder } from './submitOrder.ts';
import { limitOrder, testApp, type TestApp } from './testContext.ts';

let app: TestApp;
beforeEach(async () => {
  app = await testApp();
});
afterEach(async () => {
  await app.close();
});

describe('group commit', () => {
  it('commits concurrent submissions in shared transactions', async () => {
    const results = await Promise.all(Array.from({ length: 64 }, (_, i) => submitOrder(app.ctx, app.dispatcher, limitOrder(`t${i % 4}`), null)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(app.batches[0]).toBe(64);
    const total = (await Promise.all([0, 1, 2, 3].map((i) => app.store.listTraderOrders(`t${i}`, { limit: 100, offset: 0 })))).reduce((n, p) => n + p.total, 0);
    expect(total).toBe(64);
  });

  it('fails only the conflicting submission of a batch; its neighbours commit', async () => {
    await submitOrder(app.ctx, app.dispatcher, limitOrder('dup', { clientOrderId: asClientOrderId('taken') }), null);
    const batch = await Promise.all(Array.from({ length: 16 }, (_, i) =>
      submitOrder(app.ctx, app.dispatcher, limitOrder('dup', { clientOrderId: asClientOrderId(i === 7 ? 'taken' : `fresh-${i}`) }), null)));
    const refused = batch.filter((r) => !r.ok);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ ok: false, error: { code: 'duplicate_client_order_id', clientOrderId: 'taken' } });
    expect((await app.store.listTraderOrders('dup', { limit: 100, offset: 0 })).total).toBe(16);
  });

  it('fails a whole batch at once when the store cannot be reached: no split, one attempt', async () => {
    let attempts = 0;
    const down: OrderStore = { ...app.store, commit: async () => {
      attempts += 1;
      throw new StoreUnavailable('database unreachable');
    } };
    const committer = new GroupCommitter(down, new MemoryBus(), noTelemetry, app.ctx.log);
    const outcomes = await Promise.allSettled(Array.from({ length: 16 }, () => committer.commit(submission(pendingOrder('down')))));
    expect(outcomes.every((o) => o.status === 'rejected' && o.reason instanceof StoreUnavailable)).toBe(true);
    expect(attempts).toBe(1);
  });

  it('keeps each trader’s stream seq gap-free and in commit order across batches', async () => {
    await Promise.all(Array.from({ length: 30 }, () => submitOrder(app.ctx, app.dispatcher, limitOrder('seq-trader'), null)));
    await app.dispatcher.settled();
    const seqs = app.published.filter((e) => e.traderId === 'seq-trader').map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(seqs.length).toBe(60);
  });

  it('hands the store batches of at most maxBatch, with at most maxInFlight at once, answering each change', async () => {
    const options = groupCommitFor('sqlite');
    const sizes: number[] = [];
    let running = 0;
    let mostAtOnce = 0;
    const counting: OrderStore = { ...app.store, commit: async (changes) => {
      sizes.push(changes.length);
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      try {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return await app.store.commit(changes);
      } finally {
        running -= 1;
      }
    } };
    const bus = new MemoryBus();
    const committer = new GroupCommitter(counting, bus, noTelemetry, app.ctx.log, options);
    const orders = Array.from({ length: 3 * options.maxBatch + 5 }, () => pendingOrder('many'));
    const answers = await Promise.all(orders.map((order) => committer.commit(submission(order))));
    expect(Math.max(...sizes)).toBe(options.maxBatch);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(orders.length);
    expect(mostAtOnce).toBe(options.maxInFlight);
    expect(answers.map((events) => events.length)).toEqual(orders.map(() => 1));
    expect(answers.map((events) => events[0]!.seq)).toEqual(orders.map((_, i) => i + 1));
  });
});
