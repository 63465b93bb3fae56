/**
 * What the broker adapters share: the listeners of each trader subscribed on this instance,
 * whether the broker has confirmed that trader's subscription, and the payload's seq.
 * Invariants:
 * - A trader has one broker subscription however many listeners (sockets) it has here; it is
 *   opened with the first listener and closed with the last.
 * - A listener hears `resync` once its trader's subscription is confirmed (at once if it already
 *   was), and again after every confirmation following a lost connection. Until then nothing it
 *   could have missed is assumed delivered.
 * - A listener that throws is reported and does not stop the others.
 */
import type { StreamEvent, StreamListener } from '../../ports/bus.ts';

export interface TraderEntry {
  readonly traderId: string;
  readonly listeners: Set<StreamListener>;
  /** The broker confirmed the subscription on the current connection. */
  live: boolean;
}

export interface BrokerSubscriptions {
  /** Ask the broker for these traders' subscriptions; call confirmed() when it has them. */
  open(entries: readonly TraderEntry[]): void;
  close(entry: TraderEntry): void;
}

export class TraderListeners {
  readonly #entries = new Map<string, TraderEntry>();

  constructor(
    private readonly broker: BrokerSubscriptions,
    private readonly onListenerError: (error: unknown) => void,
  ) {}

  subscribe(traderId: string, listener: StreamListener): () => void {
    let entry = this.#entries.get(traderId);
    const first = entry === undefined;
    if (!entry) {
      entry = { traderId, listeners: new Set(), live: false };
      this.#entries.set(traderId, entry);
    }
    entry.listeners.add(listener);
    if (first) this.broker.open([entry]);
    else if (entry.live) this.#call(() => listener.resync());
    const current = entry;
    return () => {
      if (!current.listeners.delete(listener) || current.listeners.size > 0) return;
      if (this.#entries.get(traderId) !== current) return;
      this.#entries.delete(traderId);
      this.broker.close(current);
    };
  }

  /** The broker holds these subscriptions now: each listener re-reads what it may have missed. */
  confirmed(entries: readonly TraderEntry[]): void {
    for (const entry of entries) {
      if (entry.live || !this.isCurrent(entry)) continue;
      entry.live = true;
      for (const listener of entry.listeners) this.#call(() => listener.resync());
    }
  }

  /** The connection is gone: no subscription counts as live until confirmed again. */
  lost(): void {
    for (const entry of this.#entries.values()) entry.live = false;
  }

  isCurrent(entry: TraderEntry): boolean {
    return this.#entries.get(entry.traderId) === entry;
  }

  all(): TraderEntry[] {
    return [...this.#entries.values()];
  }

  deliver(traderId: string, event: StreamEvent): void {
    const entry = this.#entries.get(traderId);
    if (!entry) return;
    for (const listener of entry.listeners) this.#call(() => listener.event(event));
  }

  clear(): void {
    this.#entries.clear();
  }

  #call(notify: () => void): void {
    try {
      notify();
    } catch (error) {
      this.onListenerError(error);
    }
  }
}

const SEQ_PREFIX = '{"seq":';

/** The seq a stored payload starts with (`{"seq":42,…`), or null for anything else. */
export function seqOfPayload(payload: string): number | null {
  if (!payload.startsWith(SEQ_PREFIX)) return null;
  let seq = 0;
  let index = SEQ_PREFIX.length;
  for (; index < payload.length; index += 1) {
    const digit = payload.charCodeAt(index) - 48;
    if (digit < 0 || digit > 9) break;
    seq = seq * 10 + digit;
  }
  return index > SEQ_PREFIX.length && index - SEQ_PREFIX.length <= 15 && payload[index] === ',' && seq > 0 ? seq : null;
}
