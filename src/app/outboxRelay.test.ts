import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../adapters/bus/memory/memoryBus.ts';
import { Inbox } from '../adapters/bus/contract.ts';
import { later, newTraderId, pendingOrder, submission, T0 } from '../adapters/store/contract/fixtures.ts';
import { openStore } from '../adapters/store/openStore.ts';
import { BusUnavailable, type EventBus, type OutboxEvent, type StreamListener } from '../ports/bus.ts';
import type { OrderStore } from '../ports/store.ts';
import { noRelayTelemetry, silentLogger, type RelayPath, type RelayStatus, type RelayTelemetry } from '../ports/telemetry.ts';
import { OutboxRelay } from './outboxRelay.ts';

/**
 * The memory bus behind switches: `down` makes it unhealthy and refuse publishes, like a lost
 * broker; `refusing` keeps it healthy but refuses publishes, like a broker that stopped
 * acknowledging; hold() keeps publishes unanswered until release().
 */
class SwitchableBus implements EventBus {
  down = false;
  refusing = false;
  readonly taken: OutboxEvent[] = [];
  readonly inner = new MemoryBus();
  private held: Array<() => void> | null = null;

  hold(): void {
    this.held = [];
  }

  release(): void {
    const waiting = this.held ?? [];
    this.held = null;
    for (const answer of waiting) answer();
  }

  async publish(events: readonly OutboxEvent[]): Promise<void> {
    const held = this.held;
    if (held) await new Promise<void>((resolve) => held.push(resolve));
    if (this.down || this.refusing) throw new BusUnavailable('switched off');
    this.taken.push(...events);
    await this.inner.publish(events);
  }

  subscribe(traderId: string, listener: StreamListener) {
    return this.inner.subscribe(traderId, listener);
  }

