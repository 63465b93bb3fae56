/**
 * SingleSessionVenue: two instances (two wrappers, one store of leases, one hand-moved clock)
 * and a fake session under each that records when it was started and closed. The store is
 * SQLite in memory, the lease semantics its contract tests pin down.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../store/openStore.ts';
import { D } from '../../domain/money.ts';
import type { OrderStore } from '../../ports/store.ts';
import { silentLogger } from '../../ports/telemetry.ts';
import type { CancelOutcome, ExecutionReportListener, SubmitOutcome, Venue, VenueOrderRequest, VenueOrderView } from '../../ports/venue.ts';
import { ManualTime } from './sim/manualTime.ts';
import { SingleSessionVenue, type SessionLeases } from './singleSession.ts';

const TTL = 3_000;
const RENEW = 1_000;
const GIVE_UP = 12_000;

/** A session that records its starts and closes on the test clock. */
class FakeSession implements Venue {
  readonly name = 'fix';
  readonly started: number[] = [];
  readonly closed: number[] = [];
  readonly sent: string[] = [];
  loggedOn = true;
  failStart = false;
  #running = false;

  constructor(private readonly time: ManualTime) {}

  get running(): boolean {
    return this.#running;
  }

  async start(): Promise<void> {
    if (this.failStart) throw new Error('connection refused');
    this.#running = true;
    this.started.push(this.time.now().getTime());
  }

  async close(): Promise<void> {
    this.#running = false;
    this.closed.push(this.time.now().getTime());
  }

  async submit(order: VenueOrderRequest): Promise<SubmitOutcome> {
    this.sent.push(`submit ${order.clientOrderId}`);
    return { outcome: 'accepted', venueOrderId: `V-${order.clientOrderId}` };
  }

  async cancel(clientOrderId: string): Promise<CancelOutcome> {
    this.sent.push(`cancel ${clientOrderId}`);
    return { outcome: 'requested' };
  }

  async lookup(clientOrderId: string): Promise<VenueOrderView | null> {
    this.sent.push(`lookup ${clientOrderId}`);
    return null;
  }

  onExecutionReport(_listener: ExecutionReportListener): () => void {
    return () => {};
  }

  healthy(): boolean {
    return this.#running && this.loggedOn;
  }
}

/** The store's leases, which a test can cut off (every call fails) or pause (calls wait, then run as they were made). */
class Link implements SessionLeases {
  cut = false;
  #paused: Array<() => void> | null = null;

  constructor(private readonly store: OrderStore) {}

  pause(): void {
    this.#paused = [];
  }

  resume(): void {
    const waiting = this.#paused ?? [];
    this.#paused = null;
    for (const go of waiting) go();
  }

