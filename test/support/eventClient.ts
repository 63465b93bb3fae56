/**
 * A trader's WebSocket client for black-box tests: connects to /ws/orders/events, records every
 * message, and lets a test await a condition on them (bounded, woken by each message, never a
 * fixed sleep). Optionally gives the test the TCP socket under it, to stop reading (a slow
 * consumer) and to start again.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import WebSocket from 'ws';

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

export class EventClient {
  readonly messages: any[] = [];
  readonly closed: Promise<Closed>;
  #closedWith: Closed | null = null;
  readonly #waiters = new Set<() => void>();

  private constructor(readonly socket: WebSocket, readonly tcp: () => Socket | null) {
    socket.on('message', (data) => {
      this.messages.push(JSON.parse(String(data)));
      this.#poke();
    });
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => {
      this.#closedWith = { code, reason: String(reason) };
      resolve(this.#closedWith);
      this.#poke();
    }));
  }

  static connect(baseUrl: string, token: string, since = 0): Promise<EventClient> {
    let tcp: Socket | null = null;
    const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws/orders/events?token=${token}&since=${since}`, {
      createConnection: (options: object) => (tcp = tcpConnect(options as { host: string; port: number })),
    });
    const client = new EventClient(socket, () => tcp);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
    });
  }

  seqs(): number[] {
    return this.messages.map((message) => message.seq as number);
  }

  /** Resolves when `check` holds; fails after `timeoutMs`, or at once if the socket closed first. */
  async until(check: (client: EventClient) => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    if (check(this)) return;
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        reject(new Error(`${what}: ${why} (got ${this.messages.length} messages, last seq ${this.seqs().at(-1) ?? 'none'})`));
      };
      const timer = setTimeout(() => fail(`not within ${timeoutMs} ms`), timeoutMs);
      const wake = () => {
        if (check(this)) {
          clearTimeout(timer);
          this.#waiters.delete(wake);
          resolve();
        } else if (this.#closedWith) {
          fail(`socket closed with ${this.#closedWith.code} ${this.#closedWith.reason}`);
        }
      };
      this.#waiters.add(wake);
    });
  }

  close(): void {
    this.socket.close();
  }

  #poke(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}
