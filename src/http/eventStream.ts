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
 * - One step runs at a time, so the client sees seqs rising by exactly one.
 */
import type { EventBus, StreamEvent } from '../ports/bus.ts';
import type { OrderStore } from '../ports/store.ts';

const PAGE = 500;
const MAX_QUEUED = 1_000;

/** Sends one event to the client; calls `written`, if given, once the event is on its way (or will never be). */
export type Deliver = (event: StreamEvent, written?: () => void) => void;

export class EventStream {
  private lastSeq: number;
  private queue: StreamEvent[] = [];
  private storeAhead = false;
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
        for (const event of page) this.send(event);
        return;
      }
      const last = page.pop()!;
      for (const event of page) this.send(event);
      await new Promise<void>((written) => this.send(last, written));
      if (this.closed) return;
    }
  }

  private send(event: StreamEvent, written?: () => void): void {
    if (this.closed || event.seq <= this.lastSeq) {
      written?.();
      return;
    }
    this.lastSeq = event.seq;
    this.deliver(event, written);
  }
}
