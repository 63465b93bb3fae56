/**
 * The reads of Kite orders that postbacks ask for. A verified postback proves only that Kite
 * once sent something about an order id, and it can be sent again any number of times
 * (kitePostback.ts): so it is a wake-up for that id, answered by reading the order at Kite,
 * and the reads stay bounded whatever the number of postbacks. A wake-up for an order already
 * waiting adds nothing; one for the order being read queues one more read after it (the change
 * it announces may have come after that read saw the order). Reads run one at a time and start
 * at least `spacingMs` apart, so a flood of replayed postbacks costs Kite's API budget (its GETs
 * are limited per API key, about 10 a second) one read per spacing at most. A failed read is
 * queued again, up to `attempts` in a row.
 * Invariants: at most one read in flight; an order id waits at most once; at most `capacity`
 * ids wait (a wake-up beyond is dropped: the stream, a reconnect or reconciliation reads the
 * order anyway); every wait is on the injected scheduler.
 */
import type { Schedule } from '../../../ports/clock.ts';
import type { Logger } from '../../../ports/telemetry.ts';

export interface WakeUpLimits {
  readonly spacingMs: number;
  readonly attempts: number;
  readonly capacity: number;
}

export class WakeUps {
  /** Insertion-ordered: ids are read first come, first served. */
  readonly #waiting = new Set<string>();
  readonly #failures = new Map<string, number>();
  #draining = false;
  #endPause: (() => void) | null = null;
  #refusing = false;

  constructor(
    private readonly read: (orderId: string) => Promise<void>,
    private readonly schedule: Schedule,
    private readonly limits: WakeUpLimits,
    private readonly closed: () => boolean,
    private readonly log: { readonly logger: Logger; readonly venue: string },
  ) {}

  wake(orderId: string): void {
    if (this.closed() || !this.#enqueue(orderId)) return;
    if (!this.#draining) void this.#drain();
  }

  /** Forgets what waits and ends a pause: the venue is closing. */
  stop(): void {
    this.#waiting.clear();
    this.#failures.clear();
    this.#endPause?.();
  }

  #enqueue(orderId: string): boolean {
    if (this.#waiting.has(orderId)) return true;
    if (this.#waiting.size >= this.limits.capacity) {
      if (!this.#refusing) {
        this.log.logger.warn({ venue: this.log.venue, waiting: this.#waiting.size },
          'Kite postbacks arrive faster than the orders they name can be read; more are dropped until the queue drains');
      }
      this.#refusing = true;
      return false;
    }
    this.#refusing = false;
    this.#waiting.add(orderId);
    return true;
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      for (let orderId = this.#next(); orderId !== null && !this.closed(); orderId = this.#next()) {
        await this.#readOnce(orderId);
        // Also when nothing waits now: the pause then holds for whatever comes during it.
        await this.#pause();
      }
    } finally {
      this.#draining = false;
    }
  }

  #next(): string | null {
    const first = this.#waiting.values().next();
    if (first.done) return null;
    this.#waiting.delete(first.value);
    return first.value;
  }

  async #readOnce(orderId: string): Promise<void> {
    try {
      await this.read(orderId);
      this.#failures.delete(orderId);
    } catch (error) {
      const failures = (this.#failures.get(orderId) ?? 0) + 1;
      const err = (error as Error).message;
      if (failures < this.limits.attempts && !this.closed() && this.#enqueue(orderId)) {
        this.#failures.set(orderId, failures);
        this.log.logger.warn({ venue: this.log.venue, kiteOrderId: orderId, attempt: failures, err }, 'Kite order named by a postback could not be read; reading it again');
        return;
      }
      this.#failures.delete(orderId);
      this.log.logger.error({ venue: this.log.venue, kiteOrderId: orderId, err },
        'Kite order named by a postback could not be read; the stream, the next reconnect or reconciliation reads it again');
    }
  }

  #pause(): Promise<void> {
    return new Promise<void>((resolve) => {
      const end = () => {
        this.#endPause = null;
        resolve();
      };
      const cancel = this.schedule(end, this.limits.spacingMs);
      this.#endPause = () => {
        cancel();
        end();
      };
    });
  }
}
