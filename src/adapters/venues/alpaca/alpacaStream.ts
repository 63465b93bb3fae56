/**
 * Alpaca's trade_updates stream over a WebSocket, kept open: authenticate, listen, and after
 * any break reconnect with jittered exponential backoff.
 * Protocol (Alpaca "Streaming", alpacahq/alpaca-docs trading-api/streaming.md): send
 * {"action":"authenticate","data":{"key_id","secret_key"}}; the server answers on the
 * "authorization" stream with status "authorized" or "unauthorized"; then send
 * {"action":"listen","data":{"streams":["trade_updates"]}} and wait for the "listening"
 * acknowledgement naming trade_updates. Paper trading sends binary frames, live text frames:
 * both are read as UTF-8 JSON.
 * Alpaca does not replay what was sent while a client was away; `onListening` fires on every
 * (re)connection so the owner can fetch what it missed.
 * Invariants: timers run on the injected scheduler; a refused key stops the reconnects (a
 * fixed key will not start working); the key pair is sent in the authenticate message only.
 */
import WebSocket from 'ws';
import type { Logger } from '../../../ports/telemetry.ts';
import { scrub, type Secret } from '../credentials.ts';
import type { Schedule } from './alpacaHttp.ts';

export interface TradeUpdatesStreamOptions {
  readonly url: string;
  readonly keyId: Secret;
  readonly secretKey: Secret;
  readonly schedule: Schedule;
  readonly random: () => number;
  readonly log: Logger;
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  /** From the socket opening to the listening acknowledgement; past it the attempt is abandoned. */
  readonly handshakeTimeoutMs: number;
  /** A ping goes out this often; a socket that did not answer the previous one is cut. */
  readonly heartbeatMs: number;
  readonly onUpdate: (data: unknown) => void;
  readonly onListening: () => void;
  readonly onRefused: () => void;
}

export class TradeUpdatesStream {
  #socket: WebSocket | null = null;
  #attempt = 0;
  #stopped = false;
  #listening = false;
  readonly #timers = new Map<'handshake' | 'heartbeat' | 'reconnect', () => void>();

  constructor(private readonly options: TradeUpdatesStreamOptions) {}

  start(): void {
    this.#stopped = false;
    this.#connect();
  }

  listening(): boolean {
    return this.#listening;
  }

  close(): void {
    this.#stopped = true;
    this.#listening = false;
    this.#clearTimers();
    this.#socket?.terminate();
    this.#socket = null;
  }

  #connect(): void {
    const { url, log } = this.options;
    const socket = new WebSocket(url);
    this.#socket = socket;
    let alive = true;
    socket.on('open', () => {
      this.#send(socket, { action: 'authenticate', data: { key_id: this.options.keyId.reveal(), secret_key: this.options.secretKey.reveal() } });
      this.#later('handshake', () => {
        if (!this.#listening && this.#socket === socket) {
          log.warn({ stream: 'trade_updates' }, 'Alpaca stream did not start listening in time; reconnecting');
          socket.terminate();
        }
      }, this.options.handshakeTimeoutMs);
    });
    socket.on('pong', () => {
      alive = true;
    });
    socket.on('message', (data: WebSocket.RawData) => this.#onMessage(socket, data));
    socket.on('error', (error) => {
      log.warn({ stream: 'trade_updates', err: scrub(error.message, [this.options.keyId, this.options.secretKey]) }, 'Alpaca stream error');
    });
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      const wasListening = this.#listening;
      this.#listening = false;
      this.#clearTimers();
      if (this.#stopped) return;
      if (wasListening) log.warn({ stream: 'trade_updates' }, 'Alpaca stream disconnected; reconnecting');
      this.#scheduleReconnect();
    });
    const beat = () => {
      if (this.#socket !== socket) return;
      if (!alive) {
        log.warn({ stream: 'trade_updates' }, 'Alpaca stream missed a heartbeat; reconnecting');
        socket.terminate();
        return;
      }
      alive = false;
      if (socket.readyState === WebSocket.OPEN) socket.ping();
      this.#later('heartbeat', beat, this.options.heartbeatMs);
    };
    this.#later('heartbeat', beat, this.options.heartbeatMs);
  }

  #onMessage(socket: WebSocket, data: WebSocket.RawData): void {
    const { log } = this.options;
    let message: { stream?: unknown; data?: Record<string, unknown> };
    try {
      message = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8'));
    } catch {
      log.warn({ stream: 'trade_updates' }, 'Alpaca stream sent a frame that is not JSON; skipped');
      return;
    }
    const payload = message.data ?? {};
    switch (message.stream) {
      case 'authorization':
        if (payload.status === 'authorized') {
          this.#send(socket, { action: 'listen', data: { streams: ['trade_updates'] } });
        } else {
          log.error({ stream: 'trade_updates', action: String(payload.action) }, 'Alpaca refused the stream credentials; not reconnecting');
          this.#stopped = true;
          socket.terminate();
          this.options.onRefused();
        }
        return;
      case 'listening':
        if (Array.isArray(payload.streams) && payload.streams.includes('trade_updates')) {
          this.#listening = true;
          this.#attempt = 0;
          log.info({ stream: 'trade_updates' }, 'Alpaca stream listening');
          this.options.onListening();
        }
        return;
      case 'trade_updates':
        this.options.onUpdate(payload);
        return;
      default:
        return;
    }
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

  #send(socket: WebSocket, message: object): void {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  #later(name: 'handshake' | 'heartbeat' | 'reconnect', fn: () => void, delayMs: number): void {
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
