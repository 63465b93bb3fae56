/**
 * Contract section: the audit trail. Seqs are gap-free and hash-linked, payloads stored byte
 * for byte; the database itself refuses UPDATE and DELETE; and when a DBA drops the guarding
 * triggers and tampers (a changed byte, a deleted row, a swapped pair, a rehashed row, a forged
 * row past the head), the verifier names the first broken row.
 */
import { describe, expect, it } from 'vitest';
import type { OrderStore } from '../../../ports/store.ts';
import { auditHash, GENESIS_HASH } from '../auditChain.ts';
import { verifyAuditChain } from '../verifyAuditChain.ts';
import { useMigratedStore, type MakeStore } from './context.ts';
import { auditEntry, change, newTraderId, pendingOrder, submission, withStatus } from './fixtures.ts';

/** Five audit rows over three commits; row 2 is the "acked" entry of the first order. */
async function writeChain(store: OrderStore) {
  const trader = newTraderId();
  const first = pendingOrder(trader);
  const acked = withStatus(first, 'acked');
  await store.commit([submission(first), change(acked, 1)]);
  await store.commit([submission(pendingOrder(trader)), submission(pendingOrder(trader))]);
  await store.commit([submission(pendingOrder(newTraderId()))]);
  return { rows: await store.auditChain(0, 100), first };
}

const dropGuards = (store: OrderStore) =>
  store.dialect === 'postgres'
    ? 'DROP TRIGGER order_events_no_update ON order_events; DROP TRIGGER order_events_no_delete ON order_events;'
    : 'DROP TRIGGER order_events_no_update; DROP TRIGGER order_events_no_delete;';

