/**
 * Alpaca (Trading API v2) behind the Venue port.
 * submit: POST /v2/orders with the gateway's order id as client_order_id, which Alpaca keeps
 * unique per account, so a resend after a lost answer can never make a second order.
 * lookup: GET /v2/orders:by_client_order_id, plus the FILL account activities of the order for
 * its executions. cancel: DELETE /v2/orders/{id}. Reports: the trade_updates stream; after a
 * reconnect every order that may still change is looked up and what was missed is reported.
 * Invariants: a submit is sent once per call and never retried here (the dispatcher decides,
 * after a lookup); an outcome the connector cannot know is `unknown`; lookup returns null only
 * on Alpaca's own 404 and throws when it cannot tell; each report reaches listeners once.
 */
import { ZERO, type Dec } from '../../../domain/money.ts';
import { systemClock, type Clock } from '../../../ports/clock.ts';
import { silentLogger, type Logger } from '../../../ports/telemetry.ts';
import type {
  CancelOutcome, ExecutionReport, ExecutionReportListener, SubmitOutcome, Venue, VenueOrderRequest, VenueOrderView,
} from '../../../ports/venue.ts';
import type { AlpacaConnection } from './alpacaConfig.ts';
import { AlpacaHttp, alpacaMessage, cancelOutcomeOf, inDoubt, submitOutcomeOf, throttled, type HttpAnswer, type Schedule } from './alpacaHttp.ts';
import { TradeUpdatesStream } from './alpacaStream.ts';
import {
  AlpacaWireError, decimalOf, fillActivitiesOf, orderBody, orderOf, reportOf, viewOf, type AlpacaFillActivity, type AlpacaOrder,
} from './alpacaWire.ts';
import { ReportLedger } from '../reportLedger.ts';

export interface AlpacaVenueOptions {
  readonly connection: AlpacaConnection;
  readonly name?: string;
  readonly clock?: Clock;
  readonly schedule?: Schedule;
  readonly random?: () => number;
  readonly log?: Logger;
  readonly requestTimeoutMs?: number;
  readonly reconnect?: { readonly initialMs: number; readonly maxMs: number };
  readonly handshakeTimeoutMs?: number;
  readonly heartbeatMs?: number;
  /** How long start() waits for the stream before it returns with healthy() false. */
  readonly startTimeoutMs?: number;
  /** After a failed catch-up, when to try again. */
  readonly catchUpRetryMs?: number;
}

/** Alpaca could not be asked, or did not answer clearly: the caller cannot tell whether the order is there. */
export class AlpacaUnavailable extends Error {
  override readonly name = 'AlpacaUnavailable';
}

export const realTimeSchedule: Schedule = (fn, delayMs) => {
  const handle = setTimeout(fn, delayMs);
  return () => clearTimeout(handle);
};

const ACTIVITY_PAGE = 100;

function isOrderNotFound(body: unknown): boolean {
  const { code, message } = (body ?? {}) as { code?: unknown; message?: unknown };
  return code === 40410000 || (typeof message === 'string' && /order not found/i.test(message));
}

export class AlpacaVenue implements Venue {
  readonly name: string;
  readonly #http: AlpacaHttp;
  readonly #stream: TradeUpdatesStream;
  readonly #ledger = new ReportLedger();
  readonly #listeners = new Set<ExecutionReportListener>();
  readonly #restoredListeners = new Set<() => void>();
  #listenedBefore = false;
  readonly #clock: Clock;
  readonly #schedule: Schedule;
  readonly #log: Logger;
  readonly #options: AlpacaVenueOptions;
  /** Live reports held back while a catch-up runs, so one order's reports keep venue order. */
  #held: ExecutionReport[] | null = null;
  #catchUpAgain = false;
  #refused = false;
  #closed = false;
  #startWaiters: (() => void)[] = [];

