/**
 * The outbox relay: gets every committed stream event onto the bus at least once, on every
 * instance, however instances and the bus come and go. Two paths:
 * - Fast: the group committer publishes each batch right after its commit through fastPath().
 *   The commit never waits for the broker: the publish is started (in commit order, on one
 *   connection) and the ids the bus took are marked published in one statement every
 *   `markEveryMs`, not one write per order.
 * - Sweep: every `sweepEveryMs`, events still unmarked `graceMs` after they were created (their
 *   instance died before publishing, the bus was down, a publish failed) are claimed under a
 *   lease (store.relayUnpublished: FOR UPDATE SKIP LOCKED on PostgreSQL, so instances share the
 *   work and never publish the same rows at once) and published; failures back off, jittered.
 * Invariants: an event is marked only after the bus took it; a bus that is down costs the
 * commit path nothing (the fast path skips it and the sweep waits for it); an event published
 * twice is harmless (consumers drop seqs they have; NATS drops a repeated event id).
 * It reports through RelayTelemetry what each path published or failed to, and its status (bus
 * up, backlog, what the last sweep found) from memory: watching it costs the store nothing.
 */
import type { EventBus, OutboxEvent, StreamListener } from '../ports/bus.ts';
import type { Clock } from '../ports/clock.ts';
import type { OrderStore } from '../ports/store.ts';
import type { Logger, RelayPath, RelayStatus, RelayTelemetry } from '../ports/telemetry.ts';

export interface OutboxRelayOptions {
  /** How long the committer has to publish and mark an event before the sweep takes it over. */
  readonly graceMs: number;
  readonly sweepEveryMs: number;
  readonly markEveryMs: number;
  /** How long a claim may hold its rows before the database ends it (PostgreSQL). */
  readonly leaseMs: number;
  readonly batchSize: number;
  readonly maxBackoffMs: number;
  /** Fast-path publishes the bus has not answered yet beyond which batches are left to the sweep. */
  readonly maxInFlight: number;
  /** Ids waiting to be marked beyond which the oldest are forgotten (and later republished). */
  readonly maxPendingMarks: number;
}

export const DEFAULT_RELAY_OPTIONS: OutboxRelayOptions = {
  graceMs: 1_000,
  sweepEveryMs: 250,
  markEveryMs: 100,
  leaseMs: 10_000,
  batchSize: 500,
  maxBackoffMs: 5_000,
  maxInFlight: 1_000,
  maxPendingMarks: 100_000,
};

