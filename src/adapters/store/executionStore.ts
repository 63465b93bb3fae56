/**
 * The ExecutionStore over Kysely, shared by both dialects (ports/execution.ts), and the intent
 * writes commitBatch applies inside an order change's transaction.
 * - A claim runs in its own write transaction: on PostgreSQL the due rows are selected FOR
 *   UPDATE SKIP LOCKED, so concurrent instances lease disjoint intents; on SQLite BEGIN
 *   IMMEDIATE holds the write lock for the whole claim.
 * - `update` and `complete` are fenced on the lease owner, which names the claim, not just the
 *   instance (the executor's leaseToken): zero rows touched means the lease was
 *   taken over (or the intent completed by its new owner), and the change fails as a
 *   StoreConflict('dispatch_lease') so nothing the stale writer decided is committed.
 */
import { sql, type Insertable, type Kysely, type Selectable, type Transaction } from 'kysely';
import { decimalText } from '../../domain/money.ts';
import type {
  DispatchClaim, DispatchIntent, DispatchIntentWrite, DriftItem, ExecutionStore, InstanceName, ReconciliationRun, VenueSessionLease, RoutingRule, VenueConfig,
} from '../../ports/execution.ts';
import { StoreConflict, type FillAdjustment } from '../../ports/store.ts';
import type { DispatchIntentsTable, ReconciliationRunsTable } from './executionSchema.ts';
import { fillFromRow, toDate } from './rows.ts';
import { completeIntent, insertRows } from './hotStatements.ts';
import { execute, sendBuilt, type Statements } from './statements.ts';
import type { StoreSchema } from './schema.ts';

type Db = Kysely<StoreSchema>;
type Tx = Transaction<StoreSchema>;
type Run = <T>(work: () => Promise<T>) => Promise<T>;

const iso = (date: Date) => date.toISOString();
const CHUNK = 1_000;

