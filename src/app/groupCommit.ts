/**
 * Group commit: changes submitted concurrently share one transaction, so throughput is not
 * capped by one fsync per order. One batch is in flight at a time, which keeps per-trader
 * stream seq order equal to publication order. If a batch fails, it is split in halves and
 * retried, down to single changes, so only the offending change fails (a unique-key race, a
 * version conflict) and one bad request costs its neighbours about 2·log2(batch) commits.
 */
import type { EventBus, OutboxEvent } from '../ports/bus.ts';
import type { OrderChange, OrderStore } from '../ports/store.ts';
import type { Logger, Telemetry } from '../ports/telemetry.ts';

interface Waiting {
  readonly change: OrderChange;
  resolve(events: OutboxEvent[]): void;
  reject(error: unknown): void;
}

export interface GroupCommitOptions {
  readonly maxBatch: number;
}

export class GroupCommitter {
  private queue: Waiting[] = [];
  private running = false;
  private idle: Array<() => void> = [];

  constructor(
    private readonly store: OrderStore,
    private readonly bus: EventBus,
    private readonly telemetry: Telemetry,
    private readonly log: Logger,
    private readonly options: GroupCommitOptions = { maxBatch: 256 },
  ) {}

  /** Resolves once the change is durable and its stream events are handed to the bus. */
  commit(change: OrderChange): Promise<OutboxEvent[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ change, resolve, reject });
      if (!this.running) {
        this.running = true;
        // Let the requests already read from sockets in this turn join the batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  /** Resolves when nothing is queued or committing; used at shutdown. */
  flushed(): Promise<void> {
    return this.running ? new Promise((resolve) => this.idle.push(resolve)) : Promise.resolve();
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      await this.commitBatch(batch);
    }
    this.running = false;
    for (const wake of this.idle.splice(0)) wake();
  }

  private async commitBatch(batch: Waiting[]): Promise<void> {
    const started = performance.now();
    let events: OutboxEvent[];
    try {
      events = await this.store.commit(batch.map((w) => w.change));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      this.log.debug({ size: batch.length, err: String(error) }, 'batch failed; retrying it in halves');
      const half = Math.ceil(batch.length / 2);
      await this.commitBatch(batch.slice(0, half));
      await this.commitBatch(batch.slice(half));
      return;
    }
    this.telemetry.batchCommitted(batch.length, (performance.now() - started) / 1000);
    await this.publish(events);
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
