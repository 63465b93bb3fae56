/**
 * A server in the repository that speaks Alpaca's Trading API v2 as documented, so the
 * connector is tested without a network: the REST endpoints the connector uses, the
 * trade_updates WebSocket (authenticate, listen, binary frames as paper trading sends), orders
 * that fill when the test says so, and the faults of broker/testServerBase.ts. Test support
 * only; it listens on loopback.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';
import { systemClock, type Clock } from '../../../ports/clock.ts';
import { BrokerTestServer, type HttpFault, type ServerAnswer } from '../broker/testServerBase.ts';
import { AlpacaBook, type BookAnswer, type TradeUpdate } from './testServerBook.ts';

export type { HttpFault } from '../broker/testServerBase.ts';

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

const notFound: BookAnswer = { status: 404, body: { code: 40410000, message: 'order not found' }, updates: [] };

export class AlpacaTestServer extends BrokerTestServer<Route, TradeUpdate, StreamClient> {
  readonly book: AlpacaBook;

  private constructor(private readonly options: AlpacaTestServerOptions) {
    super('/stream');
    this.book = new AlpacaBook(options.symbols ?? ['AAPL', 'MSFT'], options.buyingPower ?? '1000000', options.clock ?? systemClock);
  }

  static async start(options: AlpacaTestServerOptions): Promise<AlpacaTestServer> {
    const server = new AlpacaTestServer(options);
    await server.listen();
    return server;
  }

  /** An execution at the market, reported on the stream to whoever listens now. */
  fill(clientOrderId: string, quantity: string, price: string): void {
    this.push([this.book.fill(clientOrderId, quantity, price)]);
  }

  ordersWithClientOrderId(clientOrderId: string): number {
    return this.book.orders.filter((order) => order.client_order_id === clientOrderId).length;
  }

  listeningClients(): number {
    return [...this.clients.values()].filter((client) => client.listening).length;
  }

  protected upgradeRefusal(req: IncomingMessage): string | null {
    return new URL(req.url ?? '/', 'http://x').pathname === '/stream' ? null : '404 Not Found';
  }

  protected routeOf(method: string, path: string): Route | null {
    if (method === 'POST' && path === '/v2/orders') return 'submit';
    if (method === 'DELETE' && path.startsWith('/v2/orders/')) return 'cancel';
    if (method === 'GET' && path === '/v2/orders') return 'list';
    if (method === 'GET' && path.startsWith('/v2/orders')) return 'lookup';
    if (method === 'GET' && path.startsWith('/v2/account/activities')) return 'activities';
    return null;
  }

  protected faultAnswer(res: ServerResponse, fault: HttpFault & { kind: 'status' | 'rate_limited' }): void {
    if (fault.kind === 'status') return this.send(res, { status: fault.status, body: { code: 50010000, message: 'internal server error' }, updates: [] });
    res.setHeader('retry-after', String(fault.retryAfterSeconds));
    this.send(res, { status: 429, body: { code: 42910000, message: 'rate limit exceeded' }, updates: [] });
  }

  protected refusal(req: IncomingMessage): BookAnswer | null {
    const right = req.headers['apca-api-key-id'] === this.options.keyId && req.headers['apca-api-secret-key'] === this.options.secretKey;
    return right ? null : { status: 401, body: { message: 'unauthorized' }, updates: [] };
  }

  protected answer(method: string, url: URL, text: string): BookAnswer {
    const path = url.pathname;
    if (method === 'POST' && path === '/v2/orders') return this.book.place(parseObject(text));
    if (method === 'GET' && path === '/v2/orders') return { status: 200, body: this.book.list(url.searchParams), updates: [] };
    if (method === 'GET' && path === '/v2/orders:by_client_order_id') {
      const order = this.book.byClientOrderId(url.searchParams.get('client_order_id') ?? '');
      return order ? { status: 200, body: order, updates: [] } : notFound;
    }
    const byId = /^\/v2\/orders\/([^/]+)$/.exec(path);
    if (byId && method === 'DELETE') return this.book.cancel(decodeURIComponent(byId[1]!));
    if (byId && method === 'GET') {
      const order = this.book.byId(decodeURIComponent(byId[1]!));
      return order ? { status: 200, body: order, updates: [] } : notFound;
    }
    if (method === 'GET' && path === '/v2/account/activities/FILL') return { status: 200, body: this.book.fillActivities(url.searchParams), updates: [] };
    return { status: 404, body: { message: 'Not Found' }, updates: [] };
  }

  protected send(res: ServerResponse, answer: ServerAnswer<TradeUpdate>): void {
    res.statusCode = answer.status;
    if (answer.body === null) {
      res.end();
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(answer.body));
  }

  protected push(updates: readonly TradeUpdate[]): void {
    for (const [ws, client] of this.clients) {
      if (client.listening) for (const update of updates) sendFrame(ws, { stream: 'trade_updates', data: update });
    }
  }

  protected accept(ws: WebSocket): StreamClient {
    const client: StreamClient = { authorized: false, listening: false };
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
    return client;
  }
}

/** Paper trading sends trade_updates in binary frames; the connector must read both kinds. */
function sendFrame(ws: WebSocket, message: object): void {
  ws.send(Buffer.from(JSON.stringify(message), 'utf8'), { binary: true });
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = text ? JSON.parse(text) : {};
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
