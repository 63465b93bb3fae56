/**
 * At start, before new orders are taken: every venue is reconciled with the store
 * (reconciliation/reconcileVenue.ts). What a venue holds is adopted; an order the venue no
 * longer holds (an exchange that restarted empty) is closed as cancelled with that reason;
 * orders still to be sent are left to the executor, which looks each one up before sending if
 * it may have been sent already. Nothing is sent twice. Orders for a venue whose pass failed
 * wait (503 venue_reconciling) until a later pass succeeds.
 */
import type { Reconciler } from './reconciliation/reconciler.ts';

export interface RecoverySummary {
  readonly reconciled: string[];
  readonly failed: string[];
  readonly examined: number;
  readonly drift: number;
}

export async function recoverWorkingOrders(reconciler: Reconciler): Promise<RecoverySummary> {
  const runs = await reconciler.start();
  return {
    reconciled: runs.filter((run) => run.status === 'ok').map((run) => run.venue),
    failed: runs.filter((run) => run.status === 'failed').map((run) => run.venue),
    examined: runs.reduce((sum, run) => sum + run.examined, 0),
    drift: runs.reduce((sum, run) => sum + run.drift, 0),
  };
}
