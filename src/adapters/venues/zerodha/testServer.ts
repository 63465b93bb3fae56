/**
 * A server in the repository that speaks Kite Connect v3 as documented, so the connector is
 * tested without a network: the order endpoints it uses (form-encoded place, cancel, the day's
 * order book, an order's history and trades) behind the "token api_key:access_token" header,
 * the WebSocket with its order updates as text frames, and the faults of a real network and
 * broker: an answer dropped after the order was placed, 5xx, 429 with Retry-After, no answer,
 * validation held back, a stream cut and refused for a while. Test support; loopback only.
 * Invariants: a fault applies to exactly one request of its route; a dropped answer is dropped
 * after the book changed and its updates went out, as when a connection dies on the way back.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { D } from '../../../domain/money.ts';
import { systemClock, type Clock } from '../../../ports/clock.ts';
import { stringifyKiteJson } from './kiteJson.ts';
import { tagFor } from './kiteWire.ts';
import { KiteBook, type KiteBookAnswer, type KiteBookOrder } from './testServerBook.ts';

export type HttpFault =
  | { readonly kind: 'drop_after_accept' }
  | { readonly kind: 'status'; readonly status: number; readonly errorType?: string }
  | { readonly kind: 'rate_limited'; readonly retryAfterSeconds: number }
  | { readonly kind: 'hang' };

export type Route = 'place' | 'cancel' | 'orders' | 'history' | 'trades' | 'tradebook';

export interface KiteTestServerOptions {
  readonly apiKey: string;
  readonly accessToken: string;
  readonly instruments?: readonly string[];
  readonly availableMargin?: string;
  readonly clock?: Clock;
}

export class KiteTestServer {
  readonly book: KiteBook;
  readonly #http: Server;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #clients = new Set<WebSocket>();
  readonly #faults = new Map<Route, HttpFault[]>();
  readonly #held = new Set<ServerResponse>();
  #refuseStreams = false;

  private constructor(private readonly options: KiteTestServerOptions) {
    this.book = new KiteBook(options.instruments ?? ['INFY', 'SBIN'], new D(options.availableMargin ?? '1000000'), options.clock ?? systemClock);
    this.#http = createServer((req, res) => void this.#handle(req, res));
    this.#http.on('upgrade', (req, socket, head) => {
      const query = new URL(req.url ?? '/', 'http://x').searchParams;
      const refusal = this.#refuseStreams ? '503 Service Unavailable'
        : query.get('api_key') !== options.apiKey || query.get('access_token') !== options.accessToken ? '403 Forbidden' : null;
      if (refusal) {
        socket.end(`HTTP/1.1 ${refusal}\r\nConnection: close\r\n\r\n`);
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => {
        this.#clients.add(ws);
        ws.on('close', () => this.#clients.delete(ws));
      });
    });
  }

  static async start(options: KiteTestServerOptions): Promise<KiteTestServer> {
    const server = new KiteTestServer(options);
    await new Promise<void>((resolve) => server.#http.listen(0, '127.0.0.1', resolve));
    return server;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.#http.address() as AddressInfo).port}`;
  }

  get streamUrl(): string {
    return `ws://127.0.0.1:${(this.#http.address() as AddressInfo).port}/`;
  }

  /** An execution of the order placed for this client order id, pushed to connected clients. */
  fill(clientOrderId: string, quantity: string, price: string): void {
    this.#push([this.book.fill(tagFor(clientOrderId), quantity, price)]);
  }

  /**
   * The postback Kite would POST now for the order placed under this client order id: the
   * order's JSON with the checksum of order_id + order_timestamp + api_secret. Nothing is sent.
   */
  postbackOf(clientOrderId: string, apiSecret: string): string {
    const order = this.book.byTag(tagFor(clientOrderId))[0];
    if (!order) throw new Error(`no order tagged for ${clientOrderId} at the test server`);
    const checksum = createHash('sha256').update(`${order.order_id}${order.order_timestamp}${apiSecret}`).digest('hex');
    const status = order.status === 'OPEN' && order.filled_quantity.gt(0) ? 'UPDATE' : order.status;
    return stringifyKiteJson({ user_id: 'AB1234', app_id: 1234, checksum, ...order, status, unfilled_quantity: order.pending_quantity, guid: 'test' });
  }

  ordersWithClientOrderId(clientOrderId: string): number {
    return this.book.byTag(tagFor(clientOrderId)).length;
  }

  releaseValidation(): void {
    this.#push(this.book.releaseValidation());
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
    for (const ws of this.#clients) ws.terminate();
  }

  allowStreams(): void {
    this.#refuseStreams = false;
  }

  connectedClients(): number {
    return this.#clients.size;
  }

  async close(): Promise<void> {
    for (const res of this.#held) res.destroy();
    for (const ws of this.#clients) ws.terminate();
    this.#wss.close();
    this.#http.closeAllConnections();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const form = new URLSearchParams(await readBody(req));
    const method = req.method ?? 'GET';
    const route = routeOf(method, url.pathname);
    const fault = route ? this.#faults.get(route)?.shift() : undefined;
    if (fault?.kind === 'hang') {
      this.#held.add(res);
      res.on('close', () => this.#held.delete(res));
      return;
    }
    if (fault?.kind === 'status' && fault.errorType === undefined && fault.status !== 500) {
      // A proxy in front of the API answers 502/503/504 with a page, not Kite's JSON envelope.
      res.writeHead(fault.status, { 'content-type': 'text/html' }).end(`<html><body>${fault.status}</body></html>`);
      return;
    }
    if (fault?.kind === 'status') {
      return send(res, { status: fault.status, body: { status: 'error', message: 'Something went wrong', data: null, error_type: fault.errorType ?? 'GeneralException' }, updates: [] });
    }
    if (fault?.kind === 'rate_limited') {
      res.setHeader('retry-after', String(fault.retryAfterSeconds));
      return send(res, { status: 429, body: { status: 'error', message: 'Too many requests', data: null, error_type: 'NetworkException' }, updates: [] });
    }
    if (req.headers['x-kite-version'] !== '3') {
      return send(res, { status: 400, body: { status: 'error', message: 'Missing or invalid X-Kite-Version header', data: null, error_type: 'InputException' }, updates: [] });
    }
    if (req.headers.authorization !== `token ${this.options.apiKey}:${this.options.accessToken}`) {
      return send(res, { status: 403, body: { status: 'error', message: 'Incorrect `api_key` or `access_token`.', data: null, error_type: 'TokenException' }, updates: [] });
    }
    const answer = this.#answer(method, url.pathname, form);
    if (fault?.kind === 'drop_after_accept') {
      this.#push(answer.updates);
      req.socket.destroy();
      return;
    }
    send(res, answer);
    this.#push(answer.updates);
  }

  #answer(method: string, path: string, form: URLSearchParams): KiteBookAnswer {
    const place = /^\/orders\/([a-z]+)$/.exec(path);
    if (method === 'POST' && place) return this.book.place(place[1]!, form);
    const cancel = /^\/orders\/([a-z]+)\/([0-9]+)$/.exec(path);
    if (method === 'DELETE' && cancel) return this.book.cancel(cancel[1]!, cancel[2]!);
    if (method === 'GET' && path === '/orders') return { status: 200, body: { status: 'success', data: this.book.orders }, updates: [] };
    if (method === 'GET' && path === '/trades') return { status: 200, body: { status: 'success', data: this.book.trades }, updates: [] };
    const trades = /^\/orders\/([0-9]+)\/trades$/.exec(path);
    if (method === 'GET' && trades) return this.book.tradesOf(trades[1]!);
    const history = /^\/orders\/([0-9]+)$/.exec(path);
    if (method === 'GET' && history) return this.book.history(history[1]!);
    return { status: 404, body: { status: 'error', message: 'Route not found', data: null, error_type: 'GeneralException' }, updates: [] };
  }

  #push(updates: readonly KiteBookOrder[]): void {
    for (const ws of this.#clients) {
      // A one-byte binary heartbeat, as Kite sends between messages: the connector must skip binary frames.
      ws.send(Buffer.from([0]), { binary: true });
      for (const order of updates) ws.send(stringifyKiteJson({ type: 'order', data: order }));
    }
  }
}

function routeOf(method: string, path: string): Route | null {
  if (method === 'POST' && /^\/orders\/[a-z]+$/.test(path)) return 'place';
  if (method === 'DELETE') return 'cancel';
  if (method === 'GET' && path === '/orders') return 'orders';
  if (method === 'GET' && path === '/trades') return 'tradebook';
  if (method === 'GET' && path.endsWith('/trades')) return 'trades';
  if (method === 'GET' && path.startsWith('/orders/')) return 'history';
  return null;
}

function send(res: ServerResponse, answer: KiteBookAnswer): void {
  res.statusCode = answer.status;
  res.setHeader('content-type', 'application/json');
  res.end(stringifyKiteJson(answer.body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
