/** What the HTTP layer is given by main.ts: the app's services and the ports it reads. */
import type { Registry } from 'prom-client';
import type { OrderContext } from '../app/context.ts';
import type { Dispatcher } from '../app/dispatch.ts';
import type { ExecutionReportProcessor } from '../app/executionReports.ts';
import type { VenueGuards } from '../app/execution/venueGuard.ts';
import type { Reconciler } from '../app/reconciliation/reconciler.ts';
import type { RoutingVenues } from '../app/routing/routingVenues.ts';
import type { RiskControls } from '../app/risk/riskControls.ts';
import type { RiskGate } from '../app/risk/riskGate.ts';
import type { EventBus } from '../ports/bus.ts';
import type { Authenticator } from './auth.ts';
import type { IdempotencyGuard } from './idempotency.ts';

export interface HttpDeps {
  readonly ctx: OrderContext;
  readonly dispatcher: Dispatcher;
  readonly reports: ExecutionReportProcessor;
  readonly bus: EventBus;
  readonly auth: Authenticator;
  readonly idempotency: IdempotencyGuard;
  readonly metrics: Registry;
  /** When set, /metrics answers only this bearer token (ORDERGATE_METRICS_TOKEN). */
  readonly metricsToken?: string | null;
  /** False until start-up recovery has run; order intake answers 503 until then. */
  readonly ready: () => boolean;
  readonly websocket: { readonly heartbeatMs: number; readonly maxBufferedBytes: number; readonly slowConsumerMs: number };
  /** Pre-trade risk, accounts and the kill switch. */
  readonly risk: { readonly gate: RiskGate; readonly controls: RiskControls };
  /** Order requests a trader may send a minute, and the Redis URL (and key namespace) that shares the count between instances. */
  readonly rateLimit: { readonly perMinute: number; readonly redisUrl: string | null; readonly namespace?: string };
  /** Reconciliation, routing and venue guards, for the admin API (routes/admin.ts). */
  readonly execution?: {
    readonly reconciler: Reconciler;
    readonly venues: RoutingVenues;
    readonly guards: VenueGuards;
    /** Brings this instance's venue adapters in step with a configuration or credentials change (venueSupervisor.ts). */
    readonly adapters?: { sync(): Promise<void> };
  };
}
