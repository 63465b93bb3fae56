/**
 * Telemetry as Prometheus metrics: the latency of each stage of an order, batch commit sizes,
 * anomalies (refused overfills, unknown outcomes), and orders by status read from the store
 * when scraped.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ORDER_STATUSES } from '../../domain/order/order.ts';
import type { OrderStore } from '../../ports/store.ts';
import type { OrderStage, Telemetry } from '../../ports/telemetry.ts';

const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function prometheusTelemetry(store: OrderStore): { registry: Registry; telemetry: Telemetry } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ordergate_process_' });

  const stages = new Histogram({
    name: 'ordergate_order_stage_seconds',
    help: 'Seconds from an order\'s intake to each stage: committed, venue_ack, fill; event_delivered is from the event to a socket',
    labelNames: ['stage'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const anomalies = new Counter({
    name: 'ordergate_anomalies_total',
    help: 'Things that need a look: refused overfills, unknown submit outcomes, reports for unknown orders',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const batches = new Histogram({
    name: 'ordergate_commit_batch_size',
    help: 'Order changes committed per transaction (group commit)',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [registry],
  });
  const commitSeconds = new Histogram({
    name: 'ordergate_commit_seconds',
    help: 'Seconds one group-commit transaction took',
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  new Gauge({
    name: 'ordergate_orders',
    help: 'Orders by status',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const counts = await store.countOrdersByStatus().catch(() => null);
      if (!counts) return;
      for (const status of ORDER_STATUSES) this.set({ status }, counts[status] ?? 0);
    },
  });

  const telemetry: Telemetry = {
    orderStage: (stage: OrderStage, seconds: number) => stages.observe({ stage }, seconds),
    anomaly: (kind: string) => anomalies.inc({ kind }),
    batchCommitted: (size: number, seconds: number) => {
      batches.observe(size);
      commitSeconds.observe(seconds);
    },
  };
  return { registry, telemetry };
}
