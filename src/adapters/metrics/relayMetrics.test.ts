import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { RelayStatus } from '../../ports/telemetry.ts';
import { relayMetrics } from './relayMetrics.ts';

const line = (text: string, series: string) => text.split('\n').find((row) => row.startsWith(`${series} `));

describe('relayMetrics', () => {
  it('given nothing published yet, then both paths show 0 published and 0 failures', async () => {
    const registry = new Registry();
    relayMetrics(registry);
    const text = await registry.metrics();
    for (const path of ['fast', 'sweep']) {
      expect(line(text, `ordergate_outbox_published_total{path="${path}"}`)).toBe(`ordergate_outbox_published_total{path="${path}"} 0`);
      expect(line(text, `ordergate_outbox_publish_failures_total{path="${path}"}`)).toBe(`ordergate_outbox_publish_failures_total{path="${path}"} 0`);
    }
  });

  it('given what the relay reported, then a scrape shows its counts per path and its status as read then', async () => {
    const registry = new Registry();
    const telemetry = relayMetrics(registry);
    let status: RelayStatus = { busUp: true, publishesInFlight: 3, marksPending: 120, lastSweepFound: null, lastSweepSucceededAt: null };
    telemetry.readStatusFrom(() => status);
    telemetry.outboxPublished('fast', 5);
    telemetry.outboxPublished('fast', 2);
    telemetry.outboxPublishFailed('fast');
    telemetry.outboxPublished('sweep', 4);

    let text = await registry.metrics();
    expect(line(text, 'ordergate_outbox_published_total{path="fast"}')).toMatch(/ 7$/);
    expect(line(text, 'ordergate_outbox_published_total{path="sweep"}')).toMatch(/ 4$/);
    expect(line(text, 'ordergate_outbox_publish_failures_total{path="fast"}')).toMatch(/ 1$/);
    expect(line(text, 'ordergate_outbox_publish_failures_total{path="sweep"}')).toMatch(/ 0$/);
    expect(line(text, 'ordergate_bus_up')).toBe('ordergate_bus_up 1');
    expect(line(text, 'ordergate_outbox_publishes_in_flight')).toBe('ordergate_outbox_publishes_in_flight 3');
    expect(line(text, 'ordergate_outbox_marks_pending')).toBe('ordergate_outbox_marks_pending 120');
    expect(line(text, 'ordergate_outbox_sweep_found_events')).toBe('ordergate_outbox_sweep_found_events 0');
    expect(line(text, 'ordergate_outbox_sweep_last_success_timestamp_seconds')).toBe('ordergate_outbox_sweep_last_success_timestamp_seconds 0');

    status = { busUp: false, publishesInFlight: 0, marksPending: 0, lastSweepFound: 9, lastSweepSucceededAt: new Date('2026-11-21T12:00:05.500Z') };
    text = await registry.metrics();
    expect(line(text, 'ordergate_bus_up')).toBe('ordergate_bus_up 0');
    expect(line(text, 'ordergate_outbox_publishes_in_flight')).toBe('ordergate_outbox_publishes_in_flight 0');
    expect(line(text, 'ordergate_outbox_sweep_found_events')).toBe('ordergate_outbox_sweep_found_events 9');
    expect(line(text, 'ordergate_outbox_sweep_last_success_timestamp_seconds')).toBe(`ordergate_outbox_sweep_last_success_timestamp_seconds ${Date.parse('2026-11-21T12:00:05.500Z') / 1000}`);
  });
});