export class OutboxRelay {
  private readonly options: OutboxRelayOptions;
  private pendingMarks: string[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failures = 0;
  private running = false;
  private stopping = false;
  private sweepTimer: NodeJS.Timeout | undefined;
  private markTimer: NodeJS.Timeout | undefined;
  private current: Promise<unknown> = Promise.resolve();
  private outage = false;
  private lastSweepFound: number | null = null;
  private lastSweepSucceededAt: Date | null = null;

  constructor(
    private readonly store: OrderStore,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly telemetry: RelayTelemetry,
    options: Partial<OutboxRelayOptions> = {},
  ) {
    this.options = { ...DEFAULT_RELAY_OPTIONS, ...options };
    telemetry.readStatusFrom(() => this.status());
  }

  status(): RelayStatus {
    return {
      busUp: this.bus.healthy() && !this.outage,
      publishesInFlight: this.inFlight.size,
      marksPending: this.pendingMarks.length,
      lastSweepFound: this.lastSweepFound,
      lastSweepSucceededAt: this.lastSweepSucceededAt,
    };
  }

  /** The bus as the group committer uses it: publish() starts the publication and returns at once. */
  fastPath(): EventBus {
    const bus = this.bus;
    return {
      publish: async (events: readonly OutboxEvent[]) => this.publishNow(events),
      subscribe: (traderId: string, listener: StreamListener) => bus.subscribe(traderId, listener),
      healthy: () => bus.healthy(),
      close: () => bus.close(),
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.scheduleSweep(0);
    this.markTimer = setInterval(() => {
      this.chain(() => this.flushMarks()).catch((error: unknown) => this.log.warn({ err: String(error) }, 'marking published events failed; retrying'));
    }, this.options.markEveryMs);
    this.markTimer.unref();
  }

  /** Stops the timers, waits for the sweep or mark in progress, and writes the marks still pending. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopping = true;
    clearTimeout(this.sweepTimer);
    clearInterval(this.markTimer);
    await this.settled();
    await this.current.catch(() => {});
    await this.flushMarks().catch((error) => this.log.warn({ err: String(error) }, 'could not mark published events at shutdown'));
  }

  /** Resolves once the bus answered every fast-path publish started so far. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Claims and publishes events past the grace until none is left; resolves to how many. With
   * the bus down it waits without looking, so what the last sweep found stays as it was.
   */
  async sweep(): Promise<number> {
    if (!this.bus.healthy()) return 0;
    let total = 0;
    let found = 0;
    try {
      for (;;) {
        const claim = { now: this.clock.now(), olderThanMs: this.options.graceMs, limit: this.options.batchSize, leaseMs: this.options.leaseMs };
        const published = await this.store.relayUnpublished(claim, (events) => {
          found += events.length;
          return this.publishCounted('sweep', events);
        });
        total += published;
        if (published < this.options.batchSize) {
          this.lastSweepSucceededAt = claim.now;
          break;
        }
        if (this.stopping) break;
      }
    } finally {
      this.lastSweepFound = found;
    }
    if (total > 0) this.log.info({ count: total }, 'outbox relay published events their committer had not');
    return total;
  }

  /** Writes the pending marks in one statement; on failure they stay pending. */
  async flushMarks(): Promise<void> {
    if (this.pendingMarks.length === 0) return;
    const ids = this.pendingMarks;
    this.pendingMarks = [];
    try {
      await this.store.markPublished(ids, this.clock.now());
    } catch (error) {
      this.remember(ids);
      throw error;
    }
  }

  private publishNow(events: readonly OutboxEvent[]): void {
    if (events.length === 0) return;
    if (!this.bus.healthy() || this.inFlight.size >= this.options.maxInFlight) return;
    const publishing: Promise<void> = this.publishCounted('fast', events).then(
      () => this.remember(events.map((event) => event.id)),
      () => {}, // counted and logged by publishCounted; these events are left to the sweep
    ).finally(() => this.inFlight.delete(publishing));
    this.inFlight.add(publishing);
  }

  /** Hands events to the bus, counts what it took or that it refused, and keeps the outage state. */
  private async publishCounted(path: RelayPath, events: readonly OutboxEvent[]): Promise<void> {
    try {
      await this.bus.publish(events);
    } catch (error) {
      this.telemetry.outboxPublishFailed(path);
      if (!this.outage) this.log.warn({ err: String(error) }, 'publishing to the bus failed; the outbox relay will retry');
      this.outage = true;
      throw error;
    }
    this.telemetry.outboxPublished(path, events.length);
    if (this.outage) this.log.info({}, 'publishing to the bus works again');
    this.outage = false;
  }

  private remember(ids: readonly string[]): void {
    this.pendingMarks.push(...ids);
    const excess = this.pendingMarks.length - this.options.maxPendingMarks;
    if (excess > 0) this.pendingMarks.splice(0, excess);
  }

  /** One sweep or mark at a time, so a mark never races the sweep over the same rows. */
  private chain<T>(work: () => Promise<T>): Promise<T> {
    const next = this.current.catch(() => {}).then(work);
    this.current = next;
    return next;
  }

  private scheduleSweep(delayMs: number): void {
    if (!this.running) return;
    this.sweepTimer = setTimeout(() => {
      this.chain(() => this.sweep()).then(
        () => {
          this.failures = 0;
          this.scheduleSweep(this.options.sweepEveryMs);
        },
        (error: unknown) => {
          this.failures += 1;
          if (this.failures === 1) this.log.warn({ err: String(error) }, 'outbox relay sweep failed; backing off');
          const ceiling = Math.min(this.options.maxBackoffMs, this.options.sweepEveryMs * 2 ** this.failures);
          this.scheduleSweep(ceiling / 2 + Math.random() * (ceiling / 2));
        },
      );
    }, delayMs);
    this.sweepTimer.unref();
  }
}
