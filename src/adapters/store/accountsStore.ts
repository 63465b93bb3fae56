/**
 * The AccountStore over Kysely, shared by both dialects: reads of a trader's account,
 * positions and open quantities, instruments and risk settings; and the control writes.
 * Invariant: every control write (a setting, an instrument, cash) commits in one transaction
 * with its row in the hash-chained audit trail (order_events, `order_id` naming the subject,
 * payload with actor, old and new values) and its stream events. It runs as a control
 * transaction (controlTransaction.ts): the audit head is locked before the row it changes, as an
 * order commit locks it before the accounts it touches, so the chain stays linear and neither
 * ever waits for the other in a cycle.
 */
import type { Kysely } from 'kysely';
import { decimalText, fromText, type Dec } from '../../domain/money.ts';
import type { AccountRecord, AccountStore, Instrument, OpenQuantity } from '../../ports/accounts.ts';
import { controlTransaction } from './controlTransaction.ts';
import type { StoreSchema } from './schema.ts';
import type { Dialect } from './statements.ts';

type Db = Kysely<StoreSchema>;

const text = (value: unknown) => String(value);

function instrumentFromRow(row: { symbol: string; lot_size: string; tick_size: string; reference_price: string; tradable: number }): Instrument {
  return {
    symbol: row.symbol, lotSize: fromText(text(row.lot_size)), tickSize: fromText(text(row.tick_size)),
    referencePrice: fromText(text(row.reference_price)), tradable: Number(row.tradable) === 1,
  };
}

function sumOpen(rows: Array<{ symbol: string; side: 'buy' | 'sell'; remaining_quantity: string }>): OpenQuantity[] {
  const sums = new Map<string, OpenQuantity>();
  for (const row of rows) {
    const key = `${row.symbol} ${row.side}`;
    const quantity = fromText(text(row.remaining_quantity)).plus(sums.get(key)?.quantity ?? 0);
    sums.set(key, { symbol: row.symbol, side: row.side, quantity });
  }
  return [...sums.values()];
}

export function instrumentJson(i: Instrument): Record<string, unknown> {
  return { symbol: i.symbol, lot_size: decimalText(i.lotSize), tick_size: decimalText(i.tickSize), reference_price: decimalText(i.referencePrice), tradable: i.tradable };
}

