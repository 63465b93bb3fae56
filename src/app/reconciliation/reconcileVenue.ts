/**
 * One reconciliation pass over one venue: the venue's view is the truth about what it holds
 * and what traded; the store is brought in line with it, and every difference is counted as
 * drift. What a pass does:
 * - Working orders here: the venue's view (its open orders, else a lookup) is adopted through
 *   the same report processor as live reports. An order the venue no longer holds is closed.
 *   A cancel requested here that the venue still works is sent again.
 * - Orders still waiting to be sent belong to the executor; one with no dispatch intent (from
 *   before intents existed) gets one, with attempts = 1 so it is looked up before any send.
 * - Open orders at the venue that are closed here are adopted (fills) and cancelled there;
 *   orders the venue holds that this gateway never sent are reported, never adopted.
 * - Fills after the venue's last cursor are applied. Replays deduplicate: fills by (venue,
 *   venue fill id), acks and terminal reports by the transition table, so a pass run twice (or
 *   by two instances) changes nothing the second time.
 */
import { isOrderId } from '../../domain/ids.ts';
import type { Order } from '../../domain/order/order.ts';
import type { DriftItem, ReconciliationRun } from '../../ports/execution.ts';
import type { ExecutionReport, Venue, VenueOrderView } from '../../ports/venue.ts';
import type { OrderContext } from '../context.ts';
import type { ExecutionReportProcessor } from '../executionReports.ts';
import { bookkeeping } from '../execution/intents.ts';
import { reportsFromView } from '../reconcileOrder.ts';

export interface PassOptions {
  readonly fillsPageSize: number;
  /** Drift items kept in the run's details; the count is always complete. */
  readonly maxDetails: number;
}

const NEVER_REACHED = 'cancelled before it reached the venue';
const NO_LONGER_HELD = 'the venue no longer holds this order';

const awaitsVenue = (order: Order) => order.status === 'pending' || (order.status === 'pending_cancel' && order.venueOrderId === null);
const closedHere = (order: Order) => order.status === 'cancelled' || order.status === 'rejected' || order.status === 'expired';

export async function reconcileVenue(
  ctx: OrderContext,
  reports: ExecutionReportProcessor,
  venueName: string,
  venue: Venue,
  trigger: ReconciliationRun['trigger'],
  options: PassOptions,
): Promise<ReconciliationRun> {
  const startedAt = ctx.clock.now();
  const details: DriftItem[] = [];
  let drift = 0;
  let examined = 0;
  const found = (kind: string, clientOrderId: string, detail: string) => {
    drift += 1;
    if (details.length < options.maxDetails) details.push({ kind, clientOrderId, detail });
  };
  const apply = async (report: ExecutionReport) => (await reports.process(venueName, report)) === 'applied';
  const adopt = async (view: VenueOrderView): Promise<number> => {
    let applied = 0;
    for (const report of reportsFromView(view, ctx.clock.now())) if (await apply(report)) applied += 1;
    return applied;
  };

  let fillsCursor: string | null = null;
  try {
    const open = venue.openOrders ? new Map((await venue.openOrders()).map((view) => [view.clientOrderId, view])) : null;
    const working = await ctx.store.listWorkingOrders(venueName);
    const workingIds = new Set<string>(working.map((order) => order.id));
    for (const order of working) {
      examined += 1;
      if (awaitsVenue(order)) {
        if (await ctx.store.execution.findDispatchIntent(order.id)) continue;
        await ctx.committer.commit(bookkeeping(order, [], [{ kind: 'create', orderId: order.id, venue: venueName, at: ctx.clock.now(), attempts: 1 }]));
        found('no_dispatch_intent', order.id, 'waiting to be sent with no dispatch intent; queued, to be looked up first');
        continue;
      }
      const view = open?.get(order.id) ?? (await venue.lookup(order.id));
      if (view === null) {
        const reason = order.venueOrderId === null ? NEVER_REACHED : NO_LONGER_HELD;
        if (await apply({ kind: 'cancelled', clientOrderId: order.id, venueOrderId: order.venueOrderId, reason, at: ctx.clock.now() })) {
          found('missing_at_venue', order.id, `${order.status} here, not held by the venue: closed as cancelled`);
        }
        continue;
      }
      const applied = await adopt(view);
      if (applied > 0) found('adopted', order.id, `${order.status} here, ${view.status} at the venue: ${applied} report(s) applied`);
      if (order.status === 'pending_cancel' && view.status === 'working') {
        const outcome = await venue.cancel(order.id);
        found('cancel_resent', order.id, `cancel requested here but the venue still works the order: sent again (${outcome.outcome})`);
      }
    }

    for (const [clientOrderId, view] of open ?? []) {
      if (workingIds.has(clientOrderId)) continue;
      examined += 1;
      const order = isOrderId(clientOrderId) ? await ctx.store.findOrder(clientOrderId) : null;
      if (!order || order.venue !== venueName) {
        found('unknown_order_at_venue', clientOrderId, `the venue works an order (${view.venueOrderId}) this gateway never sent; left to an operator`);
        continue;
      }
      const applied = await adopt(view);
      if (closedHere(order)) {
        const outcome = await venue.cancel(clientOrderId);
        found('working_at_venue', clientOrderId, `${order.status} here but working at the venue: cancel sent (${outcome.outcome})`);
      } else if (applied > 0) {
        found('adopted', clientOrderId, `${order.status} here, working at the venue: ${applied} report(s) applied`);
      }
    }

    if (venue.fillsSince) {
      fillsCursor = await ctx.store.execution.lastFillsCursor(venueName);
      for (;;) {
        const page = await venue.fillsSince(fillsCursor, options.fillsPageSize);
        for (const { clientOrderId, venueOrderId, fill } of page.fills) {
          const report: ExecutionReport = { kind: 'fill', clientOrderId, venueOrderId, ...fill };
          const outcome = await reports.process(venueName, report);
          if (outcome === 'applied') found('missed_fill', clientOrderId, `fill ${fill.venueFillId} of ${fill.quantity.toFixed()} @ ${fill.price.toFixed()} was missing`);
          if (outcome === 'ignored' || outcome === 'refused') found(`fill_${outcome}`, clientOrderId, `fill ${fill.venueFillId} could not be applied`);
        }
        fillsCursor = page.cursor;
        if (page.fills.length < options.fillsPageSize) break;
      }
    }
    return finished('ok', null);
  } catch (error) {
    return finished('failed', error instanceof Error ? error.message : String(error));
  }

  async function finished(status: 'ok' | 'failed', error: string | null): Promise<ReconciliationRun> {
    const run: ReconciliationRun = {
      id: ctx.ids.next(), venue: venueName, trigger, startedAt, finishedAt: ctx.clock.now(), status, examined, drift, details,
      fillsCursor: status === 'ok' ? fillsCursor : null, error,
    };
    await ctx.store.execution.recordReconciliationRun(run).catch((failure: unknown) => {
      ctx.log.error({ venue: venueName, err: String(failure) }, 'recording a reconciliation run failed');
    });
    return run;
  }
}
