/**
 * Carries the trader's events to the page: the WebSocket `/ws/orders/events?since=` when it
 * connects, otherwise long polls of `GET /api/v1/events?since=&wait_ms=` (API.md). Every
 * (re)connection asks for what follows the last seq the page applied, so a dropped socket, a
 * gap or a switch of transport loses nothing; the page's reducer drops what it already has.
 *
 * - A socket that closes is reopened at once the first time, then after a growing, jittered
 *   delay (at most 10 s), until one stays up.
 * - A socket that cannot open (refused, blocked by a proxy, not open within 5 s) makes the
 *   feed long-poll; it tries the socket again about every 30 s. When sockets have worked on
 *   this page before, a failed open may only mean the network was down for a moment: once a
 *   poll gets through, the feed tries the socket once more at once, and settles on polling
 *   only if that open fails too while the gateway answers.
 * - A socket can also die silently (a sleeping laptop, a NAT that forgot it): every 15 s, and
 *   when the browser says it is back online or the tab is shown again, the feed asks over HTTP
 *   whether there is an event past the last one applied; one that the socket has still not
 *   brought 3 s later, or no answer at all, makes it replace the socket.
 * - Close code 4401 or an HTTP 401 means the token is no longer good: the feed stops.
 */
import type { EventPage, StreamEvent } from '../api/types.ts';

export type Transport = 'websocket' | 'long-poll';

export type FeedState =
  | { readonly kind: 'connecting' }
  | { readonly kind: 'live'; readonly transport: Transport }
  | { readonly kind: 'reconnecting'; readonly why: string; readonly retryAt: number }
  | { readonly kind: 'unauthorized' }
  | { readonly kind: 'stopped' };

export interface EventsQuery {
  readonly waitMs: number;
  readonly limit: number;
  readonly signal: AbortSignal;
}

export interface FeedOptions {
  /** The page's origin, e.g. "http://127.0.0.1:8080". */
  readonly origin: string;
  readonly token: string;
  /** The seq of the last event the page applied. */
  readonly lastSeq: () => number;
  /** Applies events in order; answers false when they start past a gap. */
  readonly deliver: (events: StreamEvent[]) => boolean;
  readonly onState: (state: FeedState) => void;
  /** GET /api/v1/events; rejects with `{ status: 401 }` when the token is refused. */
  readonly fetchEvents: (since: number, query: EventsQuery) => Promise<EventPage>;
}

const OPEN_TIMEOUT_MS = 5_000;
const POLL_WAIT_MS = 25_000;
const TRY_WEBSOCKET_AGAIN_MS = 30_000;
const STABLE_MS = 10_000;
const MAX_RETRY_MS = 10_000;
const STALL_CHECK_MS = 15_000;
const STALL_GRACE_MS = 3_000;
const CLOSE_UNAUTHORIZED = 4401;

export class EventFeed {
  private socket: WebSocket | null = null;
  private poll: AbortController | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly stallTimer: ReturnType<typeof setInterval>;
  private failures = 0;
  private stopped = false;
  /** A socket has opened on this page, so the path to the gateway carries WebSockets. */
  private socketsWork = false;
  /** The socket was tried again right after a poll got through, and has not opened since. */
  private socketRetriedAfterPoll = false;
  private readonly wake = () => {
    if (document.visibilityState === 'visible') void this.checkForStall();
  };

  constructor(private readonly options: FeedOptions) {
    this.stallTimer = setInterval(() => void this.checkForStall(), STALL_CHECK_MS);
    window.addEventListener('online', this.wake);
    document.addEventListener('visibilitychange', this.wake);
  }