function intentFromRow(row: Selectable<DispatchIntentsTable>): DispatchIntent {
  return {
    orderId: row.order_id,
    venue: row.venue,
    attempts: Number(row.attempts),
    nextAttemptAt: toDate(row.next_attempt_at),
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at === null ? null : toDate(row.lease_expires_at),
    inDoubt: Number(row.in_doubt) === 1,
    lastError: row.last_error,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

function runFromRow(row: Selectable<ReconciliationRunsTable>): ReconciliationRun {
  return {
    id: row.id,
    venue: row.venue,
    trigger: row.trigger as ReconciliationRun['trigger'],
    startedAt: toDate(row.started_at),
    finishedAt: toDate(row.finished_at),
    status: row.status as ReconciliationRun['status'],
    examined: Number(row.examined),
    drift: Number(row.drift),
    details: JSON.parse(row.details) as DriftItem[],
    fillsCursor: row.fills_cursor,
    error: row.error,
  };
}

/** Applies a batch's intent writes in array order; called by commitBatch inside its transaction. */
export async function writeDispatchIntents(st: Statements, writes: readonly DispatchIntentWrite[]): Promise<void> {
  let creates: Array<Insertable<DispatchIntentsTable>> = [];
  const flush = () => {
    insertRows(st, 'dispatch_intents', creates, 'ON CONFLICT (order_id) DO NOTHING');
    creates = [];
  };
  for (const write of writes) {
    if (write.kind === 'create') {
      const at = iso(write.at);
      creates.push({
        order_id: write.orderId, venue: write.venue, attempts: write.attempts, next_attempt_at: at, lease_owner: write.lease?.owner ?? null,
        lease_expires_at: write.lease ? iso(write.lease.expiresAt) : null, in_doubt: 0, last_error: null, created_at: at, updated_at: at,
      });
      continue;
    }
    flush();
    if (write.kind === 'expedite') {
      const at = iso(write.at);
      sendBuilt(st, st.build.updateTable('dispatch_intents').set({ next_attempt_at: at, updated_at: at })
        .where('order_id', '=', write.orderId).where('next_attempt_at', '>', at)
        .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<=', at)])));
      continue;
    }
    if (write.kind === 'relay_cancel') {
      const at = iso(write.at);
      sendBuilt(st, st.build.updateTable('dispatch_intents').set({ attempts: 0, in_doubt: 0, next_attempt_at: at, updated_at: at })
        .where('order_id', '=', write.orderId)
        .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<=', at)])));
      continue;
    }
    if (write.kind === 'complete') {
      completeIntent(st, write.orderId, write.owner);
      continue;
    }
    const fenced = (await execute(st, st.build.updateTable('dispatch_intents').set({
        attempts: write.attempts,
        next_attempt_at: iso(write.nextAttemptAt),
        lease_expires_at: write.leaseExpiresAt === null ? null : iso(write.leaseExpiresAt),
        lease_owner: write.leaseExpiresAt === null ? null : write.owner,
        in_doubt: write.inDoubt ? 1 : 0,
        last_error: write.lastError,
        updated_at: iso(write.at),
      }).where('order_id', '=', write.orderId).where('lease_owner', '=', write.owner)
        .$if(write.orderVersion !== undefined, (query) => query.where((eb) => eb.exists(
          eb.selectFrom('orders').select('id').where('id', '=', write.orderId).where('version', '=', write.orderVersion!)))))).changed > 0n;
    if (!fenced) {
      // Which fence held it back, read only on this rare path so the common one stays one statement.
      if (write.orderVersion !== undefined && !(await orderAtVersion(st, write.orderId, write.orderVersion))) {
        throw new StoreConflict('order_version', `order ${write.orderId} changed since version ${write.orderVersion}`);
      }
      throw new StoreConflict('dispatch_lease', `${write.owner} no longer holds the dispatch lease of order ${write.orderId}`);
    }
  }
  flush();
}

async function orderAtVersion(st: Statements, orderId: string, version: number): Promise<boolean> {
  const [row] = (await execute(st, st.build.selectFrom('orders').select('version').where('id', '=', orderId))).rows;
  return row !== undefined && Number(row.version) === version;
}

/**
 * Records each bust or correction message once (a replay conflicts like a replayed fill); a bust
 * marks the fill, which stays so its own replay is a duplicate; a correction rewrites it.
 */
export async function writeFillAdjustments(st: Statements, adjustments: readonly FillAdjustment[]): Promise<void> {
  for (const adjustment of adjustments) {
    const { rows: written } = await execute(st, st.build.insertInto('fill_adjustments').values({
      venue: adjustment.venue, adjustment_id: adjustment.adjustmentId, venue_fill_id: adjustment.venueFillId,
      kind: adjustment.busted ? 'bust' : 'correction', at: iso(adjustment.at),
    }).onConflict((conflict) => conflict.columns(['venue', 'adjustment_id']).doNothing()).returning('adjustment_id'));
    if (written.length === 0) throw new StoreConflict('venue_fill_id', `adjustment ${adjustment.adjustmentId} of ${adjustment.venue} is already applied`);
    if (adjustment.busted) continue;
    sendBuilt(st, st.build.updateTable('fills').set({ quantity: decimalText(adjustment.quantity), price: decimalText(adjustment.price) })
      .where('venue', '=', adjustment.venue).where('venue_fill_id', '=', adjustment.venueFillId));
  }
}

async function claim(db: Db, request: DispatchClaim, lockRows: boolean): Promise<DispatchIntent[]> {
  const now = iso(request.now);
  const until = iso(new Date(request.now.getTime() + request.leaseMs));
  if (request.venues?.length === 0) return [];
  return db.transaction().execute(async (trx) => {
    const due = await trx.selectFrom('dispatch_intents').select('order_id')
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<=', now)]))
      .$if(request.venues !== undefined, (query) => query.where('venue', 'in', [...request.venues!]))
      .orderBy('next_attempt_at').orderBy('order_id')
      .limit(request.limit)
      .$if(lockRows, (query) => query.forUpdate().skipLocked())
      .execute();
    if (due.length === 0) return [];
    const rows = await trx.updateTable('dispatch_intents')
      .set({ lease_owner: request.owner, lease_expires_at: until, updated_at: now })
      .where('order_id', 'in', due.map((row) => row.order_id))
      .returningAll()
      .execute();
    return rows.map(intentFromRow).sort((a, b) => a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime());
  });
}

/** The upsert takes the row only where it is this owner's or has expired; the read after says who holds it. */
async function acquireSession(db: Db, request: { venue: string; owner: string; now: Date; ttlMs: number }): Promise<VenueSessionLease> {
  const now = iso(request.now);
  const row = { venue: request.venue, owner: request.owner, acquired_at: now, expires_at: iso(new Date(request.now.getTime() + request.ttlMs)) };
  return db.transaction().execute(async (trx) => {
    await trx.insertInto('venue_sessions').values(row)
      .onConflict((conflict) => conflict.column('venue').doUpdateSet({
        owner: row.owner,
        expires_at: row.expires_at,
        acquired_at: (eb) => eb.case().when('venue_sessions.owner', '=', row.owner).then(eb.ref('venue_sessions.acquired_at')).else(row.acquired_at).end(),
      }).where((eb) => eb.or([eb('venue_sessions.owner', '=', row.owner), eb('venue_sessions.expires_at', '<=', now)])))
      .execute();
    return sessionFromRow(await trx.selectFrom('venue_sessions').selectAll().where('venue', '=', request.venue).executeTakeFirstOrThrow());
  });
}

async function claimName(db: Db, request: { name: string; token: string; now: Date; staleBefore: Date }): Promise<InstanceName> {
  const now = iso(request.now);
  const row = { name: request.name, token: request.token, started_at: now, seen_at: now };
  return db.transaction().execute(async (trx) => {
    await trx.insertInto('instances').values(row)
      .onConflict((conflict) => conflict.column('name').doUpdateSet({ token: row.token, started_at: row.started_at, seen_at: row.seen_at })
        .where((eb) => eb.or([eb('instances.token', '=', row.token), eb('instances.seen_at', '<=', iso(request.staleBefore))])))
      .execute();
    const held = await trx.selectFrom('instances').selectAll().where('name', '=', request.name).executeTakeFirstOrThrow();
    return { name: held.name, token: held.token, startedAt: toDate(held.started_at), seenAt: toDate(held.seen_at) };
  });
}

function sessionFromRow(row: { venue: string; owner: string; acquired_at: string | Date; expires_at: string | Date }): VenueSessionLease {
  return { venue: row.venue, owner: row.owner, acquiredAt: toDate(row.acquired_at), expiresAt: toDate(row.expires_at) };
}

async function inDoubtOrderIds(db: Db, orderIds: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let start = 0; start < orderIds.length; start += CHUNK) {
    const rows = await db.selectFrom('dispatch_intents').select('order_id')
      .where('in_doubt', '=', 1).where('order_id', 'in', orderIds.slice(start, start + CHUNK)).execute();
    for (const row of rows) found.add(row.order_id);
  }
  return found;
}

async function lastRuns(db: Db): Promise<ReconciliationRun[]> {
  const latest = db.selectFrom('reconciliation_runs')
    .select(['venue', (eb) => eb.fn.max('started_at').as('started_at')])
    .groupBy('venue')
    .as('latest');
  const rows = await db.selectFrom('reconciliation_runs')
    .innerJoin(latest, (join) => join.onRef('latest.venue', '=', 'reconciliation_runs.venue').onRef('latest.started_at', '=', 'reconciliation_runs.started_at'))
    .selectAll('reconciliation_runs')
    .orderBy('reconciliation_runs.venue')
    .execute();
  return rows.map(runFromRow);
}

export function createExecutionStore(db: Db, lockRows: boolean, run: Run): ExecutionStore {
  const write = <T>(work: (trx: Tx) => Promise<T>) => run(() => db.transaction().execute(work));
  return {
    claimDispatchIntents: (request) => run(() => claim(db, request, lockRows)),
    releaseDispatchLeases: (owner) => write(async (trx) => {
      // The owner's own name, or one of its claims (owner/claim id); compared as a prefix by
      // substr, since LIKE would read an _ in the name as a wildcard.
      const claims = `${owner}/`;
      const result = await trx.updateTable('dispatch_intents').set({ lease_owner: null, lease_expires_at: null })
        .where((eb) => eb.or([
          eb('lease_owner', '=', owner),
          eb(sql<string>`substr(lease_owner, 1, ${sql.lit(claims.length)})`, '=', claims),
        ])).executeTakeFirst();
      return Number(result.numUpdatedRows);
    }),
    findDispatchIntent: (orderId) => run(async () => {
      const row = await db.selectFrom('dispatch_intents').selectAll().where('order_id', '=', orderId).executeTakeFirst();
      return row ? intentFromRow(row) : null;
    }),
    listDispatchIntents: (filter) => run(async () => {
      const rows = await db.selectFrom('dispatch_intents').selectAll()
        .$if(filter.inDoubt !== undefined, (query) => query.where('in_doubt', '=', filter.inDoubt ? 1 : 0))
        .$if(filter.venue !== undefined, (query) => query.where('venue', '=', filter.venue as string))
        .orderBy('created_at').orderBy('order_id').limit(filter.limit).execute();
      return rows.map(intentFromRow);
    }),
    inDoubtOrderIds: (orderIds) => run(() => inDoubtOrderIds(db, orderIds)),
    countInDoubt: () => run(async () => {
      const row = await db.selectFrom('dispatch_intents').select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('in_doubt', '=', 1).executeTakeFirstOrThrow();
      return Number(row.n);
    }),

    listVenueConfigs: () => run(async () => {
      const rows = await db.selectFrom('venues').selectAll().orderBy('name').execute();
      return rows.map((row): VenueConfig => ({
        name: row.name, kind: row.kind, settings: JSON.parse(row.settings) as Record<string, unknown>,
        active: Number(row.active) === 1, updatedAt: toDate(row.updated_at),
      }));
    }),
    putVenueConfig: (config) => write(async (trx) => {
      const row = { name: config.name, kind: config.kind, settings: JSON.stringify(config.settings), active: config.active ? 1 : 0, updated_at: iso(config.updatedAt) };
      await trx.insertInto('venues').values(row)
        .onConflict((conflict) => conflict.column('name').doUpdateSet({ kind: row.kind, settings: row.settings, active: row.active, updated_at: row.updated_at }))
        .execute();
    }),
    listRoutingRules: () => run(async () => {
      const rows = await db.selectFrom('routing_rules').selectAll().orderBy('priority').orderBy('id').execute();
      return rows.map((row): RoutingRule => ({ id: row.id, priority: Number(row.priority), symbol: row.symbol, traderId: row.trader_id, venue: row.venue }));
    }),
    replaceRoutingRules: (rules) => write(async (trx) => {
      await trx.deleteFrom('routing_rules').execute();
      if (rules.length === 0) return;
      await trx.insertInto('routing_rules')
        .values(rules.map((rule) => ({ id: rule.id, priority: rule.priority, symbol: rule.symbol, trader_id: rule.traderId, venue: rule.venue })))
        .execute();
    }),

    recordReconciliationRun: (runRecord) => write(async (trx) => {
      await trx.insertInto('reconciliation_runs').values({
        id: runRecord.id, venue: runRecord.venue, trigger: runRecord.trigger, started_at: iso(runRecord.startedAt),
        finished_at: iso(runRecord.finishedAt), status: runRecord.status, examined: runRecord.examined, drift: runRecord.drift,
        details: JSON.stringify(runRecord.details), fills_cursor: runRecord.fillsCursor, error: runRecord.error,
      }).execute();
    }),
    lastReconciliationRuns: () => run(() => lastRuns(db)),
    acquireVenueSession: (request) => run(() => acquireSession(db, request)),
    releaseVenueSession: (venue, owner) => write(async (trx) => {
      await trx.deleteFrom('venue_sessions').where('venue', '=', venue).where('owner', '=', owner).execute();
    }),
    listVenueSessions: () => run(async () => (await db.selectFrom('venue_sessions').selectAll().orderBy('venue').execute()).map(sessionFromRow)),
    claimInstanceName: (request) => run(() => claimName(db, request)),
    touchInstanceName: (name, token, now) => write(async (trx) => {
      const result = await trx.updateTable('instances').set({ seen_at: iso(now) }).where('name', '=', name).where('token', '=', token).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    }),
    releaseInstanceName: (name, token) => write(async (trx) => {
      await trx.deleteFrom('instances').where('name', '=', name).where('token', '=', token).execute();
    }),
    findFill: (venue, venueFillId) => run(async () => {
      const row = await db.selectFrom('fills').selectAll().where('venue', '=', venue).where('venue_fill_id', '=', venueFillId).executeTakeFirst();
      if (!row) return null;
      const bust = await db.selectFrom('fill_adjustments').select('adjustment_id')
        .where('venue', '=', venue).where('venue_fill_id', '=', venueFillId).where('kind', '=', 'bust').executeTakeFirst();
      return { fill: fillFromRow(row), busted: bust !== undefined };
    }),
    fillAdjustmentSeen: (venue, adjustmentId) => run(async () =>
      (await db.selectFrom('fill_adjustments').select('adjustment_id').where('venue', '=', venue).where('adjustment_id', '=', adjustmentId).executeTakeFirst()) !== undefined),
    lastFillsCursor: (venue) => run(async () => {
      const row = await db.selectFrom('reconciliation_runs').select('fills_cursor')
        .where('venue', '=', venue).where('status', '=', 'ok').where('fills_cursor', 'is not', null)
        .orderBy('started_at', 'desc').limit(1).executeTakeFirst();
      return row?.fills_cursor ?? null;
    }),
  };
}
