/**
 * One trader's event stream for one client: replays stored events after `since`, then goes
 * live from the bus with no gap and no duplicate at the seam. The store is the truth; the bus
 * only says "there is more", faster:
 * - Live events wait in a bounded queue. One at or below the last seq sent is dropped; one past
 *   a gap makes the stream read the store first. A queue that overflows is emptied and replaced
 *   by a store read, so neither a slow store nor a burst grows memory without bound.
 * - The bus's `resync` (its subscription took effect, or came back after an outage) makes the
 *   stream read the store from the last seq sent, so what was published while it was not
 *   listening is not lost.
 * - Replay goes a page at a time; after a full page it waits until the client's socket has
 *   taken the page's last event, so a long replay neither floods the socket nor the heap.
 * - A client that falls behind is not sent more: `deliver` answers false, the stream keeps its
 *   position, waits until the socket has drained (`drained`), then reads the store from there.
 *   A client that never drains is closed by the socket layer, not buffered without bound.
 * - One step runs at a time, so the client sees seqs rising by exactly one.
 */
import type { EventBus, StreamEvent } from '../ports/bus.ts';
import type { OrderStore } from '../ports/store.ts';

const PAGE = 500;
const MAX_QUEUED = 1_000;

/**
 * Sends one event to the client and answers true, calling `written`, if given, once it is on
 * its way (or never will be); answers false, sending nothing, when the client is backed up.
 */
export type Deliver = (event: StreamEvent, written?: () => void) => boolean;

/** Resolves once the client has taken what it was sent (true), or will never (false: it was closed). */
export type Drained = () => Promise<boolean>;

export class EventStream {
  private lastSeq: number;
  private queue: StreamEvent[] = [];
  private storeAhead = false;
  private backedUp = false;
  private running = false;
  private current: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | null = null;
  private closed = false;

  constructor(
    private readonly store: OrderStore,
    private readonly bus: EventBus,
    private readonly traderId: string,
    since: number,
    private readonly deliver: Deliver,
    private readonly onError: (error: unknown) => void,
    private readonly drained: Drained = async () => true,
  ) {
    this.lastSeq = since;
  }

  /** Subscribes first, then replays, so nothing committed in between is missed; resolves once the replay is sent. */
  async start(): Promise<void> {
    this.unsubscribe = this.bus.subscribe(this.traderId, {
      event: (event) => this.arrived(event),
      resync: () => this.readStore(),
    });
    // The replay; absorbed into the read a bus already asked for inside subscribe().
    this.readStore();
    await this.current;
  }

  /** The seq of the last event sent to the client. */
  position(): number {
    return this.lastSeq;
  }

  close(): void {
    this.closed = true;
    this.queue = [];
    this.unsubscribe?.();
  }

  private arrived(event: StreamEvent): void {
    if (this.closed || event.seq <= this.lastSeq) return;
    if (this.queue.length >= MAX_QUEUED) {
      this.queue = [];
      this.storeAhead = true;
    } else {
      this.queue.push(event);
    }
    this.pump();
  }

  private readStore(): void {
    this.storeAhead = true;
    this.pump();
  }

  /** Starts the drain in a microtask unless it runs; `running` changes only synchronously with the drain's own checks. */
  private pump(): void {
    if (this.running || this.closed) return;
    this.running = true;
    this.current = Promise.resolve().then(() => this.drain());
  }

  private async drain(): Promise<void> {
    try {
      while (!this.closed) {
        if (this.backedUp) {
          this.backedUp = false;
          this.queue = [];
          if (!(await this.drained())) return;
          this.storeAhead = true;
        }
        if (this.storeAhead) {
          this.storeAhead = false;
          await this.catchUp();
          continue;
        }
        const event = this.queue.shift();
        if (!event) break;
        if (event.seq <= this.lastSeq) continue;
        if (event.seq > this.lastSeq + 1) await this.catchUp();
        if (event.seq === this.lastSeq + 1) this.send(event);
      }
    } catch (error) {
      this.onError(error);
    } finally {
      this.running = false;
    }
  }

  private async catchUp(): Promise<void> {
    for (;;) {
      const page = await this.store.streamSince(this.traderId, this.lastSeq, PAGE);
      if (page.length < PAGE) {
        for (const event of page) if (!this.send(event)) return;
        return;
      }
      const last = page.pop()!;
      for (const event of page) if (!this.send(event)) return;
      if (!(await new Promise<boolean>((written) => { if (!this.send(last, () => written(true))) written(false); }))) return;
      if (this.closed) return;
    }
  }

  /** False when the client is backed up: nothing was sent and the position did not move. */
  private send(event: StreamEvent, written?: () => void): boolean {
    if (this.closed || event.seq <= this.lastSeq) {
      written?.();
      return true;
    }
    if (this.backedUp || !this.deliver(event, written)) {
      this.backedUp = true;
      return false;
    }
    this.lastSeq = event.seq;
    return true;
  }
}
