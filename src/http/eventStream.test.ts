import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newTraderId, pendingOrder, submission } from '../adapters/store/contract/fixtures.ts';
import { openStore } from '../adapters/store/openStore.ts';
import type { EventBus, OutboxEvent, StreamEvent, StreamListener } from '../ports/bus.ts';
import type { OrderStore } from '../ports/store.ts';
import { EventStream } from './eventStream.ts';

/** A bus the test drives by hand: what it delivers, and when it asks for a resync. */
class ScriptedBus implements EventBus {
  readonly listeners = new Set<StreamListener>();
  async publish(events: readonly OutboxEvent[]): Promise<void> {
    for (const event of events) for (const listener of this.listeners) listener.event(event);
  }
  subscribe(_traderId: string, listener: StreamListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  resync(): void {
    for (const listener of this.listeners) listener.resync();
  }
  healthy = () => true;
  close = async () => {};
}

/** Lets the in-memory store's queries and the stream's steps run: a few turns of the event loop. */
const settle = async () => {
  for (let turn = 0; turn < 5; turn += 1) await new Promise((resolve) => setImmediate(resolve));
};

describe('EventStream', () => {
  let store: OrderStore;
  let bus: ScriptedBus;
  let trader: string;
  let received: StreamEvent[];
  let errors: unknown[];
  const seqs = () => received.map((event) => event.seq);
  const commit = async (count: number) => {
    const events: OutboxEvent[] = [];
    for (let start = 0; start < count; start += 500) {
      const batch = Array.from({ length: Math.min(500, count - start) }, () => submission(pendingOrder(trader)));
      events.push(...(await store.commit(batch)));
    }
    return events;
  };
  const stream = (since: number, deliver = (event: StreamEvent, written?: () => void) => {
    received.push(event);
    written?.();
    return true;
  }, drained?: () => Promise<boolean>) => new EventStream(store, bus, trader, since, deliver, (error) => errors.push(error), drained);

  beforeEach(async () => {
    store = await openStore({ dataDir: '.', sqliteFile: ':memory:' });
    await store.migrate();
    bus = new ScriptedBus();
    trader = newTraderId();
    received = [];
    errors = [];
  });
  afterEach(async () => {
    expect(errors).toEqual([]);
    await store.close();
  });

  it('given stored events, when started with since, then it replays the rest and goes live, dropping repeats', async () => {
    const stored = await commit(3);
    const s = stream(1);
    await s.start();
    expect(seqs()).toEqual([2, 3]);
    const next = await commit(1);
    await bus.publish([stored[2]!, ...next, ...next]);
    await settle();
    expect(seqs()).toEqual([2, 3, 4]);
    s.close();
  });

  it('given a live event past a gap (the bus lost one), then the missing ones are read from the store first', async () => {
    const s = stream(0);
    await s.start();
    const stored = await commit(3);
    await bus.publish([stored[2]!]);
    await settle();
    expect(seqs()).toEqual([1, 2, 3]);
    s.close();
  });

  it('given events committed while the bus was away, when it resyncs, then they are read from the store', async () => {
    const s = stream(0);
    await s.start();
    await commit(2);
    await settle();
    expect(seqs()).toEqual([]);
    bus.resync();
    await settle();
    expect(seqs()).toEqual([1, 2]);
    s.close();
  });

  it('given a burst larger than its queue while the store is slow, then it drops the queue and still sends every event once, in order', async () => {
    const stored = await commit(1_500);
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    let reads = 0;
    const streamSince = store.streamSince.bind(store);
    store.streamSince = async (...args) => {
      reads += 1;
      await slow;
      return streamSince(...args);
    };
    const s = stream(0);
    const started = s.start();
    await bus.publish(stored);
    release();
    await started;
    await settle();
    expect(seqs()).toEqual(stored.map((event) => event.seq));
    expect(reads).toBeLessThanOrEqual(6);
    s.close();
  });

  it('given a long replay, then it reads the next page only once the socket took the last one', async () => {
    await commit(1_200);
    const pending: Array<() => void> = [];
    const s = stream(0, (event, written) => {
      received.push(event);
      if (written) pending.push(written);
      return true;
    });
    const started = s.start();
    await settle();
    expect(received).toHaveLength(500);
    pending.shift()!();
    await settle();
    expect(received).toHaveLength(1_000);
    pending.shift()!();
    await started;
    expect(seqs()).toEqual(Array.from({ length: 1_200 }, (_, i) => i + 1));
    s.close();
  });

  it('given a client that backs up, then it is sent nothing more until it drains, and then everything from where it stopped', async () => {
    const events = await commit(30);
    let room = 10;
    let release!: (ok: boolean) => void;
    const drainedCalls: number[] = [];
    const s = stream(0, (event, written) => {
      if (room === 0) return false;
      room -= 1;
      received.push(event);
      written?.();
      return true;
    }, () => {
      drainedCalls.push(received.length);
      return new Promise<boolean>((resolve) => (release = resolve));
    });
    const started = s.start();
    await settle();
    expect(seqs()).toEqual(events.slice(0, 10).map((e) => e.seq));
    expect(s.position()).toBe(10);
    expect(drainedCalls).toEqual([10]);
    room = Infinity;
    release(true);
    await started;
    await settle();
    expect(seqs()).toEqual(events.map((e) => e.seq));
    s.close();
  });

  it('given a client that never drains, then the stream stops at the last event it took', async () => {
    await commit(20);
    let room = 5;
    const s = stream(0, (event) => {
      if (room === 0) return false;
      room -= 1;
      received.push(event);
      return true;
    }, async () => false);
    await s.start();
    await settle();
    expect(received).toHaveLength(5);
    expect(s.position()).toBe(5);
    s.close();
  });
});
