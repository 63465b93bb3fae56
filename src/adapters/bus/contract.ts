/**
 * The EventBus contract: one suite every bus adapter must pass, run by each adapter's test
 * against the real server. `makeBus` gives a fixture whose buses share a fresh namespace, as
 * the gateway instances of one deployment do. Adapters with a server also give `makeOutage`:
 * a fixture on a server of the test's own, which the suite kills and starts again.
 * What it holds an adapter to (see src/ports/bus.ts): resync once a subscription takes effect;
 * every event published after that reaches the trader's listeners, only theirs, in order,
 * byte for byte; unsubscribing stops delivery; a throwing listener harms no other; a bus that
 * lost its server refuses publish() with BusUnavailable, reports unhealthy, and once the server
 * is back resyncs every listener and delivers again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BusUnavailable, type EventBus, type OutboxEvent, type StreamEvent, type StreamListener } from '../../ports/bus.ts';

export interface BusFixture {
  /** Another bus on the fixture's namespace, as another gateway instance opens it. */
  open(): Promise<EventBus>;
  /** Closes every bus it opened and removes what the namespace left on the server. */
  dispose(): Promise<void>;
}

export interface OutageFixture extends BusFixture {
  killServer(): Promise<void>;
  startServer(): Promise<void>;
}

const WAIT_MS = 10_000;
let counter = 0;

/** An event as the store would give it: the payload starts with its seq and names its trader. */
export function outboxEvent(traderId: string, seq: number, extra = ''): OutboxEvent {
  counter += 1;
  const payload = JSON.stringify({ seq, event: 'order.acked', trader_id: traderId, n: counter, extra });
  return { id: `event-${process.pid}-${Date.now()}-${counter}`, traderId, seq, payload };
}

/** A listener that records everything and lets a test await a condition on it, bounded. */
export class Inbox implements StreamListener {
  readonly events: StreamEvent[] = [];
  resyncs = 0;
  readonly #waiters = new Set<() => void>();

  readonly event = (event: StreamEvent): void => {
    this.events.push(event);
    this.#poke();
  };

  readonly resync = (): void => {
    this.resyncs += 1;
    this.#poke();
  };

  seqs(): number[] {
    return this.events.map((event) => event.seq);
  }

  async until(check: (inbox: Inbox) => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
    if (check(this)) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        reject(new Error(`${what}: not within ${timeoutMs} ms (events ${JSON.stringify(this.seqs())}, resyncs ${this.resyncs})`));
      }, timeoutMs);
      const wake = () => {
        if (!check(this)) return;
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve();
      };
      this.#waiters.add(wake);
    });
  }

  #poke(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}

