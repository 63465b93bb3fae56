/**
 * The dispatch signal over PostgreSQL's LISTEN/NOTIFY: an instance that commits an intent for
 * a venue whose session runs on another instance says so, and that instance's executor claims
 * it at once instead of at its next poll. One channel per schema (instances of two schemas on
 * one server never wake each other; a schema name too long for a channel is named by its
 * digest); the payload is the venue's name. One listening connection per store.
 * Best effort by design: a notification lost (the listening connection was down) costs the
 * poll interval, never the intent, which is in the table. The listening connection is opened
 * on the first onAnnounced and reopened after a break, every retryMs.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { DispatchSignal } from '../../../ports/execution.ts';

export interface PostgresSignalOptions {
  readonly connectionString: string;
  readonly schema?: string;
  readonly retryMs?: number;
}

type Listener = (venue: string) => void;

export class PostgresDispatchSignal implements DispatchSignal {
  readonly #options: PostgresSignalOptions;
  readonly #notify: (channel: string, venue: string) => Promise<unknown>;
  readonly #listeners = new Set<Listener>();
  #channel: Promise<string> | null = null;
  #client: pg.Client | null = null;
  #retry: NodeJS.Timeout | null = null;
  /** A listening connection being opened: one at a time. */
  #connecting = false;
  #closed = false;

  /** `query` runs one statement on the store's pool. */
  constructor(options: PostgresSignalOptions, query: (sql: string, parameters: unknown[]) => Promise<unknown>) {
    this.#options = options;
    this.#notify = (channel, venue) => query('SELECT pg_notify($1, $2)', [channel, venue]);
  }

  announce(venue: string): void {
    if (this.#closed) return;
    void this.#channelName().then((channel) => this.#notify(channel, venue)).catch(() => {
      // The instance serving the venue finds the intent at its next poll.
    });
  }

  onAnnounced(listener: Listener): () => void {
    const subscription: Listener = (venue) => listener(venue);
    this.#listeners.add(subscription);
    if (!this.#client && !this.#retry && !this.#connecting) void this.#listen();
    return () => void this.#listeners.delete(subscription);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = null;
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => {});
  }

  #connect(): pg.Client {
    return new pg.Client({
      connectionString: this.#options.connectionString,
      connectionTimeoutMillis: 5_000,
      application_name: 'ordergate-dispatch-signal',
      ...(this.#options.schema ? { options: `-c search_path=${this.#options.schema}` } : {}),
    });
  }

  /** `ordergate_dispatch.<schema>`: the schema the store's connections use, as the server names it. */
  #channelName(): Promise<string> {
    this.#channel ??= (async () => {
      const client = this.#connect();
      client.on('error', () => {});
      await client.connect();
      try {
        const { rows } = await client.query<{ schema: string }>('SELECT current_schema() AS schema');
        const schema = rows[0]!.schema;
        // A channel name is at most 63 bytes: a long schema name is named by its digest.
        const name = `ordergate_dispatch.${schema}`;
        return Buffer.byteLength(name) <= 63 ? name : `ordergate_dispatch.${createHash('sha256').update(schema).digest('hex').slice(0, 40)}`;
      } finally {
        await client.end().catch(() => {});
      }
    })().catch((error: unknown) => {
      this.#channel = null;
      throw error;
    });
    return this.#channel;
  }

  async #listen(): Promise<void> {
    if (this.#closed || this.#connecting) return;
    this.#connecting = true;
    try {
      await this.#open();
    } finally {
      this.#connecting = false;
    }
  }

  async #open(): Promise<void> {
    const client = this.#connect();
    const broken = () => {
      if (this.#client !== client) return;
      this.#client = null;
      void client.end().catch(() => {});
      this.#later();
    };
    client.on('error', broken);
    client.on('end', broken);
    client.on('notification', (message) => {
      if (message.payload === undefined) return;
      for (const listener of [...this.#listeners]) listener(message.payload);
    });
    try {
      const channel = await this.#channelName();
      await client.connect();
      // Quoted: the channel keeps its dot and case; pg_notify names it the same way.
      await client.query(`LISTEN "${channel.replaceAll('"', '""')}"`);
      if (this.#closed) {
        await client.end().catch(() => {});
        return;
      }
      this.#client = client;
    } catch {
      await client.end().catch(() => {});
      this.#later();
    }
  }

  #later(): void {
    if (this.#closed || this.#retry) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      void this.#listen();
    }, this.#options.retryMs ?? 1_000);
    this.#retry.unref();
  }
}
