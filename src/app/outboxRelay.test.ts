import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../adapters/bus/memory/memoryBus.ts';
import { Inbox } from '../adapters/bus/contract.ts';
import { later, newTraderId, pendingOrder, submission, T0 } from '../adapters/store/contract/fixtures.ts';
import { openStore } from '../adapters/store/openStore.ts';
import { BusUnavailable, type EventBus, type OutboxEvent, type StreamListener } from '../ports/bus.ts';
import type { OrderStore } from '../ports/store.ts';
import { silentLogger } from '../ports/telemetry.ts';
import { OutboxRelay } from './outboxRelay.ts';

/** The memory bus behind a switch: `down` makes it unhealthy and refuse publishes, like a lost broker. */
class SwitchableBus implements EventBus {
  down = false;
  readonly taken: OutboxEvent[] = [];
  readonly inner = new MemoryBus();

  async publish(events: readonly OutboxEvent[]): Promise<void> {
    if (this.down) throw new BusUnavailable('switched off');
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

describe('OutboxRelay', () => {
  let store: OrderStore;
  let bus: SwitchableBus;
  let now: Date;
  let relay: OutboxRelay;

  beforeEach(async () => {
    store = await openStore({ dataDir: '.', sqliteFile: ':memory:' });
    await store.migrate();
    bus = new SwitchableBus();
    now = T0;
    relay = new OutboxRelay(store, bus, { now: () => now }, silentLogger, { graceMs: 1_000 });
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
      subscribe: () => () => {}, close: async () => {} }, { now: () => now }, silentLogger, { graceMs: 1_000 });
    await expect(refusing.sweep()).rejects.toBeInstanceOf(BusUnavailable);
    expect(await relay.sweep()).toBe(1);
  });

  it('given it is started, then it sweeps by itself and writes its marks, and stop() leaves nothing pending', async () => {
    const trader = newTraderId();
    const inbox = new Inbox();
    bus.subscribe(trader, inbox);
    relay = new OutboxRelay(store, bus, { now: () => now }, silentLogger, { graceMs: 1_000, sweepEveryMs: 5, markEveryMs: 5 });
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
});
