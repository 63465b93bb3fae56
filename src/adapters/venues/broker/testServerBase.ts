/**
 * What the in-repository broker test servers (Alpaca, Kite) share: an HTTP server on loopback
 * with a WebSocket stream beside it, faults injected per route (an answer dropped after the
 * broker acted, an error status, 429 with Retry-After, no answer at all), and a stream that
 * can be cut and refused for a while. Each broker's server supplies its routes, its answers,
 * its error formats and its stream protocol. Test support only.
 * Invariants: a fault applies to exactly one request of its route; a dropped answer is dropped
 * after the book changed and its updates went out, as when a connection dies on the way back.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export type HttpFault =
  | { readonly kind: 'drop_after_accept' }
  /** errorType: the broker's error class in the body, where it has one (Kite). */
  | { readonly kind: 'status'; readonly status: number; readonly errorType?: string }
  | { readonly kind: 'rate_limited'; readonly retryAfterSeconds: number }
  | { readonly kind: 'hang' };

export interface ServerAnswer<Update> {
  readonly status: number;
  readonly body: unknown;
  readonly updates: readonly Update[];
}

export abstract class BrokerTestServer<Route extends string, Update, Client> {
  protected readonly clients = new Map<WebSocket, Client>();
  readonly #http: Server;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #faults = new Map<Route, HttpFault[]>();
  readonly #held = new Set<ServerResponse>();
  readonly #requests = new Map<Route, number>();
  #inFlight = 0;
  #mostInFlight = 0;
  #refuseStreams = false;

  protected constructor(private readonly streamPath: string) {
    this.#http = createServer((req, res) => void this.#handle(req, res));
    this.#http.on('upgrade', (req, socket, head) => {
      const refusal = this.#refuseStreams ? '503 Service Unavailable' : this.upgradeRefusal(req);
      if (refusal) {
        socket.end(`HTTP/1.1 ${refusal}\r\nConnection: close\r\n\r\n`);
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => {
        this.clients.set(ws, this.accept(ws));
        ws.on('close', () => this.clients.delete(ws));
      });
    });
  }

  protected async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.#http.listen(0, '127.0.0.1', resolve));
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.#http.address() as AddressInfo).port}`;
  }

  get streamUrl(): string {
    return `ws://127.0.0.1:${(this.#http.address() as AddressInfo).port}${this.streamPath}`;
  }

  injectFault(route: Route, fault: HttpFault): void {
    this.#faults.set(route, [...(this.#faults.get(route) ?? []), fault]);
  }

  heldRequests(): number {
    return this.#held.size;
  }

  /** How many requests this route has had. */
  requestsTo(route: Route): number {
    return this.#requests.get(route) ?? 0;
  }

  /** The most requests of any route in flight at once since the last call; restarts the count. */
  takeMostInFlight(): number {
    const most = this.#mostInFlight;
    this.#mostInFlight = this.#inFlight;
    return most;
  }

  /** Cuts every stream connection; with `refuse`, new ones are turned away until allowStreams(). */
  dropStreams(refuse: boolean): void {
    this.#refuseStreams = refuse;
    for (const ws of this.clients.keys()) ws.terminate();
  }

  allowStreams(): void {
    this.#refuseStreams = false;
  }

  async close(): Promise<void> {
    for (const res of this.#held) res.destroy();
    for (const ws of this.clients.keys()) ws.terminate();
    this.#wss.close();
    this.#http.closeAllConnections();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  /** Why a stream upgrade is refused ("403 Forbidden"), or null to accept it. */
  protected abstract upgradeRefusal(req: IncomingMessage): string | null;
  /** A new stream connection; returns its state. */
  protected abstract accept(ws: WebSocket): Client;
  protected abstract routeOf(method: string, path: string): Route | null;
  /** Answers a status or rate-limit fault in the broker's own format. */
  protected abstract faultAnswer(res: ServerResponse, fault: HttpFault & { kind: 'status' | 'rate_limited' }): void;
  /** Null when the request's credentials are right; otherwise the broker's refusal. */
  protected abstract refusal(req: IncomingMessage): ServerAnswer<Update> | null;
  protected abstract answer(method: string, url: URL, body: string): ServerAnswer<Update>;
  protected abstract send(res: ServerResponse, answer: ServerAnswer<Update>): void;
  /** Sends updates to the stream's clients. */
  protected abstract push(updates: readonly Update[]): void;

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#mostInFlight = Math.max(this.#mostInFlight, ++this.#inFlight);
    res.once('close', () => this.#inFlight--);
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? 'GET';
    const route = this.routeOf(method, url.pathname);
    if (route) this.#requests.set(route, this.requestsTo(route) + 1);
    const fault = route ? this.#faults.get(route)?.shift() : undefined;
    if (fault?.kind === 'hang') {
      this.#held.add(res);
      res.on('close', () => this.#held.delete(res));
      return;
    }
    if (fault?.kind === 'status' || fault?.kind === 'rate_limited') return this.faultAnswer(res, fault);
    const refused = this.refusal(req);
    if (refused) return this.send(res, refused);
    const answer = this.answer(method, url, body);
    if (fault?.kind === 'drop_after_accept') {
      this.push(answer.updates);
      req.socket.destroy();
      return;
    }
    this.send(res, answer);
    this.push(answer.updates);
  }
}
