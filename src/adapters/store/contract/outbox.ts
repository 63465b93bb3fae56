/**
 * Contract section: the outbox as the relay sees it. Events younger than the grace are left to
 * the committer; older unpublished ones are claimed oldest first, handed over in per-trader seq
 * order, and marked published only when the publish resolved. What the fast path marked is
 * never claimed. (Claims from two instances at once are PostgreSQL's business: see
 * postgres/outboxLease.int.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import type { OutboxEvent } from '../../../ports/bus.ts';
import type { OutboxClaim } from '../../../ports/store.ts';
import { useMigratedStore, type MakeStore } from './context.ts';
import { later, newTraderId, pendingOrder, submission } from './fixtures.ts';

const GRACE_MS = 1_000;
const claimAt = (now: Date, limit = 100): OutboxClaim => ({ now, olderThanMs: GRACE_MS, limit, leaseMs: 5_000 });

/** A publish that records what it was given. */
function recorder() {
  const published: OutboxEvent[] = [];
  return { published, publish: async (events: OutboxEvent[]) => void published.push(...events) };
}

export function describeOutboxContract(makeStore: MakeStore): void {
  describe('outbox relay', () => {
    const ctx = useMigratedStore(makeStore);

    it('given committed events, when claimed within the grace, then none; after it, all, per trader in seq order, and never again', async () => {
      const alice = newTraderId();
      const bob = newTraderId();
      const committed = await ctx.store.commit([submission(pendingOrder(alice)), submission(pendingOrder(bob)), submission(pendingOrder(alice))]);

      const early = recorder();
      expect(await ctx.store.relayUnpublished(claimAt(later(GRACE_MS - 1)), early.publish)).toBe(0);
      expect(early.published).toEqual([]);

      const due = recorder();
      expect(await ctx.store.relayUnpublished(claimAt(later(GRACE_MS + 1)), due.publish)).toBe(3);
      expect(due.published).toHaveLength(3);
      expect(due.published.filter((event) => event.traderId === alice)).toEqual(committed.filter((event) => event.traderId === alice));
      expect(due.published.filter((event) => event.traderId === bob)).toEqual(committed.filter((event) => event.traderId === bob));

      const again = recorder();
      expect(await ctx.store.relayUnpublished(claimAt(later(60_000)), again.publish)).toBe(0);
      expect(again.published).toEqual([]);
    });

    it('given a publish that fails, when claimed, then nothing is marked and the next claim gets the same events', async () => {
      const trader = newTraderId();
      const committed = await ctx.store.commit([submission(pendingOrder(trader)), submission(pendingOrder(trader))]);
      const failing = async () => {
        throw new Error('bus down');
      };
      await expect(ctx.store.relayUnpublished(claimAt(later(5_000)), failing)).rejects.toThrow('bus down');

      const retry = recorder();
      expect(await ctx.store.relayUnpublished(claimAt(later(6_000)), retry.publish)).toBe(2);
      expect(retry.published).toEqual(committed);
    });

    it('given events the fast path marked published, when claimed, then only the others come; unknown ids are ignored', async () => {
      const trader = newTraderId();
      const committed = await ctx.store.commit([submission(pendingOrder(trader)), submission(pendingOrder(trader)), submission(pendingOrder(trader))]);
      await ctx.store.markPublished([committed[0]!.id, committed[2]!.id, 'no-such-event'], later(10));
      await ctx.store.markPublished([], later(10));

      const due = recorder();
      expect(await ctx.store.relayUnpublished(claimAt(later(5_000)), due.publish)).toBe(1);
      expect(due.published).toEqual([committed[1]]);
    });

    it('given more due events than the limit, when claimed, then the oldest come first and the rest on the next claim', async () => {
      const trader = newTraderId();
      const orders = [0, 1, 2, 3, 4].map(() => pendingOrder(trader));
      const committed: OutboxEvent[] = [];
      for (const [i, order] of orders.entries()) {
        committed.push(...(await ctx.store.commit([submission({ ...order, updatedAt: later(i * 10), createdAt: later(i * 10) })])));
      }
      const first = recorder();
      expect(await ctx.store.relayUnpublished(claimAt(later(10_000), 3), first.publish)).toBe(3);
      expect(first.published).toEqual(committed.slice(0, 3));
      const rest = recorder();
      expect(await ctx.store.relayUnpublished(claimAt(later(10_000), 3), rest.publish)).toBe(2);
      expect(rest.published).toEqual(committed.slice(3));
    });
  });
}
