/**
 * The execution tables as Kysely sees them (0004_execution, 0007_venue_sessions and
 * 0008_instances in both dialects): dispatch intents, venue configurations, routing rules, reconciliation runs and the
 * leases of single-session venues. Flags are 0/1 integers on both
 * dialects; timestamps ISO 8601 text in, text (SQLite) or Date (PostgreSQL) out.
 */
import type { Timestamp } from './schema.ts';

export interface DispatchIntentsTable {
  order_id: string;
  venue: string;
  attempts: number;
  next_attempt_at: Timestamp;
  lease_owner: string | null;
  lease_expires_at: Timestamp | null;
  in_doubt: number;
  last_error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface VenuesTable {
  name: string;
  kind: string;
  /** JSON text. */
  settings: string;
  active: number;
  updated_at: Timestamp;
}

export interface RoutingRulesTable {
  id: string;
  priority: number;
  symbol: string | null;
  trader_id: string | null;
  venue: string;
}

export interface ReconciliationRunsTable {
  id: string;
  venue: string;
  trigger: string;
  started_at: Timestamp;
  finished_at: Timestamp;
  status: string;
  examined: number;
  drift: number;
  /** JSON text: the first drift items. */
  details: string;
  fills_cursor: string | null;
  error: string | null;
}

export interface FillAdjustmentsTable {
  venue: string;
  adjustment_id: string;
  venue_fill_id: string;
  kind: 'bust' | 'correction';
  at: Timestamp;
}

export interface VenueSessionsTable {
  venue: string;
  owner: string;
  acquired_at: Timestamp;
  expires_at: Timestamp;
}

export interface InstancesTable {
  name: string;
  token: string;
  started_at: Timestamp;
  seen_at: Timestamp;
}

export interface ExecutionTables {
  dispatch_intents: DispatchIntentsTable;
  venues: VenuesTable;
  routing_rules: RoutingRulesTable;
  reconciliation_runs: ReconciliationRunsTable;
  fill_adjustments: FillAdjustmentsTable;
  venue_sessions: VenueSessionsTable;
  instances: InstancesTable;
}