  constructor(options: AlpacaVenueOptions) {
    const { connection } = options;
    this.#options = options;
    this.name = options.name ?? 'alpaca';
    this.#clock = options.clock ?? systemClock;
    this.#schedule = options.schedule ?? realTimeSchedule;
    this.#log = options.log ?? silentLogger;
    this.#http = new AlpacaHttp({
      baseUrl: connection.baseUrl, keyId: connection.keyId, secretKey: connection.secretKey,
      schedule: this.#schedule, clock: this.#clock, timeoutMs: options.requestTimeoutMs ?? 10_000,
    });
    this.#stream = new TradeUpdatesStream({
      url: connection.streamUrl, keyId: connection.keyId, secretKey: connection.secretKey,
      schedule: this.#schedule, random: options.random ?? Math.random, log: this.#log,
      backoff: options.reconnect ?? { initialMs: 500, maxMs: 30_000 },
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
      heartbeatMs: options.heartbeatMs ?? 20_000,
      onUpdate: (data) => this.#onUpdate(data),
      onListening: () => this.#onListening(),
      onRefused: () => {
        this.#refused = true;
        this.#releaseStart();
      },
    });
  }

  /** Resolves once the stream listens, Alpaca refuses the key, or startTimeoutMs passes (then healthy() is false). */
  async start(): Promise<void> {
    this.#closed = false;
    const started = new Promise<void>((resolve) => this.#startWaiters.push(resolve));
    const cancel = this.#schedule(() => this.#releaseStart(), this.#options.startTimeoutMs ?? 10_000);
    this.#stream.start();
    await started;
    cancel();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#stream.close();
    this.#releaseStart();
  }

  healthy(): boolean {
    return !this.#closed && !this.#refused && this.#stream.listening();
  }

  onExecutionReport(listener: ExecutionReportListener): () => void {
    const subscription: ExecutionReportListener = (report) => listener(report);
    this.#listeners.add(subscription);
    return () => {
      this.#listeners.delete(subscription);
    };
  }

  /** The stream is back after a break; this connector has already started fetching what it missed. */
  onStreamRestored(listener: () => void): () => void {
    this.#restoredListeners.add(listener);
    return () => {
      this.#restoredListeners.delete(listener);
    };
  }

  async submit(request: VenueOrderRequest): Promise<SubmitOutcome> {
    const body = orderBody(request);
    if (!body.ok) return { outcome: 'rejected', reason: body.reason };
    // Tracked before sending: if the answer is lost, a reconnect still fetches the order.
    this.#ledger.track(request.clientOrderId);
    const outcome = submitOutcomeOf(await this.#http.request('POST', '/v2/orders', body.body));
    if (outcome.outcome === 'accepted') this.#ledger.track(request.clientOrderId, outcome.venueOrderId);
    if (outcome.outcome === 'unknown') this.#log.warn({ venue: this.name, orderId: request.clientOrderId, reason: outcome.reason }, 'Alpaca submit outcome unknown');
    if (outcome.outcome === 'rejected') this.#log.info({ venue: this.name, orderId: request.clientOrderId, reason: outcome.reason }, 'Alpaca rejected the order');
    return outcome;
  }

  async cancel(clientOrderId: string): Promise<CancelOutcome> {
    let venueOrderId = this.#ledger.venueOrderIdOf(clientOrderId);
    if (venueOrderId === null) {
      let order: AlpacaOrder | null;
      try {
        order = await this.#order(clientOrderId);
      } catch (error) {
        return { outcome: 'unknown', reason: `could not find the order at Alpaca: ${(error as Error).message}` };
      }
      if (order === null) return { outcome: 'rejected', reason: 'Alpaca holds no order with this client order id' };
      venueOrderId = order.id;
    }
    return cancelOutcomeOf(await this.#http.request('DELETE', `/v2/orders/${encodeURIComponent(venueOrderId)}`));
  }

  /** Null only on Alpaca's own 404 "order not found"; throws AlpacaUnavailable when it cannot tell. */
  async lookup(clientOrderId: string): Promise<VenueOrderView | null> {
    const order = await this.#order(clientOrderId);
    if (order === null) return null;
    const filled = decimalOf(order.filled_qty, 'order.filled_qty');
    const view = viewOf(order, filled.isZero() ? [] : await this.#fillsOf(order, filled));
    if (view.status === 'working') this.#ledger.track(clientOrderId, view.venueOrderId);
    return view;
  }

  async #order(clientOrderId: string): Promise<AlpacaOrder | null> {
    const answer = await this.#http.request('GET', `/v2/orders:by_client_order_id?client_order_id=${encodeURIComponent(clientOrderId)}`);
    // Only Alpaca's own "order not found" proves absence; a 404 from a proxy or a wrong base URL does not.
    if (answer.answered && answer.status === 404 && isOrderNotFound(answer.body)) return null;
    return orderOf(this.#okBody(answer, 'order lookup'));
  }

  /** The order's executions from the FILL activities, oldest first, paged until they add up to filled_qty. */
  async #fillsOf(order: AlpacaOrder, filled: Dec): Promise<AlpacaFillActivity[]> {
    // Activities list the whole account: start just before the order existed.
    const after = new Date(new Date(order.created_at).getTime() - 1000).toISOString();
    const fills: AlpacaFillActivity[] = [];
    let pageToken: string | null = null;
    for (;;) {
      const query = new URLSearchParams({ after, direction: 'asc', page_size: String(ACTIVITY_PAGE) });
      if (pageToken !== null) query.set('page_token', pageToken);
      const page = fillActivitiesOf(this.#okBody(await this.#http.request('GET', `/v2/account/activities/FILL?${query}`), 'fill activities'));
      fills.push(...page.filter((activity) => activity.order_id === order.id));
      if (page.length < ACTIVITY_PAGE) break;
      pageToken = page.at(-1)!.id;
    }
    const total = fills.reduce((sum, fill) => sum.plus(decimalOf(fill.qty, 'activity.qty')), ZERO);
    // Activities can trail the order record: an incomplete list would lose executions for good.
    if (!total.eq(filled)) throw new AlpacaUnavailable(`Alpaca lists ${total.toFixed()} of the ${filled.toFixed()} filled on order ${order.id}; ask again`);
    return fills;
  }

  #okBody(answer: HttpAnswer, what: string): unknown {
    const slowDown = throttled(answer, what);
    if (slowDown) throw slowDown;
    const doubt = inDoubt(answer);
    if (doubt !== null || !answer.answered) throw new AlpacaUnavailable(`${what}: ${doubt ?? 'no answer'}`);
    if (answer.status < 200 || answer.status >= 300) throw new AlpacaUnavailable(`${what}: Alpaca ${answer.status}: ${alpacaMessage(answer.body)}`);
    return answer.body;
  }

  #onUpdate(data: unknown): void {
    let report: ExecutionReport | null;
    try {
      report = reportOf(data as never, this.#clock.now());
    } catch (error) {
      if (!(error instanceof AlpacaWireError)) throw error;
      this.#log.warn({ venue: this.name, err: error.message }, 'Alpaca trade update not understood; skipped');
      return;
    }
    if (report === null) return;
    if ((data as { event?: unknown }).event === 'fill') this.#ledger.finish(report.clientOrderId);
    if (this.#held) this.#held.push(report);
    else this.#emit(report);
  }

  #onListening(): void {
    this.#releaseStart();
    void this.#catchUp();
    if (this.#listenedBefore) for (const listener of [...this.#restoredListeners]) listener();
    this.#listenedBefore = true;
  }

  /** Looks up every order that may have changed while the stream was away, and reports what was missed. */
  async #catchUp(): Promise<void> {
    if (this.#held) {
      // The stream broke again while catching up: what the running pass already read may be stale.
      this.#catchUpAgain = true;
      return;
    }
    this.#held = [];
    this.#catchUpAgain = false;
    let failed = 0;
    for (const clientOrderId of this.#ledger.unfinished()) {
      try {
        const view = await this.lookup(clientOrderId);
        if (view !== null) for (const report of this.#ledger.missedIn(view, this.#clock.now())) this.#deliver(report);
      } catch (error) {
        failed += 1;
        this.#log.warn({ venue: this.name, orderId: clientOrderId, err: (error as Error).message }, 'Alpaca catch-up lookup failed');
      }
    }
    const held = this.#held;
    this.#held = null;
    for (const report of held) this.#emit(report);
    if (this.#closed) return;
    if (this.#catchUpAgain) void this.#catchUp();
    else if (failed > 0) this.#schedule(() => void (this.#stream.listening() ? this.#catchUp() : undefined), this.#options.catchUpRetryMs ?? 2_000);
  }

  #emit(report: ExecutionReport): void {
    if (this.#ledger.admit(report)) this.#deliver(report);
  }

  #deliver(report: ExecutionReport): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(report);
      } catch (error) {
        // One listener's bug must not keep the report from the others; it still surfaces.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  #releaseStart(): void {
    const waiters = this.#startWaiters;
    this.#startWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
