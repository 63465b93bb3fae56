/**
 * The TCP side of the FIX initiator: dials the acceptor, hands bytes and connection events to
 * the session, and dials again after every disconnect with a doubling backoff.
 * Invariants: at most one socket at a time, and events of a replaced socket are ignored; the
 * backoff starts over only after a Logon was answered, so an acceptor that accepts TCP but
 * refuses the Logon is not dialled in a tight loop; once stopped, it never dials again.
 */
import { Socket } from 'node:net';
import type { FixSession } from './fixSession.ts';
import type { Timers } from './timers.ts';

export interface ReconnectPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = { initialDelayMs: 250, maxDelayMs: 30_000 };

export interface InitiatorOptions {
  readonly host: string;
  readonly port: number;
  readonly reconnect?: ReconnectPolicy;
  /** How long stop() waits for the Logout answer before closing the socket anyway. */
  readonly closeTimeoutMs?: number;
}

export class FixInitiator {
  readonly #reconnect: ReconnectPolicy;
  #socket: Socket | null = null;
  #nextDelayMs: number;
  #cancelDial: () => void = () => {};
  #stopped = true;

  constructor(
    private readonly session: FixSession,
    private readonly timers: Timers,
    private readonly options: InitiatorOptions,
    private readonly onProblem: (text: string) => void,
  ) {
    this.#reconnect = options.reconnect ?? DEFAULT_RECONNECT;
    this.#nextDelayMs = this.#reconnect.initialDelayMs;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#dial();
  }

  /** The session logged on: the next disconnect is retried quickly again. */
  loggedOn(): void {
    this.#nextDelayMs = this.#reconnect.initialDelayMs;
  }

  /** Logs out if logged on, waits for the answer (bounded), and stops dialling. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancelDial();
    const socket = this.#socket;
    if (!socket) return;
    await new Promise<void>((resolve) => {
      const cancelTimeout = this.timers.schedule(() => socket.destroy(), this.options.closeTimeoutMs ?? 2_000);
      socket.once('close', () => {
        cancelTimeout();
        resolve();
      });
      if (this.session.isLoggedOn()) this.session.logout('closing');
      else socket.destroy();
    });
  }

  #dial(): void {
    const socket = new Socket();
    this.#socket = socket;
    socket.setNoDelay(true);
    const current = () => this.#socket === socket;
    socket.on('connect', () => {
      if (!current()) return;
      this.session.connected({
        write: (bytes) => {
          if (!socket.destroyed) socket.write(bytes);
        },
        // A dead peer never acknowledges the FIN: the socket is destroyed after a grace period anyway.
        close: () => {
          socket.end();
          this.timers.schedule(() => socket.destroy(), this.options.closeTimeoutMs ?? 2_000);
        },
      });
    });
    socket.on('data', (chunk: Buffer) => {
      if (current()) this.session.received(chunk);
    });
    socket.on('error', (error) => {
      if (current()) this.onProblem(`FIX connection to ${this.options.host}:${this.options.port}: ${error.message}`);
    });
    socket.on('close', () => {
      if (!current()) return;
      this.#socket = null;
      this.session.disconnected('the connection closed');
      this.#scheduleDial();
    });
    socket.connect(this.options.port, this.options.host);
  }

  #scheduleDial(): void {
    if (this.#stopped) return;
    const delay = this.#nextDelayMs;
    this.#nextDelayMs = Math.min(this.#reconnect.maxDelayMs, delay * 2);
    this.#cancelDial = this.timers.schedule(() => {
      if (!this.#stopped) this.#dial();
    }, delay);
  }
}
