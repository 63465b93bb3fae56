/**
 * A server in the repository that speaks Kite Connect v3 as documented, so the connector is
 * tested without a network: the order endpoints it uses (form-encoded place, cancel, the day's
 * order and trade books, an order's history and trades) behind the "token api_key:access_token"
 * header, the WebSocket with its order updates as text frames, the postbacks Kite would send,
 * validation held back on demand, and the faults of broker/testServerBase.ts. Test support;
 * loopback only.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { D } from '../../../domain/money.ts';
import { systemClock, type Clock } from '../../../ports/clock.ts';
import { BrokerTestServer, type HttpFault, type ServerAnswer } from '../broker/testServerBase.ts';
import { stringifyKiteJson } from './kiteJson.ts';
import { tagFor } from './kiteWire.ts';
import { KiteBook, type KiteBookAnswer, type KiteBookOrder } from './testServerBook.ts';

export type { HttpFault } from '../broker/testServerBase.ts';

export type Route = 'place' | 'cancel' | 'orders' | 'history' | 'trades' | 'tradebook';

export interface KiteTestServerOptions {
  readonly apiKey: string;
  readonly accessToken: string;
  readonly instruments?: readonly string[];
  readonly availableMargin?: string;
  readonly clock?: Clock;
}

const kiteError = (status: number, errorType: string, message: string): KiteBookAnswer => ({
  status, body: { status: 'error', message, data: null, error_type: errorType }, updates: [],
});

export class KiteTestServer extends BrokerTestServer<Route, KiteBookOrder, null> {
  readonly book: KiteBook;
  #accessToken: string;

  private constructor(private readonly options: KiteTestServerOptions) {
    super('/');
    this.#accessToken = options.accessToken;
    this.book = new KiteBook(options.instruments ?? ['INFY', 'SBIN'], new D(options.availableMargin ?? '1000000'), options.clock ?? systemClock);
  }

  static async start(options: KiteTestServerOptions): Promise<KiteTestServer> {
    const server = new KiteTestServer(options);
    await server.listen();
    return server;
  }

  /** An execution of the order placed for this client order id, pushed to connected clients. */
  fill(clientOrderId: string, quantity: string, price: string): void {
    this.push([this.book.fill(tagFor(clientOrderId), quantity, price)]);
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
    this.push(this.book.releaseValidation());
  }

  /** Kite's next session: from now on only this access token is taken (streams already open stay open). */
  rotateAccessToken(next: string): void {
    this.#accessToken = next;
  }

  connectedClients(): number {
    return this.clients.size;
  }

  protected upgradeRefusal(req: IncomingMessage): string | null {
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    return query.get('api_key') !== this.options.apiKey || query.get('access_token') !== this.#accessToken ? '403 Forbidden' : null;
  }

  protected accept(): null {
    return null;
  }

  protected routeOf(method: string, path: string): Route | null {
    if (method === 'POST' && /^\/orders\/[a-z]+$/.test(path)) return 'place';
    if (method === 'DELETE') return 'cancel';
    if (method === 'GET' && path === '/orders') return 'orders';
    if (method === 'GET' && path === '/trades') return 'tradebook';
    if (method === 'GET' && path.endsWith('/trades')) return 'trades';
    if (method === 'GET' && path.startsWith('/orders/')) return 'history';
    return null;
  }

  protected faultAnswer(res: ServerResponse, fault: HttpFault & { kind: 'status' | 'rate_limited' }): void {
    if (fault.kind === 'rate_limited') {
      res.setHeader('retry-after', String(fault.retryAfterSeconds));
      return this.send(res, kiteError(429, 'NetworkException', 'Too many requests'));
    }
    if (fault.errorType === undefined && fault.status !== 500) {
      // A proxy in front of the API answers 502/503/504 with a page, not Kite's JSON envelope.
      res.writeHead(fault.status, { 'content-type': 'text/html' }).end(`<html><body>${fault.status}</body></html>`);
      return;
    }
    this.send(res, kiteError(fault.status, fault.errorType ?? 'GeneralException', 'Something went wrong'));
  }

  protected refusal(req: IncomingMessage): KiteBookAnswer | null {
    if (req.headers['x-kite-version'] !== '3') return kiteError(400, 'InputException', 'Missing or invalid X-Kite-Version header');
    if (req.headers.authorization !== `token ${this.options.apiKey}:${this.#accessToken}`) {
      return kiteError(403, 'TokenException', 'Incorrect `api_key` or `access_token`.');
    }
    return null;
  }

  protected answer(method: string, url: URL, text: string): KiteBookAnswer {
    const path = url.pathname;
    const form = new URLSearchParams(text);
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
    return kiteError(404, 'GeneralException', 'Route not found');
  }

  protected send(res: ServerResponse, answer: ServerAnswer<KiteBookOrder>): void {
    res.statusCode = answer.status;
    res.setHeader('content-type', 'application/json');
    res.end(stringifyKiteJson(answer.body));
  }

  protected push(updates: readonly KiteBookOrder[]): void {
    for (const ws of this.clients.keys()) {
      // A one-byte binary heartbeat, as Kite sends between messages: the connector must skip binary frames.
      ws.send(Buffer.from([0]), { binary: true });
      for (const order of updates) ws.send(stringifyKiteJson({ type: 'order', data: order }));
    }
  }
}
