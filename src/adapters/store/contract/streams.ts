/**
 * Contract section: per-trader stream seqs (gap-free across and within batches, also from two
 * instances at once), streamSince, idempotency records and their expiry, and atomicity: a batch
 * that fails leaves no order, fill, audit row, stream seq or idempotency record behind.
 */
import { describe, expect, it } from 'vitest';
import { asClientOrderId } from '../../../domain/ids.ts';
import type { StreamEvent } from '../../../ports/bus.ts';
import { useMigratedStore, type MakeStore } from './context.ts';
import { change, idempotencyRecord, later, newTraderId, pendingOrder, storedFill, streamDraft, submission, T0, withStatus } from './fixtures.ts';
import { rejectsWithConflict } from './orders.ts';

const seqsOf = (events: readonly StreamEvent[], traderId: string) =>
  events.filter((event) => event.traderId === traderId).map((event) => event.seq);

export function describeStreamContract(makeStore: MakeStore): void {
  describe('stream events', () => {
    const ctx = useMigratedStore(makeStore);

    it('given batches mixing two traders, when committed, then each trader gets seq 1, 2, 3 … in array order, seq first in the payload', async () => {
      const alice = newTraderId();
      const bob = newTraderId();
      const a1 = pendingOrder(alice);
      const b1 = pendingOrder(bob);
      const first = await ctx.store.commit([submission(a1), submission(b1), submission(pendingOrder(alice))]);
      expect(first.map((event) => [event.traderId, event.seq])).toEqual([[alice, 1], [bob, 1], [alice, 2]]);

      const acked = withStatus(a1, 'acked');
      const twoEvents = change(acked, 1, { stream: [streamDraft(acked, 'order.acked'), streamDraft(acked, 'order.partial')] });
      const second = await ctx.store.commit([twoEvents, submission(pendingOrder(bob))]);
      expect(second.map((event) => [event.traderId, event.seq])).toEqual([[alice, 3], [alice, 4], [bob, 2]]);

      const payload = JSON.parse(second[1]!.payload) as Record<string, unknown>;
      expect(Object.keys(payload)[0]).toBe('seq');
      expect(payload).toEqual({ seq: 4, ...twoEvents.stream[1]!.body });
      expect(second[0]!.payload).toBe(JSON.stringify({ seq: 3, ...twoEvents.stream[0]!.body }));
    });

    it('given stored events, when read with streamSince, then they come after the seq, oldest first, limited, for that trader only', async () => {
      const alice = newTraderId();
      const bob = newTraderId();
      const committed: StreamEvent[] = [];
      for (let i = 0; i < 5; i += 1) {
        committed.push(...(await ctx.store.commit([submission(pendingOrder(alice)), submission(pendingOrder(bob))])));
      }
      const alices = committed.filter((event) => event.traderId === alice);
      expect(await ctx.store.streamSince(alice, 0, 100)).toEqual(alices);
      expect(await ctx.store.streamSince(alice, 2, 2)).toEqual(alices.slice(2, 4));
      expect(await ctx.store.streamSince(alice, 5, 10)).toEqual([]);
      expect(await ctx.store.streamSince(newTraderId(), 0, 10)).toEqual([]);
    });

    it('given a draft that already carries a seq, when committed, then the store refuses it and writes nothing', async () => {
      const order = pendingOrder(newTraderId());
      const bad = { ...submission(order), stream: [{ ...streamDraft(order, 'order.submitted'), body: { seq: 99 } }] };
      await expect(ctx.store.commit([bad])).rejects.toThrow(/seq/);
      expect(await ctx.store.findOrder(order.id)).toBeNull();
    });

    it('given two instances committing for the same trader at once, when all finish, then seqs are exactly 1 … n', async () => {
      const trader = newTraderId();
      const other = await ctx.fixture.openAnother();
      try {
        const commits = Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? ctx.store : other).commit([submission(pendingOrder(trader))]));
        const events = (await Promise.all(commits)).flat();
        expect(seqsOf(events, trader).sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
        expect((await ctx.store.auditHead()).seq).toBe(24);
      } finally {
        await other.close();
      }
    });
  });

  describe('idempotency records', () => {
    const ctx = useMigratedStore(makeStore);

    it('given a committed record, when found, then every field reads back exactly (body byte for byte), scoped to its trader', async () => {
      const trader = newTraderId();
      const record = idempotencyRecord(trader, 'key-1');
      await ctx.store.commit([submission(pendingOrder(trader), record)]);
      expect(await ctx.store.findIdempotency(trader, 'key-1')).toEqual(record);
      expect(await ctx.store.findIdempotency(newTraderId(), 'key-1')).toBeNull();
      expect(await ctx.store.findIdempotency(trader, 'key-2')).toBeNull();
    });

    it('given a live key, when used again by its trader, then StoreConflict(idempotency_key) and nothing is written; another trader may use it', async () => {
      const trader = newTraderId();
      await ctx.store.commit([submission(pendingOrder(trader), idempotencyRecord(trader, 'k'))]);
      const again = pendingOrder(trader);
      await rejectsWithConflict(ctx.store.commit([submission(again, idempotencyRecord(trader, 'k', 1000, later(5)))]), 'idempotency_key');
      expect(await ctx.store.findOrder(again.id)).toBeNull();

      const twice = pendingOrder(trader);
      await rejectsWithConflict(
        ctx.store.commit([submission(twice, idempotencyRecord(trader, 'same')), submission(pendingOrder(trader), idempotencyRecord(trader, 'same'))]),
        'idempotency_key',
      );
      expect(await ctx.store.findOrder(twice.id)).toBeNull();

      const otherTrader = newTraderId();
      await ctx.store.commit([submission(pendingOrder(otherTrader), idempotencyRecord(otherTrader, 'k'))]);
    });

    it('given records past their expiry, when purged, then only those go; and an expired key may be used again', async () => {
      const trader = newTraderId();
      const shortLived = idempotencyRecord(trader, 'short', 1_000);
      const longLived = idempotencyRecord(trader, 'long', 60_000);
      await ctx.store.commit([submission(pendingOrder(trader), shortLived), submission(pendingOrder(trader), longLived)]);

      const reuse = idempotencyRecord(trader, 'short', 1_000, later(1_000));
      await ctx.store.commit([submission(pendingOrder(trader), reuse)]);
      expect(await ctx.store.findIdempotency(trader, 'short')).toEqual(reuse);

      expect(await ctx.store.deleteExpiredIdempotency(later(1_999))).toBe(0);
      expect(await ctx.store.deleteExpiredIdempotency(later(2_000))).toBe(1);
      expect(await ctx.store.findIdempotency(trader, 'short')).toBeNull();
      expect(await ctx.store.findIdempotency(trader, 'long')).toEqual(longLived);
      expect(await ctx.store.deleteExpiredIdempotency(T0)).toBe(0);
    });
  });

  describe('atomicity', () => {
    const ctx = useMigratedStore(makeStore);

    it('given a batch whose last change conflicts, when committed, then nothing of the batch is written and no seq is used', async () => {
      const trader = newTraderId();
      const existing = pendingOrder(trader, { clientOrderId: asClientOrderId('taken') });
      await ctx.store.commit([submission(existing, idempotencyRecord(trader, 'k0'))]);
      const headBefore = await ctx.store.auditHead();

      const fresh = pendingOrder(trader);
      const acked = withStatus(existing, 'acked');
      const failing = [
        submission(fresh, idempotencyRecord(trader, 'k1')),
        change(acked, 1, { newFills: [storedFill(acked, '1', '2', 'F-atomic')] }),
        submission(pendingOrder(trader, { clientOrderId: asClientOrderId('taken') })),
      ];
      await rejectsWithConflict(ctx.store.commit(failing), 'client_order_id');

      expect(await ctx.store.findOrder(fresh.id)).toBeNull();
      expect((await ctx.store.findOrder(existing.id))?.version).toBe(1);
      expect(await ctx.store.fillExists('sim', 'F-atomic')).toBe(false);
      expect(await ctx.store.findIdempotency(trader, 'k1')).toBeNull();
      expect(await ctx.store.auditHead()).toEqual(headBefore);
      expect(await ctx.store.listAudit(fresh.id)).toEqual([]);
      expect(await ctx.store.streamSince(trader, 0, 10)).toHaveLength(1);

      const next = await ctx.store.commit([submission(pendingOrder(trader))]);
      expect(next.map((event) => event.seq)).toEqual([2]);
      expect((await ctx.store.auditChain(0, 10)).map((row) => row.seq)).toEqual([1, 2]);
    });

    it('given a batch failing on its idempotency record, when committed, then its orders, fills, audit rows and events are all rolled back', async () => {
      const trader = newTraderId();
      await ctx.store.commit([submission(pendingOrder(trader), idempotencyRecord(trader, 'used'))]);
      const fresh = pendingOrder(trader);
      await rejectsWithConflict(ctx.store.commit([submission(fresh), submission(pendingOrder(trader), idempotencyRecord(trader, 'used', 5, later(1)))]), 'idempotency_key');
      expect(await ctx.store.findOrder(fresh.id)).toBeNull();
      expect((await ctx.store.auditHead()).seq).toBe(1);
      expect(await ctx.store.streamSince(trader, 1, 10)).toEqual([]);
    });
  });
}
