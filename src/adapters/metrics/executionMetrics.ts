/**
 * Prometheus metrics of the execution core, read when scraped: orders in doubt, the drift the
 * last reconciliation of each venue found (and when it ran), and each venue's circuit breaker.
 */
import { Gauge, type Registry } from 'prom-client';
import type { VenueGuard } from '../../app/execution/venueGuard.ts';
import type { ExecutionStore, ReconciliationRun } from '../../ports/execution.ts';

export interface ExecutionSources {
  readonly store: ExecutionStore;
  readonly venues: () => readonly string[];
  readonly lastRun: (venue: string) => ReconciliationRun | null;
  readonly guard: (venue: string) => VenueGuard | undefined;
}

export function registerExecutionMetrics(registry: Registry, sources: ExecutionSources): void {
  new Gauge({
    name: 'ordergate_orders_in_doubt',
    help: 'Orders whose submit outcome is unknown and not yet settled by a lookup at the venue',
    registers: [registry],
    async collect() {
      const count = await sources.store.countInDoubt().catch(() => null);
      if (count !== null) this.set(count);
    },
  });
  new Gauge({
    name: 'ordergate_reconciliation_drift',
    help: 'Differences between the venue and the store that the last reconciliation of the venue found and corrected',
    labelNames: ['venue'] as const,
    registers: [registry],
    collect() {
      for (const venue of sources.venues()) {
        const run = sources.lastRun(venue);
        if (run) this.set({ venue }, run.drift);
      }
    },
  });
  new Gauge({
    name: 'ordergate_reconciliation_last_success_timestamp_seconds',
    help: 'When the last successful reconciliation of the venue finished',
    labelNames: ['venue'] as const,
    registers: [registry],
    collect() {
      for (const venue of sources.venues()) {
        const run = sources.lastRun(venue);
        if (run?.status === 'ok') this.set({ venue }, run.finishedAt.getTime() / 1000);
      }
    },
  });
  new Gauge({
    name: 'ordergate_venue_circuit_open',
    help: '1 while the circuit breaker to the venue is open (nothing is sent), else 0',
    labelNames: ['venue'] as const,
    registers: [registry],
    collect() {
      for (const venue of sources.venues()) this.set({ venue }, sources.guard(venue)?.breakerState() === 'open' ? 1 : 0);
    },
  });
}
