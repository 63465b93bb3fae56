/**
 * Prometheus metrics of the outbox relay. Counted as they happen: events published and publishes
 * refused, per path (fast: right after the commit; sweep: what the fast path missed, because an
 * instance died, the bus was down or a publish failed). Read from the relay's memory when
 * scraped, never from the store: whether this instance considers the bus up, the fast path's
 * backlog, and what the last sweep found and when one last ran to the end.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { RELAY_PATHS, type RelayStatus, type RelayTelemetry } from '../../ports/telemetry.ts';

export function relayMetrics(registry: Registry): RelayTelemetry {
  const published = new Counter({
    name: 'ordergate_outbox_published_total',
    help: 'Outbox events the bus took, by path: fast (right after the commit) or sweep (republished after the grace: an instance died, the bus was down or a publish failed)',
    labelNames: ['path'] as const,
    registers: [registry],
  });
  const failures = new Counter({
    name: 'ordergate_outbox_publish_failures_total',
    help: 'Publishes of outbox events the bus refused, by path; their events are left to a later sweep',
    labelNames: ['path'] as const,
    registers: [registry],
  });
  // Both paths from the start, so that rate() sees the first sweep rather than a new series.
  for (const path of RELAY_PATHS) {
    published.inc({ path }, 0);
    failures.inc({ path }, 0);
  }

  let status: (() => RelayStatus) | null = null;
  const gauge = (name: string, help: string, read: (current: RelayStatus) => number | null) => new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      const value = status ? read(status()) : null;
      if (value !== null) this.set(value);
    },
  });
  gauge('ordergate_bus_up', '1 while this instance considers the bus up; 0 while the bus says it is down or its last publish failed', (s) => (s.busUp ? 1 : 0));
  gauge('ordergate_outbox_publishes_in_flight', 'Fast-path publishes the bus has not answered yet', (s) => s.publishesInFlight);
  gauge('ordergate_outbox_marks_pending', 'Ids of events the bus took that wait to be marked published', (s) => s.marksPending);
  gauge('ordergate_outbox_sweep_found_events', 'Events the last sweep found unpublished past their grace, published by it or not (0 until the first sweep)', (s) => s.lastSweepFound);
  gauge('ordergate_outbox_sweep_last_success_timestamp_seconds',
    'When a sweep last ran to the end: every event older than this less the grace was published then (0 until the first)',
    (s) => (s.lastSweepSucceededAt ? s.lastSweepSucceededAt.getTime() / 1000 : null));

  return {
    outboxPublished: (path, events) => published.inc({ path }, events),
    outboxPublishFailed: (path) => failures.inc({ path }),
    readStatusFrom: (source) => {
      status = source;
    },
  };
}
