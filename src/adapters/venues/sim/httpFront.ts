/**
 * The simulated exchange as its own process, behind HTTP and a WebSocket report stream, so a
 * test can kill -9 the gateway while the exchange keeps its books, journal and reports.
 * Routes: POST /orders (submit), POST /orders/:id/cancel, GET /orders/:id (lookup; 404 when
 * not held), GET /open-orders, GET /fills?after=&limit=, GET /journal, GET /health, and
 * /admin/* for tests (simulate fills, faults, stream breaks). Reports stream on /reports with
 * a sequence number; a client that reconnects with ?after=<seq> gets what it missed first.
 * The fault plan decides what happens to each submit (faults.ts): the answer dropped after the
 * exchange took the order (the socket is destroyed), a 5xx or a 429 before it, or no answer at
 * all (held until hangMs, taken or not). Run: `tsx src/adapters/venues/sim/httpFront.ts`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { D } from '../../../domain/money.ts';
import type { ExecutionReport } from '../../../ports/venue.ts';
import { FaultPlan, NO_FAULTS, parseFaultSettings, type SubmitFault } from './faults.ts';
import { DUPLICATE_CLIENT_ORDER_ID, SimulatedExchange } from './simulatedExchange.ts';
import { fillRecordToJson, reportToJson, requestFromJson, viewToJson } from './wire.ts';

export interface SimFrontOptions {
  readonly exchange: SimulatedExchange;
  readonly plan?: FaultPlan;
  readonly host?: string;
  readonly port?: number;
  /** How long an unanswered (timed-out) request is held before its socket is closed. */
  readonly hangMs?: number;
}

export interface NextFault { readonly fault: SubmitFault; readonly status?: number; readonly retryAfterS?: number }

export interface SimFront {
  readonly url: string;
  readonly exchange: SimulatedExchange;
  readonly plan: FaultPlan;
  /** The next submit gets this fault (also POST /admin/faults/next). */
  forceNext(fault: NextFault): void;
  /** Drops every report stream connection and refuses new ones for `ms` (also POST /admin/stream/break). */
  breakStream(ms: number): void;
  restoreStream(): void;
  heldRequests(): number;
  close(): Promise<void>;
}

type Handler = (body: Record<string, unknown>, params: string[], query: URLSearchParams, res: ServerResponse) => Promise<void>;

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
};

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 65_536) throw new Error('body too large');
  }
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