  healthy(): boolean {
    return !this.down;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** What the relay reported: events published and refused publishes per path, and its status as a scrape reads it. */
class RecordingTelemetry implements RelayTelemetry {
  readonly published: Record<RelayPath, number> = { fast: 0, sweep: 0 };
  readonly failures: Record<RelayPath, number> = { fast: 0, sweep: 0 };
  private source: (() => RelayStatus) | null = null;

  outboxPublished(path: RelayPath, events: number): void {
    this.published[path] += events;
  }

  outboxPublishFailed(path: RelayPath): void {
    this.failures[path] += 1;
  }

  readStatusFrom(status: () => RelayStatus): void {
    this.source = status;
  }

  status(): RelayStatus {
    if (!this.source) throw new Error('the relay gave no status source');
    return this.source();
  }

  counts() {
    return { published: { ...this.published }, failures: { ...this.failures } };
  }
}

describe('OutboxRelay', () => {
  let store: OrderStore;
  let bus: SwitchableBus;
  let now: Date;
  let telemetry: RecordingTelemetry;
  let relay: OutboxRelay;

  beforeEach(async () => {
    store = await openStore({ dataDir: '.', sqliteFile: ':memory:' });
    await store.migrate();
    bus = new SwitchableBus();
    now = T0;
    telemetry = new RecordingTelemetry();
    relay = new OutboxRelay(store, bus, { now: () => now }, silentLogger, telemetry, { graceMs: 1_000 });
  });
  afterEach(async () => {
    await relay.stop();
    await store.close();
  });

  it('given batches the fast path published, when their marks are written, then no sweep publishes them again', async () => {
    const trader = newTraderId();
    const inbox = new Inbox();
    bus.subscribe(trader, inbox);
    const fast = relay.fastPath();
    await fast.publish(await store.commit([submission(pendingOrder(trader))]));
    await fast.publish(await store.commit([submission(pendingOrder(trader))]));
    await relay.settled();
    expect(inbox.seqs()).toEqual([1, 2]);
    await relay.flushMarks();

    now = later(60_000);
    expect(await relay.sweep()).toBe(0);
    expect(bus.taken).toHaveLength(2);
  });

  it('given the bus is down at commit, then the fast path returns at once; once it is back and the grace passed, a sweep publishes those events in order', async () => {
    const trader = newTraderId();
    const inbox = new Inbox();
    bus.subscribe(trader, inbox);
    bus.down = true;
    const committed = [...(await store.commit([submission(pendingOrder(trader))])), ...(await store.commit([submission(pendingOrder(trader))]))];
    await relay.fastPath().publish(committed);
    await relay.flushMarks();
    expect(await relay.sweep()).toBe(0);

    bus.down = false;
    now = later(999);
    expect(await relay.sweep()).toBe(0);
    now = later(1_001);
    expect(await relay.sweep()).toBe(2);
    expect(inbox.seqs()).toEqual([1, 2]);
    expect(await relay.sweep()).toBe(0);
  });

  it('given a committer that died before publishing, when the sweep runs after the grace, then the events reach the subscribers', async () => {
    const trader = newTraderId();
    const inbox = new Inbox();
    bus.subscribe(trader, inbox);
    await store.commit([submission(pendingOrder(trader)), submission(pendingOrder(trader)), submission(pendingOrder(trader))]);
    now = later(5_000);
    expect(await relay.sweep()).toBe(3);
    expect(inbox.seqs()).toEqual([1, 2, 3]);
  });

  it('given a healthy-looking bus that refuses the publish, then the sweep fails and marks nothing, and the next sweep publishes', async () => {
    const trader = newTraderId();
    await store.commit([submission(pendingOrder(trader))]);
    now = later(5_000);
    const refusing = new OutboxRelay(store, { ...bus, publish: () => Promise.reject(new BusUnavailable('refused')), healthy: () => true,
      subscribe: () => () => {}, close: async () => {} }, { now: () => now }, silentLogger, noRelayTelemetry, { graceMs: 1_000 });
    await expect(refusing.sweep()).rejects.toBeInstanceOf(BusUnavailable);
    expect(await relay.sweep()).toBe(1);
  });

  it('given it is started, then it sweeps by itself and writes its marks, and stop() leaves nothing pending', async () => {
    const trader = newTraderId();
    const inbox = new Inbox();
    bus.subscribe(trader, inbox);
    relay = new OutboxRelay(store, bus, { now: () => now }, silentLogger, telemetry, { graceMs: 1_000, sweepEveryMs: 5, markEveryMs: 5 });
    await store.commit([submission(pendingOrder(trader))]);
    now = later(5_000);
    relay.start();
    await inbox.until((i) => i.events.length === 1, 'the swept event');
    const fresh = await store.commit([submission({ ...pendingOrder(trader), createdAt: now, updatedAt: now })]);
    await relay.fastPath().publish(fresh);
    await relay.stop();
    now = later(60_000);
    expect(await relay.sweep()).toBe(0);
    expect(inbox.seqs()).toEqual([1, 2]);
  });

  describe('telemetry', () => {
    it('given a fast publish the bus has not answered, then it is in flight; once the bus takes it, its events count on the fast path and wait to be marked until the marks are written', async () => {
      const trader = newTraderId();
      bus.hold();
      await relay.fastPath().publish(await store.commit([submission(pendingOrder(trader)), submission(pendingOrder(trader))]));
      expect(telemetry.status()).toMatchObject({ busUp: true, publishesInFlight: 1, marksPending: 0 });
      expect(telemetry.counts()).toEqual({ published: { fast: 0, sweep: 0 }, failures: { fast: 0, sweep: 0 } });

      bus.release();
      await relay.settled();
      expect(telemetry.status()).toMatchObject({ busUp: true, publishesInFlight: 0, marksPending: 2 });
      expect(telemetry.counts()).toEqual({ published: { fast: 2, sweep: 0 }, failures: { fast: 0, sweep: 0 } });

      await relay.flushMarks();
      expect(telemetry.status().marksPending).toBe(0);
      now = later(60_000);
      expect(await relay.sweep()).toBe(0);
      expect(telemetry.status()).toMatchObject({ lastSweepFound: 0, lastSweepSucceededAt: now });
      expect(telemetry.counts()).toEqual({ published: { fast: 2, sweep: 0 }, failures: { fast: 0, sweep: 0 } });
    });

    it('given a healthy-looking bus that refuses a fast publish and then a sweep, then one failure counts on each path and the bus is down; once it takes publishes again, the sweep republishes the event, counts it on the sweep path and the bus is up', async () => {
      const trader = newTraderId();
      bus.refusing = true;
      await relay.fastPath().publish(await store.commit([submission(pendingOrder(trader))]));
      await relay.settled();
      expect(telemetry.counts()).toEqual({ published: { fast: 0, sweep: 0 }, failures: { fast: 1, sweep: 0 } });
      expect(telemetry.status()).toEqual({ busUp: false, publishesInFlight: 0, marksPending: 0, lastSweepFound: null, lastSweepSucceededAt: null });

      now = later(999);
      expect(await relay.sweep()).toBe(0);
      expect(telemetry.status()).toMatchObject({ busUp: false, lastSweepFound: 0, lastSweepSucceededAt: later(999) });

      now = later(1_001);
      await expect(relay.sweep()).rejects.toBeInstanceOf(BusUnavailable);
      expect(telemetry.counts()).toEqual({ published: { fast: 0, sweep: 0 }, failures: { fast: 1, sweep: 1 } });
      expect(telemetry.status()).toMatchObject({ busUp: false, lastSweepFound: 1, lastSweepSucceededAt: later(999) });

      bus.refusing = false;
      now = later(2_000);
      expect(await relay.sweep()).toBe(1);
      expect(telemetry.counts()).toEqual({ published: { fast: 0, sweep: 1 }, failures: { fast: 1, sweep: 1 } });
      expect(telemetry.status()).toEqual({ busUp: true, publishesInFlight: 0, marksPending: 0, lastSweepFound: 1, lastSweepSucceededAt: later(2_000) });

      now = later(3_000);
      expect(await relay.sweep()).toBe(0);
      expect(telemetry.status()).toMatchObject({ lastSweepFound: 0, lastSweepSucceededAt: later(3_000) });
      expect(bus.taken).toHaveLength(1);
    });

    it('given the bus is down, then the fast path leaves the events to the sweep without a failure, the bus reads down, and the sweep waits without looking; once the bus is back, the sweep publishes them', async () => {
      const trader = newTraderId();
      now = later(500);
      expect(await relay.sweep()).toBe(0);
      bus.down = true;
      await relay.fastPath().publish(await store.commit([submission(pendingOrder(trader)), submission(pendingOrder(trader))]));
      await relay.settled();
      now = later(5_000);
      expect(await relay.sweep()).toBe(0);
      expect(telemetry.counts()).toEqual({ published: { fast: 0, sweep: 0 }, failures: { fast: 0, sweep: 0 } });
      expect(telemetry.status()).toEqual({ busUp: false, publishesInFlight: 0, marksPending: 0, lastSweepFound: 0, lastSweepSucceededAt: later(500) });

      bus.down = false;
      expect(await relay.sweep()).toBe(2);
      expect(telemetry.counts()).toEqual({ published: { fast: 0, sweep: 2 }, failures: { fast: 0, sweep: 0 } });
      expect(telemetry.status()).toMatchObject({ busUp: true, lastSweepFound: 2, lastSweepSucceededAt: later(5_000) });
    });
  });
});