/** Subscribes and waits until the subscription took effect. */
export async function subscribed(bus: EventBus, traderId: string, inbox = new Inbox()): Promise<{ inbox: Inbox; unsubscribe: () => void }> {
  const before = inbox.resyncs;
  const unsubscribe = bus.subscribe(traderId, inbox);
  await inbox.until((i) => i.resyncs > before, `subscription of ${traderId} taking effect`);
  return { inbox, unsubscribe };
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function describeEventBusContract(name: string, makeBus: () => Promise<BusFixture>, makeOutage?: () => Promise<OutageFixture>): void {
  describe(`EventBus contract: ${name}`, () => {
    let fixture: BusFixture | undefined;
    afterEach(async () => {
      await fixture?.dispose();
      fixture = undefined;
    });
    const twoInstances = async () => {
      fixture = await makeBus();
      return { publisher: await fixture.open(), subscriber: await fixture.open() };
    };

    it('given subscriptions in effect, when another instance publishes, then each trader gets only its own events, in order, byte for byte', async () => {
      const { publisher, subscriber } = await twoInstances();
      expect(publisher.healthy() && subscriber.healthy()).toBe(true);
      const alice = await subscribed(subscriber, 'alice');
      const bob = await subscribed(subscriber, 'bob');
      const events = [outboxEvent('alice', 1), outboxEvent('bob', 1), outboxEvent('alice', 2), outboxEvent('carol', 1), outboxEvent('alice', 3)];
      await publisher.publish(events);
      await alice.inbox.until((i) => i.events.length >= 3, 'alice’s events');
      await bob.inbox.until((i) => i.events.length >= 1, 'bob’s event');
      const strip = ({ traderId, seq, payload }: StreamEvent): StreamEvent => ({ traderId, seq, payload });
      expect(alice.inbox.events.map(strip)).toEqual(events.filter((e) => e.traderId === 'alice').map(strip));
      expect(bob.inbox.events.map(strip)).toEqual([strip(events[1]!)]);
    });

    it('given a thousand events over twenty traders in several batches, then every trader gets all of its own in seq order', async () => {
      const { publisher, subscriber } = await twoInstances();
      const traders = Array.from({ length: 20 }, (_, i) => `bulk-${i}`);
      const inboxes = await Promise.all(traders.map((trader) => subscribed(subscriber, trader)));
      for (let batch = 0; batch < 10; batch += 1) {
        const events: OutboxEvent[] = [];
        for (let k = 1; k <= 5; k += 1) for (const trader of traders) events.push(outboxEvent(trader, batch * 5 + k));
        await publisher.publish(events);
      }
      for (const { inbox } of inboxes) {
        await inbox.until((i) => i.events.length >= 50, 'fifty events');
        expect(inbox.seqs()).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      }
    });

    it('given two listeners of one trader, when one unsubscribes, then only the other hears later events; when both have, nothing reaches them', async () => {
      const { publisher, subscriber } = await twoInstances();
      const first = await subscribed(subscriber, 'dana');
      const second = await subscribed(subscriber, 'dana');
      first.unsubscribe();
      await publisher.publish([outboxEvent('dana', 1)]);
      await second.inbox.until((i) => i.events.length === 1, 'the remaining listener’s event');
      expect(first.inbox.events).toEqual([]);

      second.unsubscribe();
      const canary = await subscribed(subscriber, 'canary');
      await publisher.publish([outboxEvent('dana', 2), outboxEvent('canary', 1)]);
      await canary.inbox.until((i) => i.events.length === 1, 'the canary’s event');
      expect(second.inbox.seqs()).toEqual([1]);
    });

    it('given a listener that throws, then the other listeners of the trader still get every event', async () => {
      const { publisher, subscriber } = await twoInstances();
      const thrower: StreamListener = { event: () => { throw new Error('listener broke'); }, resync: () => {} };
      subscriber.subscribe('erin', thrower);
      const steady = await subscribed(subscriber, 'erin');
      await publisher.publish([outboxEvent('erin', 1), outboxEvent('erin', 2)]);
      await steady.inbox.until((i) => i.events.length === 2, 'both events');
    });

    it('given trader ids with characters brokers give a meaning to, then each gets exactly its own events', async () => {
      const { publisher, subscriber } = await twoInstances();
      const ids = ['a', 'a.b', 'a*', 'a>', 'a b', '%61', 'ü', 'a:events:b', 'A'];
      const inboxes = await Promise.all(ids.map((id) => subscribed(subscriber, id)));
      await publisher.publish(ids.map((id) => outboxEvent(id, 1)));
      for (const [index, { inbox }] of inboxes.entries()) {
        await inbox.until((i) => i.events.length >= 1, `the event of ${ids[index]}`);
      }
      const canary = await subscribed(subscriber, 'canary');
      await publisher.publish([outboxEvent('canary', 1)]);
      await canary.inbox.until((i) => i.events.length === 1, 'the canary');
      for (const [index, { inbox }] of inboxes.entries()) {
        expect(inbox.events.map((e) => JSON.parse(e.payload).trader_id)).toEqual([ids[index]]);
      }
    });

    if (!makeOutage) return;

    describe('when its server dies', () => {
      let outage: OutageFixture | undefined;
      afterEach(async () => {
        await outage?.dispose();
        outage = undefined;
      });

      it('given live subscriptions, when the server is killed and started again, then publish fails meanwhile, and afterwards every listener is resynced and hears new events', async () => {
        outage = await makeOutage();
        const publisher = await outage.open();
        const subscriber = await outage.open();
        const live = await subscribed(subscriber, 'frank');
        await outage.killServer();
        await waitFor(() => !publisher.healthy() && !subscriber.healthy(), 'both buses noticing the server is gone');
        await expect(publisher.publish([outboxEvent('frank', 1)])).rejects.toBeInstanceOf(BusUnavailable);

        await outage.startServer();
        await live.inbox.until((i) => i.resyncs >= 2, 'the resync after reconnection');
        await waitFor(() => publisher.healthy(), 'the publisher reconnecting');
        await publisher.publish([outboxEvent('frank', 2)]);
        await live.inbox.until((i) => i.events.length === 1, 'an event after the outage');
        expect(live.inbox.seqs()).toEqual([2]);
      });

      it('given a server that is down when the bus opens, then open() still returns, and subscriptions made meanwhile take effect once it is up', async () => {
        outage = await makeOutage();
        await outage.killServer();
        const publisher = await outage.open();
        const subscriber = await outage.open();
        expect(subscriber.healthy()).toBe(false);
        const inbox = new Inbox();
        subscriber.subscribe('gina', inbox);
        await outage.startServer();
        await inbox.until((i) => i.resyncs >= 1, 'the subscription taking effect');
        await waitFor(() => publisher.healthy(), 'the publisher connecting');
        await publisher.publish([outboxEvent('gina', 1)]);
        await inbox.until((i) => i.events.length === 1, 'the event');
      });
    });
  });
}
