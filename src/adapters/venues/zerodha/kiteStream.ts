/**
 * Kite's order updates over its WebSocket: the protocol on top of the shared reconnecting socket.
 * Protocol (kite.trade/docs/connect/v3/websocket): connect to wss://ws.kite.trade with the
 * api_key and access_token as query parameters; the stream is live once connected. Market data
 * arrives as binary frames (ignored here: no instrument is subscribed); order updates arrive as
 * text JSON {"type": "order", "data": {…order…}} (the same payload as HTTP postbacks) and
 * problems as {"type": "error", "data": "…"}.
 * Invariants: a 403 at the handshake (the session is over until the user logs in again) stops
 * the reconnects; the URL carrying the token is never logged.
 */
import type { Logger } from '../../../ports/telemetry.ts';
import type { Schedule } from '../broker/brokerHttp.ts';
import { ReconnectingSocket, type Backoff } from '../broker/reconnectingSocket.ts';
import type { Secret } from '../credentials.ts';
import { parseKiteJson } from './kiteJson.ts';

export interface OrderUpdateStreamOptions {
  readonly url: string;
  readonly apiKey: Secret;
  readonly accessToken: Secret;
  readonly schedule: Schedule;
  readonly random: () => number;
  readonly log: Logger;
  readonly backoff: Backoff;
  readonly heartbeatMs: number;
  readonly onOrderUpdate: (order: unknown) => void;
  readonly onConnected: () => void;
  readonly onRefused: () => void;
}

export function orderUpdateStream(options: OrderUpdateStreamOptions): ReconnectingSocket {
  const { log, apiKey, accessToken } = options;
  const onText = (text: string) => {
    let message: { type?: unknown; data?: unknown };
    try {
      message = parseKiteJson(text) as { type?: unknown; data?: unknown };
    } catch {
      log.warn({ stream: 'kite' }, 'Kite stream sent text that is not JSON; skipped');
      return;
    }
    if (message.type === 'order') options.onOrderUpdate(message.data);
    else if (message.type === 'error') log.warn({ stream: 'kite', message: String(message.data) }, 'Kite stream reported an error');
  };
  const socket = new ReconnectingSocket({
    stream: 'kite', schedule: options.schedule, random: options.random, log, secrets: [apiKey, accessToken],
    backoff: options.backoff, heartbeatMs: options.heartbeatMs, handshakeTimeoutMs: null,
    url: () => {
      const url = new URL(options.url);
      url.searchParams.set('api_key', apiKey.reveal());
      url.searchParams.set('access_token', accessToken.reveal());
      return url;
    },
    onLive: options.onConnected, onRefused: options.onRefused,
    hooks: {
      onOpen: () => socket.live(),
      onFrame: (data, isBinary) => {
        if (!isBinary) onText(data.toString('utf8'));
      },
      onHandshakeRefused: (status) => {
        if (status === 403) socket.refuse('Kite refused the stream session (403: log in again for a new access token); not reconnecting');
      },
    },
  });
  return socket;
}