export function createAccountStore(db: Db, dialect: Dialect, run: <T>(work: () => Promise<T>) => Promise<T>): AccountStore {
  // PostgreSQL locks what a change reads; SQLite's BEGIN IMMEDIATE holds the write lock already.
  const lock = dialect === 'postgres';
  return {
    loadTrader: (traderId) => run(async () => {
      const [account, positions, open] = await Promise.all([
        db.selectFrom('accounts').select(['trader_id', 'cash', 'reserved']).where('trader_id', '=', traderId).executeTakeFirst(),
        db.selectFrom('positions').selectAll().where('trader_id', '=', traderId).orderBy('symbol').execute(),
        db.selectFrom('reservations').select(['symbol', 'side', 'remaining_quantity']).where('trader_id', '=', traderId).execute(),
      ]);
      return {
        account: account ? { traderId, cash: fromText(text(account.cash)), reserved: fromText(text(account.reserved)) } : null,
        positions: positions.map((p) => ({
          symbol: p.symbol, quantity: fromText(text(p.quantity)), averagePrice: fromText(text(p.average_price)),
          sellReserved: fromText(text(p.sell_reserved)), realizedPnl: fromText(text(p.realized_pnl)), pnlDay: p.pnl_day,
        })),
        // Summed here, exactly: SQLite would sum TEXT as floating point.
        open: sumOpen(open),
      };
    }),

    listInstruments: () => run(async () => (await db.selectFrom('instruments').selectAll().orderBy('symbol').execute()).map(instrumentFromRow)),
    listSettings: () => run(async () =>
      (await db.selectFrom('risk_settings').select(['key', 'value']).execute()).map((row) => ({ key: row.key, value: JSON.parse(row.value) as unknown }))),
    listTraders: () => run(async () => (await db.selectFrom('accounts').select('trader_id').orderBy('trader_id').execute()).map((r) => r.trader_id)),
    fillSettled: (venue, venueFillId) => run(async () => (await db.selectFrom('fill_settlements').select('ordinal')
      .where('venue', '=', venue).where('venue_fill_id', '=', venueFillId).executeTakeFirst()) !== undefined),

    seedInstruments: (instruments, at) => run(async () => {
      if (instruments.length === 0) return;
      await db.transaction().execute((trx) => trx.insertInto('instruments').values(instruments.map((i) => ({
        symbol: i.symbol, lot_size: decimalText(i.lotSize), tick_size: decimalText(i.tickSize),
        reference_price: decimalText(i.referencePrice), tradable: i.tradable ? 1 : 0, updated_at: at.toISOString(),
      }))).onConflict((c) => c.column('symbol').doNothing()).execute());
    }),

    putInstrument: (instrument, meta) => run(() => controlTransaction(db, dialect, async (trx, audit) => {
      const row = await trx.selectFrom('instruments').selectAll().where('symbol', '=', instrument.symbol).$if(lock, (q) => q.forUpdate()).executeTakeFirst();
      const before = row ? instrumentFromRow(row) : null;
      const values = {
        lot_size: decimalText(instrument.lotSize), tick_size: decimalText(instrument.tickSize), reference_price: decimalText(instrument.referencePrice),
        tradable: instrument.tradable ? 1 : 0, updated_at: meta.at.toISOString(),
      };
      await trx.insertInto('instruments').values({ symbol: instrument.symbol, ...values })
        .onConflict((c) => c.column('symbol').doUpdateSet(values)).execute();
      const events = await audit.record({
        subject: `instrument:${instrument.symbol}`, traderId: '_firm', kind: 'instrument_changed',
        payload: { old: before ? instrumentJson(before) : null, new: instrumentJson(instrument) },
      }, meta);
      return { before, events };
    })),

    writeSetting: (write, meta, stream) => run(() => controlTransaction(db, dialect, async (trx, audit) => {
      const row = await trx.selectFrom('risk_settings').select('value').where('key', '=', write.key).$if(lock, (q) => q.forUpdate()).executeTakeFirst();
      type T = ReturnType<typeof write.update>;
      const before = row ? (JSON.parse(row.value) as T) : null;
      const after = write.update(before);
      const values = { value: JSON.stringify(after), updated_at: meta.at.toISOString(), updated_by: meta.actor };
      await trx.insertInto('risk_settings').values({ key: write.key, ...values }).onConflict((c) => c.column('key').doUpdateSet(values)).execute();
      const [kind, scope] = write.key.split(':') as [string, string];
      const events = await audit.record(
        { subject: `risk_${kind}:${scope}`, traderId: scope, kind: `risk_${kind}_changed`, payload: { old: before, new: after } }, meta, stream);
      return { before, after, events };
    })),

    creditCash: (traderId, amount, openingCash, meta) => run(() => controlTransaction(db, dialect, async (trx, audit): Promise<AccountRecord> => {
      const at = meta.at.toISOString();
      await trx.insertInto('accounts').values({ trader_id: traderId, cash: decimalText(openingCash), reserved: '0', created_at: at, updated_at: at })
        .onConflict((c) => c.column('trader_id').doNothing()).execute();
      const row = await trx.selectFrom('accounts').select(['cash', 'reserved']).where('trader_id', '=', traderId).$if(lock, (q) => q.forUpdate()).executeTakeFirstOrThrow();
      const before: Dec = fromText(text(row.cash));
      const after = before.plus(amount);
      await trx.updateTable('accounts').set({ cash: decimalText(after), updated_at: at }).where('trader_id', '=', traderId).execute();
      await audit.record({
        subject: `cash:${traderId}`, traderId, kind: 'cash_adjusted',
        payload: { amount: decimalText(amount), old: decimalText(before), new: decimalText(after) },
      }, meta);
      return { traderId, cash: after, reserved: fromText(text(row.reserved)) };
    })),
  };
}