export function describeAuditContract(makeStore: MakeStore): void {
  describe('audit trail', () => {
    const ctx = useMigratedStore(makeStore);

    it('given several commits, when the chain is read, then seqs run 1 … n, each row links to the last and the head is the last row', async () => {
      const { rows, first } = await writeChain(ctx.store);
      expect(rows.map((row) => row.seq)).toEqual([1, 2, 3, 4, 5]);
      let previous = GENESIS_HASH;
      for (const row of rows) {
        expect(row.prevHash).toBe(previous);
        expect(row.hash).toBe(auditHash(row.prevHash, row));
        previous = row.hash;
      }
      expect(await ctx.store.auditHead()).toEqual({ seq: 5, hash: rows[4]!.hash });
      expect(await ctx.store.auditChain(2, 2)).toEqual(rows.slice(2, 4));

      const ofFirst = await ctx.store.listAudit(first.id);
      expect(ofFirst.map((row) => [row.seq, row.kind])).toEqual([[1, 'submitted'], [2, 'acked']]);
      expect(ofFirst[0]!.payload).toBe(auditEntry(first, 'submitted').payload);
      expect(ofFirst[0]!.at.toISOString()).toBe(first.updatedAt.toISOString());
    });

    it('given an entry with unusual JSON text, when stored, then the payload reads back byte for byte', async () => {
      const order = pendingOrder(newTraderId());
      const payload = '{ "b":1,\t"a" : "é\\u00e9 ✓ 𝄞",\n"n": 1.50 }';
      await ctx.store.commit([{ ...submission(order), audit: [auditEntry(order, 'submitted', payload)] }]);
      expect((await ctx.store.listAudit(order.id))[0]!.payload).toBe(payload);
    });

    it('given an honest chain, when verified in small pages, then it passes with its row count; an empty chain passes too', async () => {
      expect(await verifyAuditChain(ctx.store)).toEqual({ ok: true, rows: 0 });
      await writeChain(ctx.store);
      expect(await verifyAuditChain(ctx.store, 2)).toEqual({ ok: true, rows: 5 });
    });

    it('given two instances writing at once, when all commits finish, then the chain verifies', async () => {
      const other = await ctx.fixture.openAnother();
      try {
        await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? other : ctx.store).commit([submission(pendingOrder(newTraderId()))])));
        expect(await verifyAuditChain(ctx.store, 5)).toEqual({ ok: true, rows: 16 });
      } finally {
        await other.close();
      }
    });

    it('given audit rows, when someone UPDATEs or DELETEs one, then the database refuses', async () => {
      const { rows } = await writeChain(ctx.store);
      await expect(ctx.fixture.sql("UPDATE order_events SET payload = '{}' WHERE seq = 3")).rejects.toThrow(/append-only/);
      await expect(ctx.fixture.sql('DELETE FROM order_events WHERE seq = 3')).rejects.toThrow(/append-only/);
      await expect(ctx.fixture.sql('DELETE FROM order_events')).rejects.toThrow(/append-only/);
      expect(await ctx.store.auditChain(0, 100)).toEqual(rows);
    });

    describe('tampering by a DBA who drops the triggers', () => {
      it('given a changed byte in a payload, when verified, then that row is named', async () => {
        const { rows } = await writeChain(ctx.store);
        await ctx.fixture.sql(`${dropGuards(ctx.store)} UPDATE order_events SET payload = replace(payload, 'pending', 'pendinG') WHERE seq = 3`);
        expect(await verifyAuditChain(ctx.store)).toMatchObject({ ok: false, seq: 3, id: rows[2]!.id, problem: expect.stringMatching(/hash/) });
      });

      it('given a changed field outside the payload (trader id), when verified, then that row is named', async () => {
        const { rows } = await writeChain(ctx.store);
        await ctx.fixture.sql(`${dropGuards(ctx.store)} UPDATE order_events SET trader_id = 'someone-else' WHERE seq = 4`);
        expect(await verifyAuditChain(ctx.store)).toMatchObject({ ok: false, seq: 4, id: rows[3]!.id });
      });

      it('given a deleted row, when verified, then its seq is named as missing', async () => {
        await writeChain(ctx.store);
        await ctx.fixture.sql(`${dropGuards(ctx.store)} DELETE FROM order_events WHERE seq = 3`);
        expect(await verifyAuditChain(ctx.store, 2)).toMatchObject({ ok: false, seq: 3, id: null, problem: expect.stringMatching(/missing/) });
      });

      it('given the last row deleted, when verified, then the head exposes it', async () => {
        await writeChain(ctx.store);
        await ctx.fixture.sql(`${dropGuards(ctx.store)} DELETE FROM order_events WHERE seq = 5`);
        expect(await verifyAuditChain(ctx.store)).toMatchObject({ ok: false, seq: 5, id: null });
      });

      it('given two rows with their payloads swapped, when verified, then the first of the pair is named', async () => {
        const { rows } = await writeChain(ctx.store);
        await ctx.fixture.sql(
          `${dropGuards(ctx.store)} UPDATE order_events SET payload = CASE seq` +
            ' WHEN 2 THEN (SELECT payload FROM order_events WHERE seq = 3)' +
            ' WHEN 3 THEN (SELECT payload FROM order_events WHERE seq = 2) END WHERE seq IN (2, 3)',
        );
        expect((await ctx.store.auditChain(1, 1))[0]!.payload).toBe(rows[2]!.payload);
        expect(await verifyAuditChain(ctx.store)).toMatchObject({ ok: false, seq: 2, id: rows[1]!.id });
      });

      it('given a changed row whose hash was recomputed, when verified, then the break shows at the next row', async () => {
        const { rows } = await writeChain(ctx.store);
        const forged = { ...rows[2]!, payload: '{"forged":true}' };
        const hash = auditHash(forged.prevHash, forged);
        await ctx.fixture.sql(`${dropGuards(ctx.store)} UPDATE order_events SET payload = '{"forged":true}', hash = '${hash}' WHERE seq = 3`);
        expect(await verifyAuditChain(ctx.store)).toMatchObject({ ok: false, seq: 4, id: rows[3]!.id, problem: expect.stringMatching(/prev_hash/) });
      });

      it('given a row forged past the head, when verified, then it is named', async () => {
        const { rows } = await writeChain(ctx.store);
        const last = rows[4]!;
        const forged = { ...last, seq: 6, id: 'forged-row', prevHash: last.hash };
        const values = [6, "'forged-row'", `'${last.orderId}'`, `'${last.traderId}'`, `'${last.kind}'`, `'${last.payload}'`, `'${last.at.toISOString()}'`, `'${last.hash}'`, `'${auditHash(last.hash, forged)}'`];
        await ctx.fixture.sql(`INSERT INTO order_events (seq, id, order_id, trader_id, kind, payload, at, prev_hash, hash) VALUES (${values.join(', ')})`);
        expect(await verifyAuditChain(ctx.store)).toMatchObject({ ok: false, seq: 6, id: 'forged-row' });
      });
    });
  });
}
