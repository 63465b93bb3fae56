/**
 * Kite's order updates over its WebSocket, kept open with jittered exponential backoff.
 * Protocol (kite.trade/docs/connect/v3/websocket): connect to wss://ws.kite.trade with the
 * api_key and access_token as query parameters; market data arrives as binary frames (ignored
 * here: no instrument is subscribed), while postbacks and other messages arrive as text JSON
 * {"type": "order", "data": {…order…}} or {"type": "error", "data": "…"}. The order updates
 * are the same payload as HTTP postbacks, which need a public URL this gateway does not have.
 * Kite does not replay updates sent while a client was away; `onConnected` fires on every
 * (re)connection so the owner can fetch what it missed.
 * Invariants: timers run on the injected scheduler; a 403 at the handshake (the session is over)
 * stops the reconnects; the URL carrying the token is never logged.
 */
import WebSocket from 'ws';
import type { Logger } from '../../../ports/telemetry.ts';
import { scrub, type Secret } from '../credentials.ts';
import type { Schedule } from './kiteHttp.ts';
import { parseKiteJson } from './kiteJson.ts';

export interface OrderUpdateStreamOptions {
  readonly url: string;
  readonly apiKey: Secret;
  readonly accessToken: Secret;
  readonly schedule: Schedule;
  readonly random: () => number;
  readonly log: Logger;
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  /** A ping goes out this often; a socket that did not answer the previous one is cut. */
  readonly heartbeatMs: number;
  readonly onOrderUpdate: (order: unknown) => void;
  readonly onConnected: () => void;
  readonly onRefused: () => void;
}

type TimerName = 'heartbeat' | 'reconnect';

export class OrderUpdateStream {
  #socket: WebSocket | null = null;
  #attempt = 0;
  #stopped = false;
  #connected = false;
  readonly #timers = new Map<TimerName, () => void>();

  constructor(private readonly options: OrderUpdateStreamOptions) {}

  start(): void {
    this.#stopped = false;
    this.#connect();
  }

  connected(): boolean {
    return this.#connected;
  }

  close(): void {
    this.#stopped = true;
    this.#connected = false;
    for (const cancel of this.#timers.values()) cancel();
    this.#timers.clear();
    this.#socket?.terminate();
    this.#socket = null;
  }

  #connect(): void {
    const { log, apiKey, accessToken } = this.options;
    const url = new URL(this.options.url);
    url.searchParams.set('api_key', apiKey.reveal());
    url.searchParams.set('access_token', accessToken.reveal());
    const socket = new WebSocket(url);
    this.#socket = socket;
    let alive = true;
    socket.on('unexpected-response', (_request, response) => {
      if (response.statusCode === 403) {
        log.error({ stream: 'kite' }, 'Kite refused the stream session (403: log in again for a new access token); not reconnecting');
        this.#stopped = true;
        this.options.onRefused();
      } else {
        log.warn({ stream: 'kite', status: response.statusCode }, 'Kite stream handshake refused');
      }
      socket.terminate();
    });
    socket.on('open', () => {
      this.#connected = true;
      this.#attempt = 0;
      log.info({ stream: 'kite' }, 'Kite stream connected');
      this.options.onConnected();
    });
    socket.on('pong', () => {
      alive = true;
    });
    socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      if (!isBinary) this.#onText(String(data));
    });
    socket.on('error', (error) => {
      log.warn({ stream: 'kite', err: scrub(error.message, [apiKey, accessToken]) }, 'Kite stream error');
    });
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      const wasConnected = this.#connected;
      this.#connected = false;
      this.#timers.get('heartbeat')?.();
      if (this.#stopped) return;
      if (wasConnected) log.warn({ stream: 'kite' }, 'Kite stream disconnected; reconnecting');
      this.#scheduleReconnect();
    });
    const beat = () => {
      if (this.#socket !== socket) return;
      if (!alive) {
        log.warn({ stream: 'kite' }, 'Kite stream missed a heartbeat; reconnecting');
        socket.terminate();
        return;
      }
      alive = false;
      if (socket.readyState === WebSocket.OPEN) socket.ping();
      this.#later('heartbeat', beat, this.options.heartbeatMs);
    };
    this.#later('heartbeat', beat, this.options.heartbeatMs);
  }

  #onText(text: string): void {
    let message: { type?: unknown; data?: unknown };
    try {
      message = parseKiteJson(text) as { type?: unknown; data?: unknown };
    } catch {
      this.options.log.warn({ stream: 'kite' }, 'Kite stream sent text that is not JSON; skipped');
      return;
    }
    if (message.type === 'order') this.options.onOrderUpdate(message.data);
    else if (message.type === 'error') this.options.log.warn({ stream: 'kite', message: String(message.data) }, 'Kite stream reported an error');
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
}
