/**
 * The event-bus port: carries committed stream events to whichever gateway instances serve
 * the trader's connections. Events are already sequenced (per-trader, gap-free seq) and stored
 * by the store, which stays the source of truth; a bus only delivers, at least once while it
 * is connected, in publication order per trader. It may lose events across an outage and may
 * repeat them; it says so by calling `resync`, and consumers re-read the store from the last
 * seq they saw and drop any seq they already have.
 * Adapters: memory (one process), Redis pub/sub, NATS JetStream. A new one (Kafka, say) is
 * these four methods and must pass src/adapters/bus/contract.ts.
 */
export interface StreamEvent {
  readonly traderId: string;
  readonly seq: number;
  /** The JSON text sent to clients as is; it starts with `{"seq":<seq>,`. */
  readonly payload: string;
}

/** A stream event as the outbox holds it: `id` is its stable event id, the same on every republication. */
export interface OutboxEvent extends StreamEvent {
  readonly id: string;
}

export interface StreamListener {
  /** One of the trader's events. It may repeat one already seen, or come after a gap. */
  readonly event: (event: StreamEvent) => void;
  /**
   * From now on every event published reaches `event`; anything published before may have
   * been missed, so re-read the store. Called once the subscription takes effect (possibly
   * inside subscribe() itself) and again after every reconnection to the bus.
   */
  readonly resync: () => void;
}

export interface EventBus {
  /**
   * Hands the events to the bus in array order. Resolves once the bus has them (a broker's
   * acknowledgement); rejects when it cannot take them now, so the outbox relay retries later.
   */
  publish(events: readonly OutboxEvent[]): Promise<void>;
  /** Subscribes to one trader's events; returns the unsubscribe function. */
  subscribe(traderId: string, listener: StreamListener): () => void;
  /** Connected and able to publish. */
  healthy(): boolean;
  close(): Promise<void>;
}

/** The bus cannot take events now (not connected, broker refused); the relay will retry. */
export class BusUnavailable extends Error {
  override readonly name = 'BusUnavailable';
}
