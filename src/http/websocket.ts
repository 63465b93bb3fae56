/**
 * GET /ws/orders/events?token=…&since=N (API.md "Real-time events"): the token's trader's
 * events only, replayed from `since` then live. A bad token closes with 4401 before any event.
 * The socket closes with 4401 when the token expires, so access ends with the token's life.
 * The server pings every heartbeat and drops a socket silent for two heartbeats. A client
 * that does not read fast enough is closed with 4008 rather than buffered without bound.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { WebSocket } from 'ws';
import type { StreamEvent } from '../ports/bus.ts';
import type { HttpDeps } from './deps.ts';
import { EventStream } from './eventStream.ts';

export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_BAD_REQUEST = 4400;
export const CLOSE_SLOW_CONSUMER = 4008;
const DRAIN_POLL_MS = 20;
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Tracked {
  readonly socket: WebSocket;
  lastPongMs: number;
}

export const websocketRoutes = (deps: HttpDeps) => fp(async (app: FastifyInstance) => {
  const sockets = new Set<Tracked>();
  const { heartbeatMs, maxBufferedBytes, slowConsumerMs } = deps.websocket;

  const heartbeat = setInterval(() => {
    const now = Date.now();
    for (const tracked of sockets) {
      if (now - tracked.lastPongMs > 2 * heartbeatMs) tracked.socket.terminate();
      else tracked.socket.ping();
    }
  }, heartbeatMs);
  heartbeat.unref();
  app.addHook('onClose', async () => {
    clearInterval(heartbeat);
    for (const tracked of sockets) tracked.socket.close(1001, 'server shutting down');
  });

  app.get('/ws/orders/events', { websocket: true, schema: { hide: true } }, (socket: WebSocket, request: FastifyRequest) => {
    const query = request.query as Record<string, string | undefined>;
    const tracked: Tracked = { socket, lastPongMs: Date.now() };
    socket.on('pong', () => (tracked.lastPongMs = Date.now()));
    // Messages from the client mean nothing here; reading them keeps the socket healthy.
    socket.on('message', () => {});

    const since = query['since'] === undefined ? 0 : Number(query['since']);
    if (!/^[0-9]{1,15}$/.test(query['since'] ?? '0')) {
      socket.close(CLOSE_BAD_REQUEST, 'since must be a whole number');
      return;
    }
    const token = query['token'] ?? request.headers.authorization;
    deps.auth.authenticate(token).then(
      (principal) => {
        if (socket.readyState !== socket.OPEN) return;
        sockets.add(tracked);
        const expiry = closeAtExpiry(socket, principal.expiresAtMs);
        const stream: EventStream = new EventStream(deps.ctx.store, deps.bus, principal.traderId, since,
          (event, written) => deliver(socket, event, written),
          (error) => {
            request.log.error({ err: String(error) }, 'event stream failed; closing the socket');
            socket.close(1011, 'event stream failed; reconnect with since');
          },
          (): Promise<boolean> => drained(socket, () => stream.position()));
        socket.on('close', () => {
          clearTimeout(expiry);
          sockets.delete(tracked);
          stream.close();
        });
        stream.start().catch(() => socket.close(1011, 'replay failed; reconnect with since'));
      },
      () => socket.close(CLOSE_UNAUTHORIZED, 'unauthorized: a valid token is required'),
    );
  });

  /**
   * A socket lives no longer than the token that opened it: at its `exp` the socket closes with
   * 4401, and the client reconnects with a fresh token and the last seq it has (nothing is lost).
   */
  function closeAtExpiry(socket: WebSocket, expiresAtMs: number): NodeJS.Timeout | undefined {
    const inMs = expiresAtMs - Date.now();
    // setTimeout cannot wait longer than about 24.8 days; a token good for longer is let be.
    if (inMs > MAX_TIMER_MS) return undefined;
    const timer = setTimeout(() => socket.close(CLOSE_UNAUTHORIZED, 'token expired: reconnect with a new token and since=<last seq>'), Math.max(0, inMs));
    timer.unref();
    return timer;
  }

  function deliver(socket: WebSocket, event: StreamEvent, written?: () => void): boolean {
    if (socket.readyState !== socket.OPEN) {
      written?.();
      return true;
    }
    if (socket.bufferedAmount > maxBufferedBytes) return false;
    socket.send(event.payload, written && (() => written()));
    const at = eventTime(event.payload);
    if (at !== null) deps.ctx.telemetry.orderStage('event_delivered', Math.max(0, Date.now() - at) / 1000);
    return true;
  }

  /**
   * Waits for a backed-up socket to take what it was sent (down to half the limit). One that
   * stays backed up for slowConsumerMs is closed with 4008, naming the seq to resume after.
   */
  async function drained(socket: WebSocket, position: () => number): Promise<boolean> {
    const deadline = Date.now() + slowConsumerMs;
    while (socket.readyState === socket.OPEN) {
      if (socket.bufferedAmount <= maxBufferedBytes / 2) return true;
      if (Date.now() > deadline) {
        socket.close(CLOSE_SLOW_CONSUMER, `slow consumer: reconnect with since=${position()}`);
        setTimeout(() => socket.terminate(), 5000).unref();
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    }
    return false;
  }
});

const TIMESTAMP = '"timestamp":"';

function eventTime(payload: string): number | null {
  const i = payload.lastIndexOf(TIMESTAMP);
  if (i < 0) return null;
  const ms = Date.parse(payload.slice(i + TIMESTAMP.length, i + TIMESTAMP.length + 24));
  return Number.isNaN(ms) ? null : ms;
}