  start(): void {
    this.openSocket();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.stallTimer);
    window.removeEventListener('online', this.wake);
    document.removeEventListener('visibilitychange', this.wake);
    if (this.timer) clearTimeout(this.timer);
    this.poll?.abort();
    this.abandonSocket('page closed');
    this.options.onState({ kind: 'stopped' });
  }

  private openSocket(): void {
    if (this.stopped) return;
    const { origin, token, lastSeq } = this.options;
    const url = `${origin.replace(/^http/, 'ws')}/ws/orders/events?token=${encodeURIComponent(token)}&since=${lastSeq()}`;
    let openedAt: number | null = null;
    let socket: WebSocket;
    try {
      socket = new WebSocket(url);
    } catch {
      void this.longPoll();
      return;
    }
    this.socket = socket;
    const openTimer = setTimeout(() => openedAt === null && socket.close(), OPEN_TIMEOUT_MS);
    socket.onopen = () => {
      openedAt = Date.now();
      clearTimeout(openTimer);
      this.socketsWork = true;
      this.socketRetriedAfterPoll = false;
      this.options.onState({ kind: 'live', transport: 'websocket' });
    };
    socket.onmessage = (message) => {
      let event: StreamEvent;
      try {
        event = JSON.parse(String(message.data)) as StreamEvent;
      } catch {
        return;
      }
      if (this.options.deliver([event])) {
        this.failures = 0;
      } else {
        this.abandonSocket('gap');
        this.retry('a gap in the stream', () => this.openSocket());
      }
    };
    socket.onclose = (closed) => {
      clearTimeout(openTimer);
      if (this.socket !== socket || this.stopped) return;
      this.socket = null;
      if (closed.code === CLOSE_UNAUTHORIZED) return this.unauthorized();
      if (openedAt === null) return void this.longPoll();
      if (Date.now() - openedAt > STABLE_MS) this.failures = 0;
      this.retry(`the live connection closed (${closed.code}${closed.reason ? `: ${closed.reason}` : ''})`, () => this.openSocket());
    };
  }

  /** Lets go of the current socket at once, without waiting for a close that a dead connection never sends. */
  private abandonSocket(why: string): void {
    const socket = this.socket;
    this.socket = null;
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onclose = null;
    socket.close(1000, why);
  }

  private async checkForStall(): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN || this.stopped) return;
    const since = this.options.lastSeq();
    let newest: number | null;
    try {
      const page = await this.options.fetchEvents(since, { waitMs: 0, limit: 1, signal: AbortSignal.timeout(OPEN_TIMEOUT_MS) });
      newest = page.events.length > 0 ? since + 1 : null;
    } catch (error) {
      if ((error as { status?: number }).status === 401) return;
      newest = since + 1;
    }
    if (newest === null) return;
    await new Promise((resolve) => setTimeout(resolve, STALL_GRACE_MS));
    if (this.socket !== socket || this.options.lastSeq() >= newest) return;
    this.abandonSocket('stalled');
    this.retry('the live connection stalled', () => this.openSocket());
  }

  private async longPoll(): Promise<void> {
    const startedAt = Date.now();
    // The first read does not wait: it shows at once whether the gateway answers, and catches up.
    let waitMs = 0;
    while (!this.stopped && Date.now() - startedAt < TRY_WEBSOCKET_AGAIN_MS) {
      const poll = new AbortController();
      this.poll = poll;
      let page: EventPage;
      try {
        page = await this.options.fetchEvents(this.options.lastSeq(), { waitMs, limit: 500, signal: poll.signal });
      } catch (error) {
        if (this.stopped) return;
        if ((error as { status?: number }).status === 401) return this.unauthorized();
        return this.retry('the gateway cannot be reached', () => this.openSocket());
      } finally {
        this.poll = null;
      }
      if (this.stopped) return;
      waitMs = POLL_WAIT_MS;
      this.failures = 0;
      this.options.onState({ kind: 'live', transport: 'long-poll' });
      // A gap cannot come from one store read; if it did, the next poll reads from lastSeq again.
      if (page.events.length > 0) this.options.deliver(page.events);
      if (this.socketsWork && !this.socketRetriedAfterPoll) {
        this.socketRetriedAfterPoll = true;
        break;
      }
    }
    if (!this.stopped) this.openSocket();
  }

  private retry(why: string, again: () => void): void {
    const delay = this.failures === 0 ? 0 : Math.min(MAX_RETRY_MS, 250 * 2 ** this.failures) * (1 + Math.random() * 0.2);
    this.failures += 1;
    this.options.onState({ kind: 'reconnecting', why, retryAt: Date.now() + delay });
    this.timer = setTimeout(() => {
      this.timer = null;
      again();
    }, delay);
  }

  private unauthorized(): void {
    this.stopped = true;
    this.abandonSocket('unauthorized');
    this.options.onState({ kind: 'unauthorized' });
  }
}
