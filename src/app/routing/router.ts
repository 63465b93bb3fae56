/**
 * Order routing: which venue takes an order. An order may name its venue; otherwise the most
 * specific routing rule that matches decides (trader and symbol, then trader, then symbol, then
 * a catch-all; lower priority first among equals), and with no rule, the default venue.
 * Invariants: an order never goes to a venue that is unknown, inactive, or has no adapter
 * here (422 venue_unavailable), nor to one whose reconciliation has not run yet since this
 * instance started (503 venue_reconciling); a rule is never skipped for the next one, so
 * deactivating a venue stops its flow instead of silently sending it elsewhere.
 */
import type { RoutingRule, VenueConfig } from '../../ports/execution.ts';

export interface RouteRequest {
  readonly traderId: string;
  readonly symbol: string;
  readonly venue: string | null;
}

export type RouteDecision =
  | { readonly ok: true; readonly venue: string }
  | { readonly ok: false; readonly code: 'venue_unavailable'; readonly venue: string; readonly available: string[] }
  | { readonly ok: false; readonly code: 'venue_reconciling'; readonly venue: string };

export interface RoutingState {
  readonly defaultVenue: string;
  readonly configs: readonly VenueConfig[];
  readonly rules: readonly RoutingRule[];
  /** The venues whose adapters run in this instance. */
  readonly connected: readonly string[];
  /** Whether the venue has been reconciled since this instance started. */
  readonly reconciled: (venue: string) => boolean;
}

const specificity = (rule: RoutingRule) => (rule.traderId !== null ? 2 : 0) + (rule.symbol !== null ? 1 : 0);

/** The rule that routes this order, if any: most specific first, then lowest priority, then id. */
export function matchingRule(rules: readonly RoutingRule[], request: RouteRequest): RoutingRule | null {
  const matches = rules.filter((rule) =>
    (rule.traderId === null || rule.traderId === request.traderId) && (rule.symbol === null || rule.symbol === request.symbol));
  matches.sort((a, b) => specificity(b) - specificity(a) || a.priority - b.priority || a.id.localeCompare(b.id));
  return matches[0] ?? null;
}

export function chooseVenue(state: RoutingState, request: RouteRequest): RouteDecision {
  const venue = request.venue ?? matchingRule(state.rules, request)?.venue ?? state.defaultVenue;
  const usable = (name: string) => {
    const config = state.configs.find((c) => c.name === name);
    // A venue with no stored configuration is usable when its adapter runs (configured at start).
    return state.connected.includes(name) && (config === undefined || config.active);
  };
  if (!usable(venue)) {
    const available = state.connected.filter(usable).sort();
    return { ok: false, code: 'venue_unavailable', venue, available };
  }
  if (!state.reconciled(venue)) return { ok: false, code: 'venue_reconciling', venue };
  return { ok: true, venue };
}
