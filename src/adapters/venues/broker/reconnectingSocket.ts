/**
 * A broker's report stream over a WebSocket, kept open: after any break it dials again with
 * jittered exponential backoff, and a socket that misses a heartbeat (a ping not answered by
 * the next one) is cut. The broker's own protocol (authentication, subscriptions, what a frame
 * means) stays with the connector, through the hooks; the connector says when the stream is
 * `live` (ready for reports) and when the broker refused it for good.
 * Brokers do not replay what they sent while a client was away: `onLive` fires on every
 * (re)connection, so the owner fetches what it missed.
 * Invariants: at most one socket at a time, and events of a replaced socket are ignored; timers
 * run on the injected scheduler; a refusal stops the dialling (a revoked key will not start
 * working by itself); the URL, which may carry a token, is never logged, and error texts are
 * scrubbed of the secrets.
 */
import WebSocket from 'ws';
import type { Logger } from '../../../ports/telemetry.ts';
import { scrub, type Secret } from '../credentials.ts';
import type { Schedule } from './brokerHttp.ts';

export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

export interface StreamHooks {
  /** The socket is open; `send` writes one JSON message on it. */
  onOpen(send: (message: object) => void): void;
  onFrame(data: Buffer, isBinary: boolean): void;
  /** The HTTP status that refused the upgrade; the connector calls refuse() when it is for good. */
  onHandshakeRefused(statusCode: number): void;
}

export interface ReconnectingSocketOptions {
  /** The stream's name in log lines. */
  readonly stream: string;
  readonly url: () => URL | string;
  readonly schedule: Schedule;
  readonly random: () => number;
  readonly log: Logger;
  readonly secrets: readonly Secret[];
  readonly backoff: Backoff;
  /** A ping goes out this often; a socket that did not answer the previous one is cut. */
  readonly heartbeatMs: number;
  /** From the socket opening to live(); past it the attempt is abandoned. Null: no bound. */
  readonly handshakeTimeoutMs: number | null;
  readonly onLive: () => void;
  readonly onRefused: () => void;
  readonly hooks: StreamHooks;
}

type TimerName = 'handshake' | 'heartbeat' | 'reconnect';

export class ReconnectingSocket {
  #socket: WebSocket | null = null;
  #attempt = 0;
  #stopped = true;
  #live = false;
  readonly #timers = new Map<TimerName, () => void>();

  constructor(private readonly options: ReconnectingSocketOptions) {}

  start(): void {
    this.#stopped = false;
    this.#connect();
  }

  isLive(): boolean {
    return this.#live;
  }

  /** The broker confirmed the stream (authorized and subscribed, or simply connected). */
  live(): void {
    if (this.#live || this.#socket === null) return;
    this.#live = true;
    this.#attempt = 0;
    this.#timers.get('handshake')?.();
    this.options.log.info({ stream: this.options.stream }, 'broker stream live');
    this.options.onLive();
  }

  /** The broker refused the credentials: stop, and do not dial again. `message` says what to do. */
  refuse(message: string): void {
    this.options.log.error({ stream: this.options.stream }, message);
    this.#stopped = true;
    this.#socket?.terminate();
    this.options.onRefused();
  }

  /** Cuts the current socket; the stream dials again after the backoff. */
  restart(reason: string): void {
    this.options.log.warn({ stream: this.options.stream, reason }, 'broker stream restarting');
    this.#socket?.terminate();
  }

  close(): void {
    this.#stopped = true;
    this.#live = false;
    this.#clearTimers();
    this.#socket?.terminate();
    this.#socket = null;
  }

  #connect(): void {
    const { log, stream } = this.options;
    const { hooks } = this.options;
    const socket = new WebSocket(this.options.url());
    this.#socket = socket;
    const current = () => this.#socket === socket;
    let alive = true;
    socket.on('unexpected-response', (_request, response) => {
      if (!current()) return;
      hooks.onHandshakeRefused(response.statusCode ?? 0);
      if (!this.#stopped) log.warn({ stream, status: response.statusCode }, 'broker stream handshake refused');
      socket.terminate();
    });
    socket.on('open', () => {
      if (!current()) return;
      hooks.onOpen((message) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
      });
      const bound = this.options.handshakeTimeoutMs;
      if (bound !== null && !this.#live) {
        this.#later('handshake', () => {
          if (!this.#live && current()) {
            log.warn({ stream }, 'broker stream did not become live in time; reconnecting');
            socket.terminate();
          }
        }, bound);
      }
    });
    socket.on('pong', () => {
      alive = true;
    });
    socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      if (!current()) return;
      hooks.onFrame(Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data), isBinary);
    });
    socket.on('error', (error) => {
      if (current()) log.warn({ stream, err: scrub(error.message, this.options.secrets) }, 'broker stream error');
    });
    socket.on('close', () => {
      if (!current()) return;
      this.#socket = null;
      const wasLive = this.#live;
      this.#live = false;
      this.#clearTimers();
      if (this.#stopped) return;
      if (wasLive) log.warn({ stream }, 'broker stream disconnected; reconnecting');
      this.#scheduleReconnect();
    });
    const beat = () => {
      if (!current()) return;
      if (!alive) {
        log.warn({ stream }, 'broker stream missed a heartbeat; reconnecting');
        socket.terminate();
        return;
      }
      alive = false;
      if (socket.readyState === WebSocket.OPEN) socket.ping();
      this.#later('heartbeat', beat, this.options.heartbeatMs);
    };
    this.#later('heartbeat', beat, this.options.heartbeatMs);
  }

  #scheduleReconnect(): void {
    const { initialMs, maxMs } = this.options.backoff;
    const ceiling = Math.min(maxMs, initialMs * 2 ** this.#attempt);
    this.#attempt += 1;
    // Jitter keeps many gateways from reconnecting in step after a venue-wide outage.
    const delay = Math.round(ceiling * (0.5 + this.options.random() / 2));
    this.#later('reconnect', () => {
      if (!this.#stopped) this.#connect();
    }, delay);
  }

  #later(name: TimerName, fn: () => void, delayMs: number): void {
    this.#timers.get(name)?.();
    this.#timers.set(name, this.options.schedule(() => {
      this.#timers.delete(name);
      fn();
    }, delayMs));
  }

  #clearTimers(): void {
    for (const cancel of this.#timers.values()) cancel();
    this.#timers.clear();
  }
}
