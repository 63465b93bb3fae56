/**
 * A server in the repository that speaks Alpaca's Trading API v2 as documented, so the
 * connector is tested without a network: the REST endpoints the connector uses, the
 * trade_updates WebSocket (authenticate, listen, binary frames as paper trading sends), orders
 * that fill when the test says so, and faults a real network and venue produce: an answer
 * dropped after the order was accepted, 5xx, 429 with Retry-After, no answer at all, a stream
 * cut and refused for a while. Test support only; it listens on loopback.
 * Invariants: a fault applies to exactly one request of its route; a dropped answer is dropped
 * after the book changed and its events went out, as when a connection dies on the way back.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { systemClock, type Clock } from '../../../ports/clock.ts';
import { AlpacaBook, type BookAnswer, type TradeUpdate } from './testServerBook.ts';

export type HttpFault =
  | { readonly kind: 'drop_after_accept' }
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'rate_limited'; readonly retryAfterSeconds: number }
  | { readonly kind: 'hang' };

export type Route = 'submit' | 'lookup' | 'list' | 'cancel' | 'activities';

export interface AlpacaTestServerOptions {
  readonly keyId: string;
  readonly secretKey: string;
  readonly symbols?: readonly string[];
  readonly buyingPower?: string;
  readonly clock?: Clock;
}

interface StreamClient {
  authorized: boolean;
  listening: boolean;
}

export class AlpacaTestServer {
  readonly book: AlpacaBook;
  readonly #http: Server;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #clients = new Map<WebSocket, StreamClient>();
  readonly #faults = new Map<Route, HttpFault[]>();
  readonly #held = new Set<ServerResponse>();
  #refuseStreams = false;

  private constructor(private readonly options: AlpacaTestServerOptions) {
    this.book = new AlpacaBook(options.symbols ?? ['AAPL', 'MSFT'], options.buyingPower ?? '1000000', options.clock ?? systemClock);
    this.#http = createServer((req, res) => void this.#handle(req, res));
    this.#http.on('upgrade', (req, socket, head) => {
      if (new URL(req.url ?? '/', 'http://x').pathname !== '/stream' || this.#refuseStreams) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws));
    });
  }

  static async start(options: AlpacaTestServerOptions): Promise<AlpacaTestServer> {
    const server = new AlpacaTestServer(options);
    await new Promise<void>((resolve) => server.#http.listen(0, '127.0.0.1', resolve));
    return server;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.#http.address() as AddressInfo).port}`;
  }

  get streamUrl(): string {
    return `ws://127.0.0.1:${(this.#http.address() as AddressInfo).port}/stream`;
  }

  /** An execution at the market, reported on the stream to whoever listens now. */
  fill(clientOrderId: string, quantity: string, price: string): void {
    this.#broadcast([this.book.fill(clientOrderId, quantity, price)]);
  }

  ordersWithClientOrderId(clientOrderId: string): number {
    return this.book.orders.filter((order) => order.client_order_id === clientOrderId).length;
  }

  injectFault(route: Route, fault: HttpFault): void {
    this.#faults.set(route, [...(this.#faults.get(route) ?? []), fault]);
  }

  heldRequests(): number {
    return this.#held.size;
  }

  /** Cuts every stream connection; with `refuse`, new ones are turned away until allowStreams(). */
  dropStreams(refuse: boolean): void {
    this.#refuseStreams = refuse;
    for (const ws of this.#clients.keys()) ws.terminate();
  }

  allowStreams(): void {
    this.#refuseStreams = false;
  }

  listeningClients(): number {
    return [...this.#clients.values()].filter((client) => client.listening).length;
  }

  async close(): Promise<void> {
    for (const res of this.#held) res.destroy();
    for (const ws of this.#clients.keys()) ws.terminate();
    this.#wss.close();
    this.#http.closeAllConnections();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const body = await readJson(req);
    const route = routeOf(req.method ?? 'GET', url.pathname);
    const fault = route ? this.#faults.get(route)?.shift() : undefined;
    if (fault?.kind === 'hang') {
      this.#held.add(res);
      res.on('close', () => this.#held.delete(res));
      return;
    }
    if (fault?.kind === 'status') return send(res, { status: fault.status, body: { code: 50010000, message: 'internal server error' }, events: [] });
    if (fault?.kind === 'rate_limited') {
      res.setHeader('retry-after', String(fault.retryAfterSeconds));
      return send(res, { status: 429, body: { code: 42910000, message: 'rate limit exceeded' }, events: [] });
    }
    if (req.headers['apca-api-key-id'] !== this.options.keyId || req.headers['apca-api-secret-key'] !== this.options.secretKey) {
      return send(res, { status: 401, body: { message: 'unauthorized' }, events: [] });
    }
    const answer = this.#answer(req.method ?? 'GET', url, body);
    if (fault?.kind === 'drop_after_accept') {
      this.#broadcast(answer.events);
      req.socket.destroy();
      return;
    }
    send(res, answer);
    this.#broadcast(answer.events);
  }

  #answer(method: string, url: URL, body: unknown): BookAnswer {
    const path = url.pathname;
    if (method === 'POST' && path === '/v2/orders') return this.book.place((body ?? {}) as Record<string, unknown>);
    if (method === 'GET' && path === '/v2/orders') return { status: 200, body: this.book.list(url.searchParams), events: [] };
    if (method === 'GET' && path === '/v2/orders:by_client_order_id') {
      const order = this.book.byClientOrderId(url.searchParams.get('client_order_id') ?? '');
      return order ? { status: 200, body: order, events: [] } : { status: 404, body: { code: 40410000, message: 'order not found' }, events: [] };
    }
    const byId = /^\/v2\/orders\/([^/]+)$/.exec(path);
    if (byId && method === 'DELETE') return this.book.cancel(decodeURIComponent(byId[1]!));
    if (byId && method === 'GET') {
      const order = this.book.byId(decodeURIComponent(byId[1]!));
      return order ? { status: 200, body: order, events: [] } : { status: 404, body: { code: 40410000, message: 'order not found' }, events: [] };
    }
    if (method === 'GET' && path === '/v2/account/activities/FILL') return { status: 200, body: this.book.fillActivities(url.searchParams), events: [] };
    return { status: 404, body: { message: 'Not Found' }, events: [] };
  }

  #accept(ws: WebSocket): void {
    const client: StreamClient = { authorized: false, listening: false };
    this.#clients.set(ws, client);
    ws.on('close', () => this.#clients.delete(ws));
    ws.on('message', (data) => {
      let message: { action?: string; data?: Record<string, unknown> };
      try {
        message = JSON.parse(String(data));
      } catch {
        return;
      }
      if (message.action === 'authenticate') {
        client.authorized = message.data?.key_id === this.options.keyId && message.data?.secret_key === this.options.secretKey;
        sendFrame(ws, { stream: 'authorization', data: { status: client.authorized ? 'authorized' : 'unauthorized', action: 'authenticate' } });
        if (!client.authorized) ws.close();
      } else if (message.action === 'listen') {
        if (!client.authorized) {
          sendFrame(ws, { stream: 'authorization', data: { status: 'unauthorized', action: 'listen' } });
          return;
        }
        const streams = Array.isArray(message.data?.streams) ? (message.data.streams as unknown[]).filter((s) => s === 'trade_updates') : [];
        client.listening = streams.length > 0;
        sendFrame(ws, { stream: 'listening', data: { streams } });
      }
    });
  }

  #broadcast(events: readonly TradeUpdate[]): void {
    for (const [ws, client] of this.#clients) {
      if (client.listening) for (const event of events) sendFrame(ws, { stream: 'trade_updates', data: event });
    }
  }
}

function routeOf(method: string, path: string): Route | null {
  if (method === 'POST' && path === '/v2/orders') return 'submit';
  if (method === 'DELETE' && path.startsWith('/v2/orders/')) return 'cancel';
  if (method === 'GET' && path === '/v2/orders') return 'list';
  if (method === 'GET' && path.startsWith('/v2/orders')) return 'lookup';
  if (method === 'GET' && path.startsWith('/v2/account/activities')) return 'activities';
  return null;
}

/** Paper trading sends trade_updates in binary frames; the connector must read both kinds. */
function sendFrame(ws: WebSocket, message: object): void {
  ws.send(Buffer.from(JSON.stringify(message), 'utf8'), { binary: true });
}

function send(res: ServerResponse, answer: BookAnswer): void {
  res.statusCode = answer.status;
  if (answer.body === null) {
    res.end();
    return;
  }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(answer.body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return null;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return null;
  }
}
