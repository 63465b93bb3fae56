/**
 * The in-process event bus: one gateway instance, no broker. Delivery is synchronous and in
 * publication order, which is commit order, so each trader's listeners see seq in order. A
 * subscription takes effect inside subscribe(), which calls `resync` before returning; nothing
 * is ever lost afterwards, so it is never called again.
 */
import type { EventBus, OutboxEvent, StreamListener } from '../../../ports/bus.ts';

export class MemoryBus implements EventBus {
  private readonly listeners = new Map<string, Set<StreamListener>>();

  constructor(private readonly onListenerError: (error: unknown) => void = () => {}) {}

  async publish(events: readonly OutboxEvent[]): Promise<void> {
    for (const event of events) {
      const set = this.listeners.get(event.traderId);
      if (!set) continue;
      for (const listener of set) {
        try {
          listener.event(event);
        } catch (error) {
          this.onListenerError(error);
        }
      }
    }
  }

  subscribe(traderId: string, listener: StreamListener): () => void {
    let set = this.listeners.get(traderId);
    if (!set) this.listeners.set(traderId, (set = new Set()));
    set.add(listener);
    listener.resync();
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(traderId) === set) this.listeners.delete(traderId);
    };
  }

  healthy(): boolean {
    return true;
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
