/**
 * What the order use cases need, passed in as ports. main.ts builds one; tests build one over
 * an in-memory SQLite store, the memory bus and the simulated exchange.
 */
import type { Clock, Ids } from '../ports/clock.ts';
import type { OrderStore } from '../ports/store.ts';
import type { Logger, Telemetry } from '../ports/telemetry.ts';
import { servesHere, type FillSimulator, type Venue } from '../ports/venue.ts';
import type { GroupCommitter } from './groupCommit.ts';
import type { KeyedMutex } from './keyedMutex.ts';
import type { RiskGate } from './risk/riskGate.ts';
import { chooseVenue, type RouteDecision, type RouteRequest } from './routing/router.ts';

export interface VenueRegistry {
  readonly defaultVenue: string;
  get(name: string): Venue | undefined;
  names(): string[];
  /** The venue's fill simulator, only for simulated venues. */
  simulator(name: string): FillSimulator | undefined;
  /** Which venue takes this order (routing/router.ts), or why none can; at once when it can tell without a read. */
  route(request: RouteRequest): RouteDecision | Promise<RouteDecision>;
}

export interface OrderContext {
  readonly store: OrderStore;
  readonly committer: GroupCommitter;
  readonly clock: Clock;
  readonly ids: Ids;
  readonly locks: KeyedMutex;
  readonly venues: VenueRegistry;
  readonly log: Logger;
  readonly telemetry: Telemetry;
  /** Pre-trade risk and account keeping; absent, orders are neither checked nor reserved. */
  readonly risk?: RiskGate;
}

/** Whether this instance can send to the venue now: its adapter is here and runs the session (Venue.serving). */
export function sendsTo(venues: Pick<VenueRegistry, 'get'>, name: string): boolean {
  const venue = venues.get(name);
  return venue !== undefined && servesHere(venue);
}

/** Whether the venue's session runs on another instance: its adapter is here, standing by. */
export function standsBy(venues: Pick<VenueRegistry, 'get'>, name: string): boolean {
  const venue = venues.get(name);
  return venue !== undefined && !servesHere(venue);
}

export function venueRegistry(defaultVenue: string, venues: readonly (Venue & Partial<FillSimulator>)[]): VenueRegistry {
  const byName = new Map(venues.map((v) => [v.name, v]));
  if (!byName.has(defaultVenue)) throw new Error(`default venue ${defaultVenue} is not configured`);
  return {
    defaultVenue,
    get: (name) => byName.get(name),
    names: () => [...byName.keys()],
    simulator: (name) => {
      const venue = byName.get(name);
      return venue && typeof venue.simulateFills === 'function' ? (venue as FillSimulator) : undefined;
    },
    route: (request) => chooseVenue({ defaultVenue, configs: [], rules: [], connected: [...byName.keys()], reconciled: () => true }, request),
  };
}

export const secondsSince = (clock: Clock, from: Date) => Math.max(0, (clock.now().getTime() - from.getTime()) / 1000);
