/**
 * The event-bus port: carries committed stream events to whoever serves the trader's
 * connections. Events are already sequenced (per-trader, gap-free seq) by the store; the
 * bus only delivers. Adapters: in-process memory now; Redis and NATS JetStream later.
 */
export interface StreamEvent {
  readonly traderId: string;
  readonly seq: number;
  /** The JSON text sent to clients as is; it includes the seq. */
  readonly payload: string;
}

export type StreamListener = (event: StreamEvent) => void;

export interface EventBus {
  publish(events: readonly StreamEvent[]): Promise<void>;
  /** Subscribes to one trader's events; returns the unsubscribe function. */
  subscribe(traderId: string, listener: StreamListener): () => void;
  healthy(): boolean;
  close(): Promise<void>;
}
