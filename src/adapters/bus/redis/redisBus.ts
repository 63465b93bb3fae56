/**
 * The Redis event bus: pub/sub, one channel per trader (`<namespace>:events:<traderId>`; Redis
 * channel names are binary-safe and SUBSCRIBE takes them literally, so no trader id needs
 * escaping). Two connections: one publishes, one subscribes to the traders that have listeners
 * on this instance. Invariants:
 * - Publishing never queues while disconnected (enableOfflineQueue off) and gives up after
 *   `commandTimeoutMs` on a link that stopped answering: publish() rejects with BusUnavailable
 *   and the outbox relay publishes those events once Redis is back.
 * - One batch is one pipeline on one connection, so Redis receives, and fans out, each
 *   trader's events in publication order.
 * - Pub/sub keeps nothing for a subscriber that is away. Subscriptions are therefore made
 *   again by this adapter after every reconnection, and each listener hears `resync` once Redis
 *   has confirmed them, to re-read what it missed from the store.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { BusUnavailable, type EventBus, type OutboxEvent, type StreamListener } from '../../../ports/bus.ts';
import type { Logger } from '../../../ports/telemetry.ts';
import { seqOfPayload, TraderListeners, type TraderEntry } from '../listeners.ts';

export interface RedisBusOptions {
  /** `redis://…` or `rediss://…`. */
  readonly url: string;
  /** Prefix of every channel, so deployments can share one Redis. */
  readonly namespace: string;
  readonly log: Logger;
  /** How long openRedisBus waits for the first connection before returning anyway (default 3 s). */
  readonly connectTimeoutMs?: number;
  /** How long a command may go unanswered before it fails (default 2 s). */
  readonly commandTimeoutMs?: number;
  readonly onListenerError?: (error: unknown) => void;
}

/** SUBSCRIBE arguments per command after a reconnection with many traders. */
const CHANNELS_PER_SUBSCRIBE = 1000;

export async function openRedisBus(options: RedisBusOptions): Promise<EventBus> {
  const bus = new RedisBus(options);
  await bus.connected(options.connectTimeoutMs ?? 3_000);
  return bus;
}

class RedisBus implements EventBus {
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #prefix: string;
  readonly #log: Logger;
  readonly #listeners: TraderListeners;
  #closed = false;

  constructor(options: RedisBusOptions) {
    this.#prefix = `${options.namespace}:events:`;
    this.#log = options.log;
    const common: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 2_000,
      connectTimeout: 2_000,
      // Quick, bounded reconnection: events wait in the outbox, not here.
      retryStrategy: (attempt) => Math.min(attempt * 50, 500),
    };
    this.#publisher = new Redis(options.url, { ...common, connectionName: 'ordergate-publish' });
    this.#subscriber = new Redis(options.url, { ...common, connectionName: 'ordergate-subscribe', autoResubscribe: false });
    this.#listeners = new TraderListeners(
      { open: (entries) => this.#open(entries), close: (entry) => this.#close(entry) },
      options.onListenerError ?? ((error) => this.#log.error({ err: String(error) }, 'event listener failed')),
    );
    this.#watch(this.#publisher, 'publish');
    this.#watch(this.#subscriber, 'subscribe');
    this.#subscriber.on('ready', () => this.#open(this.#listeners.all()));
    this.#subscriber.on('close', () => this.#listeners.lost());
    this.#subscriber.on('message', (channel: string, message: string) => this.#receive(channel, message));
  }

  /** Resolves when both connections are ready, or after `timeoutMs` whatever their state. */
  connected(timeoutMs: number): Promise<void> {
    const ready = (connection: Redis) =>
      connection.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => connection.once('ready', () => resolve()));
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      Promise.all([ready(this.#publisher), ready(this.#subscriber)]).then(() => undefined),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]).finally(() => clearTimeout(timer));
  }

  async publish(events: readonly OutboxEvent[]): Promise<void> {
    if (events.length === 0) return;
    if (this.#publisher.status !== 'ready') throw new BusUnavailable(`Redis is not connected (${this.#publisher.status})`);
    const pipeline = this.#publisher.pipeline();
    for (const event of events) pipeline.publish(this.#prefix + event.traderId, event.payload);
    let results: Array<[Error | null, unknown]> | null;
    try {
      results = await pipeline.exec();
    } catch (error) {
      throw new BusUnavailable(`Redis did not take the events: ${String(error)}`, { cause: error });
    }
    const failed = results?.find(([error]) => error !== null);
    if (!results || failed) throw new BusUnavailable(`Redis did not take the events: ${String(failed?.[0] ?? 'no reply')}`);
  }

  subscribe(traderId: string, listener: StreamListener): () => void {
    return this.#listeners.subscribe(traderId, listener);
  }

  healthy(): boolean {
    return this.#publisher.status === 'ready' && this.#subscriber.status === 'ready';
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    this.#publisher.disconnect();
    this.#subscriber.disconnect();
  }

  #open(entries: readonly TraderEntry[]): void {
    if (this.#subscriber.status !== 'ready' || entries.length === 0) return;
    for (let start = 0; start < entries.length; start += CHANNELS_PER_SUBSCRIBE) {
      const chunk = entries.slice(start, start + CHANNELS_PER_SUBSCRIBE);
      this.#subscriber.subscribe(...chunk.map((entry) => this.#prefix + entry.traderId)).then(
        () => this.#listeners.confirmed(chunk),
        // The connection dropped meanwhile; the next 'ready' subscribes everything again.
        (error: unknown) => this.#log.debug({ err: String(error) }, 'Redis SUBSCRIBE failed; retried on reconnection'),
      );
    }
  }

  #close(entry: TraderEntry): void {
    if (this.#subscriber.status !== 'ready') return;
    this.#subscriber.unsubscribe(this.#prefix + entry.traderId).catch(() => {
      // A lost connection drops every subscription anyway.
    });
  }

  #receive(channel: string, payload: string): void {
    if (!channel.startsWith(this.#prefix)) return;
    const seq = seqOfPayload(payload);
    if (seq === null) {
      this.#log.warn({ channel }, 'ignored a Redis message that is not a stream event');
      return;
    }
    const traderId = channel.slice(this.#prefix.length);
    this.#listeners.deliver(traderId, { traderId, seq, payload });
  }

  /** Logs each connection's losses and recoveries once, not every retry. */
  #watch(connection: Redis, role: string): void {
    let down = false;
    connection.on('error', (error: Error) => this.#log.debug({ err: error.message, role }, 'Redis connection error'));
    connection.on('close', () => {
      if (down || this.#closed) return;
      down = true;
      this.#log.warn({ role }, 'Redis connection lost; events wait in the outbox until it is back');
    });
    connection.on('ready', () => {
      if (!down) return;
      down = false;
      this.#log.info({ role }, 'Redis connection restored');
    });
  }
}
