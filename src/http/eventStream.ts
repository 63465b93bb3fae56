/**
 * One trader's event stream for one client: replays stored events after `since`, then goes
 * live from the bus with no gap and no duplicate at the seam. Live events that arrive while
 * the replay runs are held, then sent if newer than what was replayed; a live event past a
 * gap (a bus that lost a message) triggers a fetch of the missing ones from the store.
 */
import type { EventBus, StreamEvent } from '../ports/bus.ts';
import type { OrderStore } from '../ports/store.ts';

const PAGE = 500;

export class EventStream {
  private lastSeq: number;
  private held: StreamEvent[] | null = [];
  private chain: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | null = null;
  private closed = false;

  constructor(
    private readonly store: OrderStore,
    private readonly bus: EventBus,
    private readonly traderId: string,
    since: number,
    private readonly deliver: (event: StreamEvent) => void,
    private readonly onError: (error: unknown) => void,
  ) {
    this.lastSeq = since;
  }

  /** Subscribes first, then replays, so nothing committed in between is missed. */
  async start(): Promise<void> {
    this.unsubscribe = this.bus.subscribe(this.traderId, (event) => {
      if (this.held) this.held.push(event);
      else this.enqueue(() => this.live(event));
    });
    await this.catchUp();
    const held = this.held ?? [];
    this.held = null;
    for (const event of held) this.enqueue(() => this.live(event));
    await this.chain;
  }

  close(): void {
    this.closed = true;
    this.unsubscribe?.();
  }

  private enqueue(step: () => Promise<void> | void): void {
    this.chain = this.chain.then(step).catch((error) => this.onError(error));
  }

  private async live(event: StreamEvent): Promise<void> {
    if (event.seq <= this.lastSeq || this.closed) return;
    if (event.seq > this.lastSeq + 1) await this.catchUp();
    if (event.seq === this.lastSeq + 1) this.send(event);
  }

  private async catchUp(): Promise<void> {
    for (;;) {
      const page = await this.store.streamSince(this.traderId, this.lastSeq, PAGE);
      for (const event of page) this.send(event);
      if (page.length < PAGE || this.closed) return;
    }
  }

  private send(event: StreamEvent): void {
    if (this.closed || event.seq <= this.lastSeq) return;
    this.lastSeq = event.seq;
    this.deliver(event);
  }
}