  async acquireVenueSession(request: Parameters<SessionLeases['acquireVenueSession']>[0]) {
    if (this.#paused) await new Promise<void>((go) => this.#paused!.push(go));
    if (this.cut) throw new Error('connection refused');
    return this.store.execution.acquireVenueSession(request);
  }

  async releaseVenueSession(venue: string, owner: string) {
    if (this.cut) throw new Error('connection refused');
    return this.store.execution.releaseVenueSession(venue, owner);
  }
}

const order = (clientOrderId: string): VenueOrderRequest => ({
  clientOrderId, account: 'alice', symbol: 'AAPL', side: 'buy', type: 'limit', timeInForce: 'day',
  quantity: new D(1), limitPrice: new D(150), stopPrice: null,
});

/** Lets the store's promises and the wrappers' ticks run. */
const settle = async () => {
  for (let i = 0; i < 10; i += 1) await new Promise((resolve) => setImmediate(resolve));
};

describe('SingleSessionVenue: one instance at a time runs the session', () => {
  let store: OrderStore;
  let time: ManualTime;
  let wrappers: SingleSessionVenue[];

  beforeEach(async () => {
    store = await openStore({ dataDir: '.', sqliteFile: ':memory:' });
    await store.migrate();
    time = new ManualTime();
    wrappers = [];
  });

  afterEach(async () => {
    for (const wrapper of wrappers) await wrapper.close();
    await store.close();
  });

  const instance = (owner: string, link: SessionLeases = store.execution) => {
    const session = new FakeSession(time);
    const venue = new SingleSessionVenue(session, {
      owner, leases: link, clock: time, schedule: time.schedule, log: silentLogger, ttlMs: TTL, renewMs: RENEW, giveUpMs: GIVE_UP,
    });
    wrappers.push(venue);
    return { session, venue };
  };

  /** Instance a (over `link`, if given), then instance b, both started: a runs the session, b stands by. */
  const twoStarted = async (link?: SessionLeases) => {
    const a = instance('a', link);
    const b = instance('b');
    await a.venue.start();
    await b.venue.start();
    return { a, b };
  };

  /** Moves the clock in steps, letting each step's async work finish. */
  const elapse = async (ms: number, step = 100) => {
    for (let passed = 0; passed < ms; passed += step) {
      time.advance(step);
      await settle();
    }
  };

  it('given two instances, then the first runs the session and the other sends nothing through it, naming the holder', async () => {
    const { a, b } = await twoStarted();
    expect([a.venue.serving(), b.venue.serving()]).toEqual([true, false]);
    expect([a.session.started.length, b.session.started.length]).toEqual([1, 0]);

    expect(await b.venue.submit(order('o-1'))).toEqual({
      outcome: 'not_sent', reason: 'the fix session runs on instance a; this instance stands by', retryAfterMs: RENEW,
    });
    expect(await b.venue.cancel('o-1')).toMatchObject({ outcome: 'unknown' });
    await expect(b.venue.lookup('o-1')).rejects.toThrow('runs on instance a');
    expect(b.session.sent).toEqual([]);
    expect(b.venue.healthy()).toBe(true);

    expect(await a.venue.submit(order('o-2'))).toMatchObject({ outcome: 'accepted' });
    expect(a.session.sent).toEqual(['submit o-2']);
    await elapse(10 * RENEW);
    expect([a.venue.serving(), b.venue.serving(), b.session.started.length]).toEqual([true, false, 0]);
  });

  it('given the holder stops, then the standby takes the session at its next renewal and tells its listeners once it has started', async () => {
    const { a, b } = await twoStarted();
    let restored = 0;
    b.venue.onStreamRestored(() => (restored += 1));
    await a.venue.close();
    expect(a.session.running).toBe(false);
    await elapse(RENEW);
    expect(b.venue.serving()).toBe(true);
    expect(b.session.started).toHaveLength(1);
    expect(restored).toBe(1);
    expect(b.venue.holder()).toMatchObject({ owner: 'b' });
  });

  it('given the holder cut off from the database, then it stops its session before its lease ends, and the standby starts only after', async () => {
    const link = new Link(store);
    const { a, b } = await twoStarted(link);
    await elapse(2 * RENEW);
    const heldUntil = a.venue.holder()!.expiresAt.getTime();
    link.cut = true;
    await elapse(TTL + 2 * RENEW);
    expect(a.session.closed).toHaveLength(1);
    expect(b.session.started).toHaveLength(1);
    expect(a.session.closed[0]!).toBeLessThanOrEqual(heldUntil - RENEW);
    expect(b.session.started[0]!).toBeGreaterThanOrEqual(heldUntil);
    expect([a.venue.serving(), b.venue.serving()]).toEqual([false, true]);
    // Back on the database, A finds B's lease and stays a standby.
    link.cut = false;
    await elapse(3 * RENEW);
    expect([a.venue.serving(), a.session.started.length]).toEqual([false, 1]);
  });

  it('given a holder whose renewal hangs, then its own timer stops its session before the lease ends, the standby starts after, and the late answer changes nothing', async () => {
    const link = new Link(store);
    const { a, b } = await twoStarted(link);
    const heldUntil = a.venue.holder()!.expiresAt.getTime();
    link.pause();
    await elapse(TTL + 2 * RENEW);
    expect(a.session.closed).toHaveLength(1);
    expect(a.session.closed[0]!).toBeLessThanOrEqual(heldUntil - RENEW);
    expect(b.session.started).toHaveLength(1);
    expect(b.session.started[0]!).toBeGreaterThanOrEqual(heldUntil);
    link.resume();
    await elapse(RENEW);
    expect([a.venue.serving(), a.session.started.length]).toEqual([false, 1]);
    expect(a.venue.holder()).toMatchObject({ owner: 'b' });
  });

  it('given a renewal answered after its lease had run out, then it does not restart the session; the next renewal does', async () => {
    const link = new Link(store);
    const a = instance('a', link);
    await a.venue.start();
    link.pause();
    await elapse(TTL);
    expect(a.venue.serving()).toBe(false);
    link.resume();
    await settle();
    expect([a.venue.serving(), a.session.started.length]).toEqual([false, 1]);
    await elapse(RENEW);
    expect([a.venue.serving(), a.session.started.length]).toEqual([true, 2]);
  });

  it('given a session that fails to start, then the holder lets the lease go and the other instance takes it', async () => {
    const a = instance('a');
    const b = instance('b');
    a.session.failStart = true;
    await a.venue.start();
    await b.venue.start();
    await elapse(RENEW);
    expect(a.venue.serving()).toBe(false);
    expect(b.venue.serving()).toBe(true);
    expect(b.session.started).toHaveLength(1);
  });

  it('given a renewal that never answers, when the gateway stops, then close does not wait for it', async () => {
    const link = new Link(store);
    const a = instance('a', link);
    await a.venue.start();
    link.pause();
    await elapse(RENEW);
    await a.venue.close();
    expect(a.session.running).toBe(false);
  });

  it('given a holder whose session stays logged off, then after giveUpMs it lets the lease go and waits a lease before trying again', async () => {
    const { a, b } = await twoStarted();
    a.session.loggedOn = false;
    await elapse(GIVE_UP - RENEW);
    expect(a.venue.serving()).toBe(true);
    await elapse(2 * RENEW);
    expect(a.venue.serving()).toBe(false);
    // B's renewal in the same millisecond may have come first: it takes the lease at its next one.
    await elapse(RENEW);
    expect(b.venue.serving()).toBe(true);
    // B's session does not log on either: A gets its turn back, B waits out a lease.
    b.session.loggedOn = false;
    await elapse(GIVE_UP + 3 * RENEW);
    expect(b.venue.serving()).toBe(false);
    expect(a.venue.serving()).toBe(true);
    expect(a.session.started).toHaveLength(2);
  });

  it('given an instance alone whose lease was left by a previous life under another name, then it runs the session once that lease expires', async () => {
    await store.execution.acquireVenueSession({ venue: 'fix', owner: 'crashed', now: time.now(), ttlMs: TTL });
    const a = instance('a');
    await a.venue.start();
    expect(a.venue.serving()).toBe(false);
    expect(a.venue.healthy()).toBe(true);
    await elapse(TTL);
    expect(a.venue.serving()).toBe(true);
  });

  it('refuses a renewal interval of half the lease or more, which leaves no margin', () => {
    expect(() => new SingleSessionVenue(new FakeSession(time), {
      owner: 'a', leases: store.execution, clock: time, schedule: time.schedule, log: silentLogger, ttlMs: 3_000, renewMs: 1_500,
    })).toThrow('renewMs (1500) must be under half of ttlMs (3000)');
  });
});
