/**
 * The venue registry with routing: the venues whose adapters run here, the stored venue
 * configurations (active or not) and routing rules, cached and refreshed every refreshMs, and
 * each venue's reconciliation state. Reading the rules per order would put a query on the hot
 * path; a change made through this instance's admin API applies at once (refresh()), one made
 * elsewhere within refreshMs.
 */
import type { Clock } from '../../ports/clock.ts';
import type { ExecutionStore, RoutingRule, VenueConfig } from '../../ports/execution.ts';
import type { Logger } from '../../ports/telemetry.ts';
import type { FillSimulator, Venue } from '../../ports/venue.ts';
import type { VenueAdministration } from '../../ports/venueCredentials.ts';
import type { VenueRegistry } from '../context.ts';
import { chooseVenue, type RouteDecision, type RouteRequest } from './router.ts';

export class RoutingVenues implements VenueRegistry {
  readonly #byName: Map<string, Venue & Partial<FillSimulator>>;
  #configs: readonly VenueConfig[] = [];
  #rules: readonly RoutingRule[] = [];
  #loadedAt = -Infinity;
  #reconciled: (venue: string) => boolean = () => true;

  constructor(
    readonly defaultVenue: string,
    venues: readonly (Venue & Partial<FillSimulator>)[],
    private readonly store: ExecutionStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly refreshMs = 2_000,
    /** Checks configurations and sets credentials for the admin API; null where none is wired. */
    readonly administration: VenueAdministration | null = null,
  ) {
    this.#byName = new Map(venues.map((venue) => [venue.name, venue]));
    if (!this.#byName.has(defaultVenue)) throw new Error(`default venue ${defaultVenue} is not configured`);
  }

  /** Serves a venue whose adapter started while the gateway runs, or replaces the adapter it had. */
  put(venue: Venue & Partial<FillSimulator>): void {
    this.#byName.set(venue.name, venue);
  }

  get(name: string): (Venue & Partial<FillSimulator>) | undefined {
    return this.#byName.get(name);
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }

  simulator(name: string): FillSimulator | undefined {
    const venue = this.#byName.get(name);
    return venue && typeof venue.simulateFills === 'function' ? (venue as FillSimulator) : undefined;
  }

  /** Orders for a venue wait (503) until this says it has been reconciled. */
  gateOn(reconciled: (venue: string) => boolean): void {
    this.#reconciled = reconciled;
  }

  /** At once from the rules in memory, unless they are older than refreshMs: then after a refresh. */
  route(request: RouteRequest): RouteDecision | Promise<RouteDecision> {
    if (this.clock.now().getTime() - this.#loadedAt <= this.refreshMs) return this.#choose(request);
    return this.refresh().catch((error: unknown) => {
      // Stale rules are better than refusing every order while the database blinks.
      this.log.warn({ err: String(error) }, 'routing rules could not be refreshed; using the last ones read');
    }).then(() => this.#choose(request));
  }

  #choose(request: RouteRequest): RouteDecision {
    return chooseVenue({
      defaultVenue: this.defaultVenue, configs: this.#configs, rules: this.#rules, connected: this.names(), reconciled: this.#reconciled,
    }, request);
  }

  async refresh(): Promise<void> {
    const [configs, rules] = await Promise.all([this.store.listVenueConfigs(), this.store.listRoutingRules()]);
    this.#configs = configs;
    this.#rules = rules;
    this.#loadedAt = this.clock.now().getTime();
  }

  configs(): readonly VenueConfig[] {
    return this.#configs;
  }
}
