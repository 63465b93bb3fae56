/**
 * Builds the venue adapters this instance runs from the stored venue configurations, by kind:
 * `sim` (an in-process simulated exchange, faults optional) and `sim_http` (the simulated
 * exchange's HTTP front in another process). A kind with no adapter in this build is skipped
 * with a warning: orders routed to it get venue_unavailable. Broker connectors add their kind here.
 * The built-in venue `sim` is (re)described from the environment at every start; its active
 * flag, set by an operator, is kept.
 */
import type { ExecutionConfig } from '../../executionConfig.ts';
import type { GuardOptions } from '../../app/execution/venueGuard.ts';
import type { ExecutionStore, VenueConfig } from '../../ports/execution.ts';
import type { Logger } from '../../ports/telemetry.ts';
import type { FillSimulator, Venue } from '../../ports/venue.ts';
import { FaultPlan, FaultyVenue, parseFaultSettings } from './sim/faults.ts';
import { SimHttpVenue } from './sim/simHttpVenue.ts';
import { SimulatedExchange } from './sim/simulatedExchange.ts';

export type AnyVenue = Venue & Partial<FillSimulator>;

export async function describeBuiltInSim(store: ExecutionStore, execution: ExecutionConfig, now: Date): Promise<void> {
  const existing = (await store.listVenueConfigs()).find((config) => config.name === 'sim');
  const kind = execution.simUrl ? 'sim_http' : 'sim';
  const settings = execution.simUrl ? { url: execution.simUrl } : execution.simFaults ? { faults: execution.simFaults } : {};
  if (existing && existing.kind === kind && JSON.stringify(existing.settings) === JSON.stringify(settings)) return;
  await store.putVenueConfig({ name: 'sim', kind, settings, active: existing?.active ?? true, updatedAt: now });
}

/** The adapter for one configuration; `localSim` serves the built-in `sim`. Null when this build has none. */
export function buildVenue(config: VenueConfig, localSim: SimulatedExchange, log: Logger): AnyVenue | null {
  const settings = config.settings as { url?: unknown; faults?: unknown; seed?: unknown; timeoutMs?: unknown };
  switch (config.kind) {
    case 'sim': {
      const exchange = config.name === localSim.name ? localSim : new SimulatedExchange({ name: config.name, seed: Number(settings.seed ?? 42) });
      if (typeof settings.faults !== 'string') return exchange;
      return new FaultyVenue(exchange, new FaultPlan(parseFaultSettings(settings.faults)));
    }
    case 'sim_http':
      if (typeof settings.url !== 'string') {
        log.error({ venue: config.name }, 'a sim_http venue needs settings.url; not connected');
        return null;
      }
      return new SimHttpVenue({ name: config.name, url: settings.url, requestTimeoutMs: Number(settings.timeoutMs ?? 10_000) });
    default:
      log.warn({ venue: config.name, kind: config.kind }, 'no adapter for this venue kind in this build; orders for it get venue_unavailable');
      return null;
  }
}

/** The guard settings of one venue: the environment's defaults, overridden by the venue's stored settings. */
export function guardOptionsFor(config: VenueConfig | undefined, execution: ExecutionConfig): GuardOptions {
  const s = (config?.settings ?? {}) as Record<string, unknown>;
  const number = (key: string, fallback: number) => (typeof s[key] === 'number' && (s[key] as number) > 0 ? (s[key] as number) : fallback);
  return {
    timeoutMs: number('timeoutMs', execution.venueTimeoutMs),
    breakerFailures: number('breakerFailures', execution.breakerFailures),
    halfOpenAfterMs: number('halfOpenAfterMs', execution.breakerHalfOpenMs),
    rate: { ratePerSecond: number('ratePerSecond', execution.venueRatePerSec), burst: number('burst', execution.venueBurst) },
  };
}
