/**
 * Alpaca's trade_updates stream: the protocol on top of the shared reconnecting socket.
 * Protocol (Alpaca "Streaming", alpacahq/alpaca-docs trading-api/streaming.md): send
 * {"action":"authenticate","data":{"key_id","secret_key"}}; the server answers on the
 * "authorization" stream with status "authorized" or "unauthorized"; then send
 * {"action":"listen","data":{"streams":["trade_updates"]}} and wait for the "listening"
 * acknowledgement naming trade_updates: the stream is live then. Paper trading sends binary
 * frames, live text frames: both are read as UTF-8 JSON.
 * Invariants: the key pair is sent in the authenticate message only; a refused key stops the
 * reconnects (a fixed key will not start working).
 */
import type { Logger } from '../../../ports/telemetry.ts';
import type { Schedule } from '../broker/brokerHttp.ts';
import { ReconnectingSocket, type Backoff } from '../broker/reconnectingSocket.ts';
import type { Secret } from '../credentials.ts';

export interface TradeUpdatesStreamOptions {
  readonly url: string;
  readonly keyId: Secret;
  readonly secretKey: Secret;
  readonly schedule: Schedule;
  readonly random: () => number;
  readonly log: Logger;
  readonly backoff: Backoff;
  /** From the socket opening to the listening acknowledgement; past it the attempt is abandoned. */
  readonly handshakeTimeoutMs: number;
  readonly heartbeatMs: number;
  readonly onUpdate: (data: unknown) => void;
  readonly onListening: () => void;
  readonly onRefused: () => void;
}

export function tradeUpdatesStream(options: TradeUpdatesStreamOptions): ReconnectingSocket {
  const { log, keyId, secretKey } = options;
  let send: (message: object) => void = () => {};
  const onMessage = (text: string) => {
    let message: { stream?: unknown; data?: Record<string, unknown> };
    try {
      message = JSON.parse(text);
    } catch {
      log.warn({ stream: 'trade_updates' }, 'Alpaca stream sent a frame that is not JSON; skipped');
      return;
    }
    const payload = message.data ?? {};
    if (message.stream === 'authorization') {
      if (payload.status === 'authorized') send({ action: 'listen', data: { streams: ['trade_updates'] } });
      else socket.refuse(`Alpaca refused the stream credentials (${String(payload.action)}); not reconnecting`);
    } else if (message.stream === 'listening') {
      if (Array.isArray(payload.streams) && payload.streams.includes('trade_updates')) socket.live();
    } else if (message.stream === 'trade_updates') {
      options.onUpdate(payload);
    }
  };
  const socket = new ReconnectingSocket({
    stream: 'alpaca trade_updates', url: () => options.url, schedule: options.schedule, random: options.random, log,
    secrets: [keyId, secretKey], backoff: options.backoff, heartbeatMs: options.heartbeatMs, handshakeTimeoutMs: options.handshakeTimeoutMs,
    onLive: options.onListening, onRefused: options.onRefused,
    hooks: {
      onOpen: (sendMessage) => {
        send = sendMessage;
        send({ action: 'authenticate', data: { key_id: keyId.reveal(), secret_key: secretKey.reveal() } });
      },
      onFrame: (data) => onMessage(data.toString('utf8')),
      onHandshakeRefused: () => {},
    },
  });
  return socket;
}
