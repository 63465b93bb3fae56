/**
 * Group commit: changes submitted concurrently share one transaction, so throughput is not
 * capped by one fsync per order. Up to `maxInFlight` batches are with the store at once, so it
 * never waits for the next one; events are published in the order their batches committed
 * (the store assigns per-trader seqs at commit, so that is seq order; were it not, a client's
 * stream reads the store at a gap). If a batch fails, it is split in halves and retried, down
 * to single changes, so only the offending change fails (a unique-key race, a version
 * conflict) and one bad request costs its neighbours about 2·log2(batch) commits. A store that
 * cannot be reached fails the whole batch at once: no change in it is at fault, each split would
 * wait out another timeout while its callers wait, and a retry could repeat a commit that did
 * happen with its answer lost.
 */
import type { EventBus, OutboxEvent } from '../ports/bus.ts';
import { StoreUnavailable, type OrderChange, type OrderStore } from '../ports/store.ts';
import type { Logger, Telemetry } from '../ports/telemetry.ts';

interface Waiting {
  readonly change: OrderChange;
  resolve(events: OutboxEvent[]): void;
  reject(error: unknown): void;
}

export interface GroupCommitOptions {
  readonly maxBatch: number;
  /**
   * Batches handed to the store before the first of them is answered. Two keep the store busy:
   * the next batch is ready to run the moment the previous one committed.
   */
  readonly maxInFlight: number;
}

export const DEFAULT_GROUP_COMMIT: GroupCommitOptions = { maxBatch: 256, maxInFlight: 2 };

/**
 * What each store does best (measured with `npm run bench`; the figures are in the README,
 * Performance):
 * - SQLite: two batches in flight of at most 64 changes. Uncapped, with clients that each wait
 *   for a 201 before sending again, every waiting order went into one batch: all of them waited
 *   for the whole commit and then arrived together, and the commit thread idled half the time.
 *   Capped, the first answers go out while the next batch commits. 32 did as well at the
 *   gateway but lost to its extra commits where there is no HTTP work to overlap.
 * - PostgreSQL: one batch in flight, since every commit serialises on the audit-head lock (a
 *   second would only queue behind it, and a paused instance would hold the lock twice as long,
 *   R5); batches of up to 256, as smaller ones measured slower.
 */
export function groupCommitFor(dialect: 'sqlite' | 'postgres'): GroupCommitOptions {
  return dialect === 'sqlite' ? { maxBatch: 64, maxInFlight: 2 } : { maxBatch: 256, maxInFlight: 1 };
}

export class GroupCommitter {
  private readonly options: GroupCommitOptions;
  private queue: Waiting[] = [];
  private inFlight = 0;
  private scheduled = false;
  private idle: Array<() => void> = [];
  /** Publications, in the order the batches committed. */
  private published: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: OrderStore,
    private readonly bus: EventBus,
    private readonly telemetry: Telemetry,
    private readonly log: Logger,
    options: Partial<GroupCommitOptions> = {},
  ) {
    this.options = { ...DEFAULT_GROUP_COMMIT, ...options };
  }

  /** Resolves once the change is durable and its stream events are handed to the bus. */
  commit(change: OrderChange): Promise<OutboxEvent[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ change, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when nothing is queued or committing; used at shutdown. */
  flushed(): Promise<void> {
    return this.inFlight > 0 || this.queue.length > 0 ? new Promise((resolve) => this.idle.push(resolve)) : Promise.resolve();
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.options.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    // Let the requests already read from sockets in this turn join the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.startBatches();
    });
  }

  private startBatches(): void {
    while (this.queue.length > 0 && this.inFlight < this.options.maxInFlight) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight += 1;
      void this.commitBatch(batch).finally(() => {
        this.inFlight -= 1;
        if (this.queue.length > 0) this.schedule();
        else if (this.inFlight === 0) for (const wake of this.idle.splice(0)) wake();
      });
    }
  }

  private async commitBatch(batch: Waiting[]): Promise<void> {
    const started = performance.now();
    let events: OutboxEvent[];
    try {
      events = await this.store.commit(batch.map((w) => w.change));
    } catch (error) {
      if (batch.length === 1 || error instanceof StoreUnavailable) {
        for (const waiting of batch) waiting.reject(error);
        return;
      }
      this.log.debug({ size: batch.length, err: String(error) }, 'batch failed; retrying it in halves');
      const half = Math.ceil(batch.length / 2);
      await this.commitBatch(batch.slice(0, half));
      await this.commitBatch(batch.slice(half));
      return;
    }
    this.telemetry.batchCommitted(batch.length, (performance.now() - started) / 1000);
    // Chained: a batch's events go out after those of every batch that committed before it.
    const publication = this.published.then(() => this.publish(events));
    this.published = publication;
    await publication;
    let offset = 0;
    for (const waiting of batch) {
      const count = waiting.change.stream.length;
      waiting.resolve(events.slice(offset, offset + count));
      offset += count;
    }
  }

  private async publish(events: OutboxEvent[]): Promise<void> {
    if (events.length === 0) return;
    try {
      await this.bus.publish(events);
    } catch (error) {
      // The events are committed in the outbox; clients replaying with `since` still get them.
      this.log.error({ err: String(error), count: events.length }, 'publishing committed events to the bus failed');
    }
  }
}
