/**
 * The NATS JetStream event bus. Events are published into a durable stream
 * (`<namespace>_events`, file storage) on one subject per trader
 * (`<namespace>.events.<token>`, see subjectToken), with `Nats-Msg-Id` = the event id, so a
 * republication by the outbox relay within the duplicate window is stored once. publish()
 * resolves on the stream's acknowledgement, which is what lets the relay mark events published.
 * Live fan-out to this instance uses plain subscriptions on the subjects of the traders that
 * have listeners here: the server hands each message to them as it stores it, so a stream
 * consumer's extra hop is not paid. Their replay source is the database, not the stream.
 * Invariants:
 * - Never blocks on a dead server: publish() rejects at once with BusUnavailable while
 *   disconnected, and after `publishTimeoutMs` on a link that stopped answering.
 * - The client restores subscriptions after a reconnection; a flush (a round trip behind them)
 *   confirms they are in place before listeners hear `resync`.
 * - The stream is created if missing, at each connection (a server restarted without its
 *   store) and after a publish finds no stream.
 */
import { connect, nanos, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { DiscardPolicy, jetstream, jetstreamManager, StorageType, type JetStreamClient } from '@nats-io/jetstream';
import { BusUnavailable, type EventBus, type OutboxEvent, type StreamListener } from '../../../ports/bus.ts';
import type { Logger } from '../../../ports/telemetry.ts';
import { seqOfPayload, TraderListeners, type TraderEntry } from '../listeners.ts';
import { subjectToken } from './subjects.ts';

export interface NatsBusOptions {
  /** `nats://host:port`. */
  readonly url: string;
  /** Subject prefix and stream name, so deployments can share one server. */
  readonly namespace: string;
  readonly log: Logger;
  /** How long openNatsBus waits for the first connection before returning anyway (default 3 s). */
  readonly connectTimeoutMs?: number;
  readonly publishTimeoutMs?: number;
  /** How long the stream keeps events (default 24 h); the database keeps them for good. */
  readonly streamMaxAgeMs?: number;
  readonly onListenerError?: (error: unknown) => void;
}

const RETRY_FIRST_CONNECT_MS = 250;
const DUPLICATE_WINDOW_MS = 120_000;

export async function openNatsBus(options: NatsBusOptions): Promise<EventBus & { readonly streamName: string }> {
  const bus = new NatsBus(options);
  await bus.connected(options.connectTimeoutMs ?? 3_000);
  return bus;
}

class NatsBus implements EventBus {
  readonly streamName: string;
  readonly #subjectPrefix: string;
  readonly #options: NatsBusOptions;
  readonly #log: Logger;
  readonly #listeners: TraderListeners;
  readonly #subscriptions = new Map<TraderEntry, Subscription>();
  #connection: NatsConnection | null = null;
  #jetstream: JetStreamClient | null = null;
  #stream: Promise<void> | null = null;
  #up = false;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;
  readonly #waiters = new Set<() => void>();

  constructor(options: NatsBusOptions) {
    this.#options = options;
    this.#log = options.log;
    this.#subjectPrefix = `${options.namespace}.events.`;
    this.streamName = `${options.namespace}_events`;
    this.#listeners = new TraderListeners(
      { open: (entries) => this.#open(entries), close: (entry) => this.#close(entry) },
      options.onListenerError ?? ((error) => this.#log.error({ err: String(error) }, 'event listener failed')),
    );
    void this.#connect();
  }

  /** Resolves when connected, or after `timeoutMs` whatever the state. */
  connected(timeoutMs: number): Promise<void> {
    if (this.#up) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#waiters.add(done);
    });
  }

  async publish(events: readonly OutboxEvent[]): Promise<void> {
    if (events.length === 0) return;
    const js = this.#jetstream;
    if (!js || !this.#up) throw new BusUnavailable('NATS is not connected');
    try {
      await (this.#stream ??= this.#ensureStream());
      const timeout = this.#options.publishTimeoutMs ?? 2_000;
      await Promise.all(events.map((event) =>
        js.publish(this.#subjectPrefix + subjectToken(event.traderId), event.payload, { msgID: event.id, timeout })));
    } catch (error) {
      // No stream answering (deleted, or a server restarted empty): create it again next time.
      this.#stream = null;
      throw new BusUnavailable(`NATS JetStream did not take the events: ${String(error)}`, { cause: error });
    }
  }

  subscribe(traderId: string, listener: StreamListener): () => void {
    return this.#listeners.subscribe(traderId, listener);
  }

  healthy(): boolean {
    return this.#up;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#up = false;
    clearTimeout(this.#retry);
    this.#listeners.clear();
    this.#subscriptions.clear();
    for (const wake of [...this.#waiters]) wake();
    await this.#connection?.close();
  }

  /** The first connection, retried until it works or the bus closes; the client reconnects by itself after that. */
  async #connect(): Promise<void> {
    try {
      const connection = await connect({
        servers: this.#options.url.replace(/^nats:\/\//, ''),
        name: 'ordergate',
        timeout: 2_000,
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        pingInterval: 10_000,
      });
      if (this.#closed) {
        await connection.close();
        return;
      }
      this.#connection = connection;
      this.#jetstream = jetstream(connection);
      void this.#watch(connection);
      this.#connectedNow();
    } catch (error) {
      if (this.#closed) return;
      this.#log.debug({ err: String(error) }, 'NATS is not reachable yet; retrying');
      this.#retry = setTimeout(() => void this.#connect(), RETRY_FIRST_CONNECT_MS);
    }
  }

  #connectedNow(): void {
    this.#up = true;
    this.#stream = this.#ensureStream();
    this.#stream.catch((error: unknown) => {
      this.#stream = null;
      this.#log.warn({ err: String(error) }, 'could not create the NATS event stream; retried on the next publish');
    });
    this.#open(this.#listeners.all());
    for (const wake of [...this.#waiters]) wake();
  }

  async #watch(connection: NatsConnection): Promise<void> {
    for await (const status of connection.status()) {
      if (status.type === 'disconnect') {
        this.#up = false;
        this.#listeners.lost();
        if (!this.#closed) this.#log.warn({}, 'NATS connection lost; events wait in the outbox until it is back');
      } else if (status.type === 'reconnect') {
        this.#log.info({}, 'NATS connection restored');
        this.#connectedNow();
      }
    }
  }

  async #ensureStream(): Promise<void> {
    const connection = this.#connection;
    if (!connection) throw new BusUnavailable('NATS is not connected');
    const manager = await jetstreamManager(connection);
    const config = {
      name: this.streamName,
      subjects: [`${this.#subjectPrefix}>`],
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: nanos(this.#options.streamMaxAgeMs ?? 24 * 3_600_000),
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    };
    try {
      await manager.streams.info(this.streamName);
    } catch {
      // Missing: create it. Another instance may do the same at once; then the second add fails
      // and the info below tells whether the stream is there after all.
      await manager.streams.add(config).catch(() => manager.streams.info(this.streamName));
    }
  }

  #open(entries: readonly TraderEntry[]): void {
    const connection = this.#connection;
    if (!connection || !this.#up || entries.length === 0) return;
    for (const entry of entries) {
      if (this.#subscriptions.has(entry)) continue;
      const subscription = connection.subscribe(this.#subjectPrefix + subjectToken(entry.traderId), {
        callback: (error, message) => {
          if (error) return;
          const payload = message.string();
          const seq = seqOfPayload(payload);
          if (seq === null) this.#log.warn({ subject: message.subject }, 'ignored a NATS message that is not a stream event');
          else if (this.#listeners.isCurrent(entry)) this.#listeners.deliver(entry.traderId, { traderId: entry.traderId, seq, payload });
        },
      });
      this.#subscriptions.set(entry, subscription);
    }
    connection.flush().then(
      () => this.#listeners.confirmed(entries),
      (error: unknown) => this.#log.debug({ err: String(error) }, 'NATS flush failed; subscriptions confirmed on reconnection'),
    );
  }

  #close(entry: TraderEntry): void {
    const subscription = this.#subscriptions.get(entry);
    this.#subscriptions.delete(entry);
    subscription?.unsubscribe();
  }
}
