/**
 * Contract section: orders and fills. Round-trips of every variant (decimals and dates exact),
 * optimistic versions, the uniqueness rules the database enforces, and the trader-scoped reads,
 * which must never return another trader's order.
 */
import { describe, expect, it } from 'vitest';
import { asClientOrderId, asSymbol, asVenueName } from '../../../domain/ids.ts';
import { decimalText } from '../../../domain/money.ts';
import { ORDER_STATUSES, type Order } from '../../../domain/order/order.ts';
import { StoreConflict } from '../../../ports/store.ts';
import { useMigratedStore, type MakeStore } from './context.ts';
import { change, everyVariant, newTraderId, pendingOrder, plain, storedFill, submission, withStatus } from './fixtures.ts';

export const rejectsWithConflict = async (promise: Promise<unknown>, kind: StoreConflict['kind']) => {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error, `expected StoreConflict(${kind})`).toBeInstanceOf(StoreConflict);
  expect((error as StoreConflict).kind).toBe(kind);
};

export function describeOrdersContract(makeStore: MakeStore): void {
  describe('orders', () => {
    const ctx = useMigratedStore(makeStore);

    it('given every order variant, when inserted, then each reads back identical: decimals exact, dates to the ms', async () => {
      const orders = everyVariant(newTraderId());
      await ctx.store.commit(orders.map((order) => submission(order)));
      for (const order of orders) {
        const found = await ctx.store.findOrder(order.id);
        expect(plain(found)).toEqual(plain(order));
      }
      const partial = await ctx.store.findOrder(orders[2]!.id);
      expect(decimalText(partial!.filledQuantity)).toBe('0.000000000001');
      expect(decimalText(partial!.filledNotional)).toBe('0.000000000150250000000001');
      expect(decimalText(partial!.quantity)).toBe('123456789012345678.123456789012');
    });

    it('given a pending order, when it moves through acked and partially filled with a fill, then each update reads back exactly', async () => {
      const pending = pendingOrder(newTraderId());
      await ctx.store.commit([submission(pending)]);
      const acked = withStatus(pending, 'acked');
      await ctx.store.commit([change(acked, 1)]);
      expect(plain(await ctx.store.findOrder(pending.id))).toEqual(plain(acked));

      const fill = storedFill(acked, '0.5', '150.123456789012');
      const partial: Order = { ...withStatus(acked, 'partially_filled'), filledQuantity: fill.quantity, filledNotional: fill.quantity.times(fill.price) };
      await ctx.store.commit([change(partial, 2, { newFills: [fill] })]);
      expect(plain(await ctx.store.findOrder(pending.id))).toEqual(plain(partial));
      expect(plain(await ctx.store.listFills(pending.id))).toEqual([plain(fill)]);
    });

    it('given a stored order, when updated from a stale version, then StoreConflict(order_version) and the order is unchanged', async () => {
      const pending = pendingOrder(newTraderId());
      await ctx.store.commit([submission(pending)]);
      const acked = withStatus(pending, 'acked');
      await ctx.store.commit([change(acked, 1)]);
      await rejectsWithConflict(ctx.store.commit([change(withStatus(pending, 'rejected', 'late'), 1)]), 'order_version');
      await rejectsWithConflict(ctx.store.commit([change(withStatus(pendingOrder(newTraderId()), 'acked'), 1)]), 'order_version');
      expect(plain(await ctx.store.findOrder(pending.id))).toEqual(plain(acked));
    });

    it('given one batch, when it inserts an order and updates it twice, then versions apply in order', async () => {
      const pending = pendingOrder(newTraderId());
      const acked = withStatus(pending, 'acked');
      const cancelling = withStatus(acked, 'pending_cancel');
      await ctx.store.commit([submission(pending), change(acked, 1), change(cancelling, 2)]);
      expect(plain(await ctx.store.findOrder(pending.id))).toEqual(plain(cancelling));
      expect((await ctx.store.listAudit(pending.id)).map((row) => row.kind)).toEqual(['submitted', 'acked', 'pending_cancel']);
    });

    it('given one batch, when an update comes before the insert of its order, then StoreConflict(order_version)', async () => {
      const pending = pendingOrder(newTraderId());
      await rejectsWithConflict(ctx.store.commit([change(withStatus(pending, 'acked'), 1), submission(pending)]), 'order_version');
      expect(await ctx.store.findOrder(pending.id)).toBeNull();
    });

    it('given an order id already stored, when inserted again, then StoreConflict(order_id)', async () => {
      const pending = pendingOrder(newTraderId());
      await ctx.store.commit([submission(pending)]);
      await rejectsWithConflict(ctx.store.commit([submission({ ...pending, clientOrderId: asClientOrderId('other') })]), 'order_id');
    });

    it('given a client order id used by a trader, when the trader reuses it, then StoreConflict(client_order_id); another trader may use it', async () => {
      const alice = newTraderId();
      const bob = newTraderId();
      const first = pendingOrder(alice, { clientOrderId: asClientOrderId('my-1') });
      await ctx.store.commit([submission(first)]);
      await rejectsWithConflict(ctx.store.commit([submission(pendingOrder(alice, { clientOrderId: asClientOrderId('my-1') }))]), 'client_order_id');
      await rejectsWithConflict(
        ctx.store.commit([submission(pendingOrder(alice, { clientOrderId: asClientOrderId('my-2') })), submission(pendingOrder(alice, { clientOrderId: asClientOrderId('my-2') }))]),
        'client_order_id',
      );
      const bobs = pendingOrder(bob, { clientOrderId: asClientOrderId('my-1') });
      await ctx.store.commit([submission(bobs)]);
      expect((await ctx.store.findTraderOrderByClientId(alice, 'my-1'))?.id).toBe(first.id);
      expect((await ctx.store.findTraderOrderByClientId(bob, 'my-1'))?.id).toBe(bobs.id);
      expect(await ctx.store.findTraderOrderByClientId(alice, 'my-2')).toBeNull();
    });

    it("given another trader's order, when looked up by id or client id for a trader, then it is not found", async () => {
      const alice = newTraderId();
      const bobs = pendingOrder(newTraderId());
      await ctx.store.commit([submission(bobs)]);
      expect(await ctx.store.findTraderOrder(alice, bobs.id)).toBeNull();
      expect(await ctx.store.findTraderOrderByClientId(alice, bobs.clientOrderId)).toBeNull();
      expect((await ctx.store.findTraderOrder(bobs.traderId, bobs.id))?.id).toBe(bobs.id);
      expect(await ctx.store.findOrder('0190a000-0000-7000-8000-00000000dead')).toBeNull();
    });

    it('given a venue fill already stored, when stored again (any order), then StoreConflict(venue_fill_id); the same id at another venue is fine', async () => {
      const acked = withStatus(pendingOrder(newTraderId()), 'acked');
      const other = withStatus(pendingOrder(newTraderId()), 'acked');
      await ctx.store.commit([submission({ ...acked, version: 1 }), submission({ ...other, version: 1 })]);
      const fill = storedFill(acked, '1', '150.25', 'F-1');
      await ctx.store.commit([change({ ...acked, version: 2 }, 1, { newFills: [fill] })]);
      expect(await ctx.store.fillExists('sim', 'F-1')).toBe(true);
      expect(await ctx.store.fillExists('sim', 'F-2')).toBe(false);
      expect(await ctx.store.fillExists('elsewhere', 'F-1')).toBe(false);

      await rejectsWithConflict(ctx.store.commit([change({ ...acked, version: 3 }, 2, { newFills: [storedFill(acked, '1', '150.25', 'F-1')] })]), 'venue_fill_id');
      await rejectsWithConflict(ctx.store.commit([change({ ...other, version: 2 }, 1, { newFills: [storedFill(other, '1', '1', 'F-1')] })]), 'venue_fill_id');
      const atOtherVenue = { ...storedFill(other, '2', '3', 'F-1'), venue: asVenueName('elsewhere') };
      await ctx.store.commit([change({ ...other, version: 2 }, 1, { newFills: [atOtherVenue] })]);
      expect(await ctx.store.listFills(acked.id)).toHaveLength(1);
      expect(plain(await ctx.store.listFills(other.id))).toEqual([plain(atOtherVenue)]);
    });

    it("given two traders' orders, when a trader lists, then only theirs come back, newest first, filtered and paged with the total", async () => {
      const alice = newTraderId();
      const bob = newTraderId();
      const mine: Order[] = [];
      for (let i = 0; i < 7; i += 1) {
        const symbol = asSymbol(i % 2 === 0 ? 'AAPL' : 'MSFT');
        const order = pendingOrder(alice, { symbol });
        mine.push(i % 3 === 0 ? { ...withStatus(order, 'rejected', 'no'), version: 1 } : order);
        await ctx.store.commit([submission(pendingOrder(bob, { symbol }))]);
      }
      await ctx.store.commit(mine.map((order) => submission(order)));
      const newestFirst = [...mine].reverse().map((order) => order.id);

      const all = await ctx.store.listTraderOrders(alice, { limit: 100, offset: 0 });
      expect(all.total).toBe(7);
      expect(all.orders.map((order) => order.id)).toEqual(newestFirst);

      const page = await ctx.store.listTraderOrders(alice, { limit: 3, offset: 3 });
      expect(page).toMatchObject({ total: 7 });
      expect(page.orders.map((order) => order.id)).toEqual(newestFirst.slice(3, 6));

      const msft = await ctx.store.listTraderOrders(alice, { symbol: 'MSFT', limit: 2, offset: 0 });
      expect(msft.total).toBe(3);
      expect(msft.orders.map((order) => order.id)).toEqual(newestFirst.filter((id) => mine.find((o) => o.id === id)!.symbol === 'MSFT').slice(0, 2));

      const rejectedAapl = await ctx.store.listTraderOrders(alice, { status: 'rejected', symbol: 'AAPL', limit: 10, offset: 0 });
      expect(rejectedAapl.orders.map((order) => order.id)).toEqual([mine[6]!.id, mine[0]!.id]);
      expect(rejectedAapl.total).toBe(2);

      expect(await ctx.store.listTraderOrders(alice, { status: 'filled', limit: 10, offset: 0 })).toEqual({ orders: [], total: 0 });
      const bobs = await ctx.store.listTraderOrders(bob, { limit: 100, offset: 0 });
      expect(bobs.total).toBe(7);
      expect(bobs.orders.every((order) => order.traderId === bob)).toBe(true);
    });

    it('given orders in every status, when working orders are listed, then only working ones come back, oldest first, by venue if asked', async () => {
      const trader = newTraderId();
      const variants = everyVariant(trader);
      const elsewhere = pendingOrder(trader, { venue: asVenueName('elsewhere') });
      await ctx.store.commit([...variants, elsewhere].map((order) => submission(order)));
      const working = [...variants, elsewhere].filter((o) => ['pending', 'acked', 'partially_filled', 'pending_cancel'].includes(o.status));
      const byId = (a: Order, b: Order) => (a.id < b.id ? -1 : 1);

      expect((await ctx.store.listWorkingOrders()).map((o) => o.id)).toEqual([...working].sort(byId).map((o) => o.id));
      expect((await ctx.store.listWorkingOrders('elsewhere')).map((o) => o.id)).toEqual([elsewhere.id]);
      expect((await ctx.store.listWorkingOrders('sim')).map((o) => o.id)).not.toContain(elsewhere.id);
    });

    it('given orders in several statuses, when counted, then every status has its count (zero included)', async () => {
      const variants = everyVariant(newTraderId());
      await ctx.store.commit(variants.map((order) => submission(order)));
      const counts = await ctx.store.countOrdersByStatus();
      expect(Object.keys(counts).sort()).toEqual([...ORDER_STATUSES].sort());
      for (const status of ORDER_STATUSES) {
        expect(counts[status], status).toBe(variants.filter((o) => o.status === status).length);
      }
    });

    it('given an empty batch, when committed, then nothing happens and no events come back', async () => {
      expect(await ctx.store.commit([])).toEqual([]);
      expect(await ctx.store.auditHead()).toEqual({ seq: 0, hash: '0'.repeat(64) });
    });
  });
}