export async function startSimFront(options: SimFrontOptions): Promise<SimFront> {
  const { exchange } = options;
  const plan = options.plan ?? new FaultPlan(NO_FAULTS);
  const hangMs = options.hangMs ?? 60_000;
  const next: NextFault[] = [];
  const held = new Set<ServerResponse>();
  const log: Array<{ seq: number; report: Record<string, unknown> }> = [];
  const sockets = new Set<WebSocket>();
  let streamDownUntil = 0;
  const breakStream = (ms: number) => {
    streamDownUntil = Date.now() + ms;
    for (const socket of sockets) socket.terminate();
  };

  const broadcast = (report: ExecutionReport) => {
    const entry = { seq: log.length + 1, report: reportToJson(report) };
    log.push(entry);
    const frame = JSON.stringify({ type: 'report', ...entry });
    for (const socket of sockets) socket.send(frame);
  };
  exchange.onExecutionReport((report) => {
    const copies = report.kind === 'fill' ? plan.fillCopies() : 1;
    for (let copy = 0; copy < copies; copy += 1) {
      const delay = report.kind === 'fill' ? plan.fillDelayMs() : 0;
      if (delay === 0 && copy === 0) broadcast(report);
      else setTimeout(() => broadcast(report), delay).unref();
    }
  });

  const hold = (res: ServerResponse) => {
    held.add(res);
    const timer = setTimeout(() => {
      held.delete(res);
      res.socket?.destroy();
    }, hangMs);
    timer.unref();
    res.on('close', () => {
      held.delete(res);
      clearTimeout(timer);
    });
  };

  const routes: Array<[string, RegExp, Handler]> = [
    ['POST', /^\/orders$/, async (body, _p, _q, res) => {
      const request = requestFromJson(body);
      const forced = next.shift();
      const fault = forced?.fault ?? plan.nextSubmitFault();
      if (fault === 'error') return json(res, forced?.status ?? 503, { error: 'venue unavailable' });
      if (fault === 'throttle') {
        const seconds = forced?.retryAfterS ?? plan.settings.retryAfterMs / 1000;
        return json(res, 429, { error: 'too many requests' }, { 'retry-after': String(seconds) });
      }
      if (fault === 'timeout_lost') return hold(res);
      const outcome = await exchange.submit(request);
      if (fault === 'drop') return void res.socket?.destroy();
      if (fault === 'timeout_taken') return hold(res);
      if (outcome.outcome === 'accepted') return json(res, 200, { outcome: 'accepted', venue_order_id: outcome.venueOrderId });
      if (outcome.outcome === 'rejected' && outcome.reason === DUPLICATE_CLIENT_ORDER_ID) return json(res, 409, { outcome: 'rejected', reason: outcome.reason });
      return json(res, 422, outcome);
    }],
    ['POST', /^\/orders\/([^/]+)\/cancel$/, async (_b, [id], _q, res) => json(res, 200, await exchange.cancel(id!))],
    ['GET', /^\/orders\/([^/]+)$/, async (_b, [id], _q, res) => {
      if (plan.lookupFails()) return json(res, 503, { error: 'venue unavailable' });
      const view = await exchange.lookup(id!);
      return view ? json(res, 200, viewToJson(view)) : json(res, 404, { error: 'not held' });
    }],
    ['GET', /^\/open-orders$/, async (_b, _p, _q, res) => {
      if (plan.lookupFails()) return json(res, 503, { error: 'venue unavailable' });
      return json(res, 200, (await exchange.openOrders()).map(viewToJson));
    }],
    ['GET', /^\/fills$/, async (_b, _p, query, res) => {
      if (plan.lookupFails()) return json(res, 503, { error: 'venue unavailable' });
      const page = await exchange.fillsSince(query.get('after') || null, Number(query.get('limit') ?? 500));
      return json(res, 200, { fills: page.fills.map(fillRecordToJson), cursor: page.cursor });
    }],
    ['GET', /^\/journal$/, async (_b, _p, _q, res) => json(res, 200, exchange.journal())],
    ['GET', /^\/health$/, async (_b, _p, _q, res) => json(res, 200, { status: 'ok', reports: log.length })],
    ['POST', /^\/admin\/simulate-fills$/, async (body, _p, _q, res) => {
      const fills = (body.fills as Array<{ price: string; quantity: string }>).map((f) => ({ price: new D(f.price), quantity: new D(f.quantity) }));
      const result = await exchange.simulateFills(String(body.client_order_id), fills);
      return result.ok ? json(res, 200, { ok: true }) : json(res, 409, { ok: false, code: result.error.code, message: result.error.message });
    }],
    ['POST', /^\/admin\/faults$/, async (body, _p, _q, res) => {
      plan.settings = { ...plan.settings, ...(body as object) };
      return json(res, 200, plan.settings);
    }],
    ['POST', /^\/admin\/faults\/next$/, async (body, _p, _q, res) => {
      next.push({ fault: body.fault as SubmitFault, status: body.status as number, retryAfterS: body.retry_after_s as number });
      return json(res, 200, { queued: next.length });
    }],
    ['GET', /^\/admin\/held$/, async (_b, _p, _q, res) => json(res, 200, { held: held.size })],
    ['POST', /^\/admin\/stream\/(break|restore)$/, async (body, [action], _q, res) => {
      if (action === 'break') breakStream(Number(body.ms ?? 3_600_000));
      else streamDownUntil = 0;
      return json(res, 200, { down: action === 'break' });
    }],
  ];

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    const route = routes.find(([method, path]) => method === req.method && path.test(url.pathname));
    if (!route) return json(res, 404, { error: `no route ${req.method} ${url.pathname}` });
    const params = route[1].exec(url.pathname)!.slice(1).map(decodeURIComponent);
    readBody(req)
      .then((body) => route[2](body, params, url.searchParams, res))
      .catch((error: unknown) => {
        if (!res.headersSent && !res.destroyed) json(res, 400, { error: error instanceof Error ? error.message : String(error) });
      });
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    if (url.pathname !== '/reports' || Date.now() < streamDownUntil) return void socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      const after = url.searchParams.get('after');
      ws.send(JSON.stringify({ type: 'hello', seq: log.length }));
      if (after !== null && after !== 'now') {
        for (const entry of log.slice(Math.max(0, Number(after)))) ws.send(JSON.stringify({ type: 'report', ...entry }));
      }
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => sockets.delete(ws));
    });
  });

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    exchange,
    plan,
    forceNext: (fault) => void next.push(fault),
    breakStream,
    restoreStream: () => void (streamDownUntil = 0),
    heldRequests: () => held.size,
    async close() {
      for (const socket of sockets) socket.terminate();
      for (const res of held) res.socket?.destroy();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function main(): Promise<void> {
  const env = process.env;
  const exchange = new SimulatedExchange({
    name: 'sim', seed: Number(env.SIM_FRONT_SEED ?? 42), tickIntervalMs: Number(env.SIM_FRONT_TICK_MS ?? 0),
    halfSpreadTicks: Number(env.SIM_FRONT_HALF_SPREAD_TICKS ?? 0), journalCapacity: 10_000_000,
    ackLatencyMs: Number(env.SIM_FRONT_ACK_LATENCY_MS ?? 0), fillLatencyMs: Number(env.SIM_FRONT_FILL_LATENCY_MS ?? 0),
  });
  await exchange.start();
  const plan = new FaultPlan(env.SIM_FRONT_FAULTS ? parseFaultSettings(env.SIM_FRONT_FAULTS) : NO_FAULTS);
  const front = await startSimFront({ exchange, plan, port: Number(env.SIM_FRONT_PORT ?? 0), hangMs: Number(env.SIM_FRONT_HANG_MS ?? 60_000) });
  process.stdout.write(`sim front listening on ${front.url}\n`);
  const stop = () => void front.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void main();
