/**
 * Alpaca (Trading API v2) behind the Venue port.
 * submit: POST /v2/orders with the gateway's order id as client_order_id, which Alpaca keeps
 * unique per account, so a resend after a lost answer can never make a second order.
 * lookup: GET /v2/orders:by_client_order_id, plus the FILL account activities of the order for
 * its executions. cancel: DELETE /v2/orders/{id}. Reports: the trade_updates stream; after a
 * reconnect every order that may still change is looked up and what was missed is reported.
 * Reconciliation: openOrders() is GET /v2/orders?status=open; fillsSince() pages the FILL
 * activities (direction=asc, page_token = the last activity id seen).
 * Invariants: a submit is sent once per call and never retried here (the dispatcher decides,
 * after a lookup); an outcome the connector cannot know is `unknown`; lookup returns null only
 * on Alpaca's own 404 and throws when it cannot tell; each report reaches listeners once.
 */
import { systemClock, type Clock } from '../../../ports/clock.ts';
import { silentLogger, type Logger } from '../../../ports/telemetry.ts';
import type {
  CancelOutcome, ExecutionReport, SubmitOutcome, Venue, VenueFillsPage, VenueOrderRequest, VenueOrderView,
} from '../../../ports/venue.ts';
import { realTimeSchedule } from '../broker/brokerHttp.ts';
import type { ReconnectingSocket } from '../broker/reconnectingSocket.ts';
import { streamSettings, StreamingVenue, type BrokerVenueOptions } from '../broker/streamingVenue.ts';
import { ReportLedger } from '../reportLedger.ts';
import type { AlpacaConnection } from './alpacaConfig.ts';
import { AlpacaActivities } from './alpacaActivities.ts';
import { alpacaHttp, AlpacaUnavailable, cancelOutcomeOf, jsonBody, okBody, submitOutcomeOf } from './alpacaHttp.ts';
import { tradeUpdatesStream } from './alpacaStream.ts';
import { AlpacaWireError, decimalOf, orderBody, orderOf, ordersOf, reportOf, viewOf, type AlpacaOrder } from './alpacaWire.ts';

export { AlpacaUnavailable } from './alpacaHttp.ts';

export interface AlpacaVenueOptions extends BrokerVenueOptions {
  readonly connection: AlpacaConnection;
  /** From the socket opening to the listening acknowledgement. */
  readonly handshakeTimeoutMs?: number;
  /** After a failed catch-up, when to try again. */
  readonly catchUpRetryMs?: number;
  /** How far back fillsSince(null) starts: the first reconciliation of a new venue. */
  readonly fillsLookbackMs?: number;
}

const OPEN_ORDERS_PAGE = 500;

/** An activity id ("<yyyymmddhhmmssSSS>::<uuid>", as Alpaca writes them) or a time this connector wrote. */
function isActivitiesCursor(cursor: string): boolean {
  return /^[0-9]{17}::[0-9A-Za-z-]+$/.test(cursor) || (cursor.startsWith('after:') && !Number.isNaN(Date.parse(cursor.slice(6))));
}

function isOrderNotFound(body: unknown): boolean {
  const { code, message } = (body ?? {}) as { code?: unknown; message?: unknown };
  return code === 40410000 || (typeof message === 'string' && /order not found/i.test(message));
}

export class AlpacaVenue extends StreamingVenue implements Venue {
  readonly name: string;
  protected readonly stream: ReconnectingSocket;
  readonly #http;
  readonly #activities: AlpacaActivities;
  readonly #ledger = new ReportLedger();
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #options: AlpacaVenueOptions;
  /** Live reports held back while a catch-up runs, so one order's reports keep venue order. */
  #held: ExecutionReport[] | null = null;
  #catchUpAgain = false;

  constructor(options: AlpacaVenueOptions) {
    super(options.schedule ?? realTimeSchedule, options.startTimeoutMs ?? 10_000);
    const { connection } = options;
    this.#options = options;
    this.name = options.name ?? 'alpaca';
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log ?? silentLogger;
    this.#http = alpacaHttp({
      baseUrl: connection.baseUrl, keyId: connection.keyId, secretKey: connection.secretKey,
      schedule: this.schedule, clock: this.#clock, timeoutMs: options.requestTimeoutMs ?? 10_000,
    });
    this.#activities = new AlpacaActivities(this.#http, (venueOrderId) => this.#clientOrderIdOf(venueOrderId));
    this.stream = tradeUpdatesStream({
      ...streamSettings(options, this.schedule, this.#log),
      url: connection.streamUrl, keyId: connection.keyId, secretKey: connection.secretKey,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
      onUpdate: (data) => this.#onUpdate(data),
      onListening: () => this.streamLive(),
      onRefused: () => this.streamRefused(),
    });
  }

  async submit(request: VenueOrderRequest): Promise<SubmitOutcome> {
    const body = orderBody(request);
    if (!body.ok) return { outcome: 'rejected', reason: body.reason };
    // Tracked before sending: if the answer is lost, a reconnect still fetches the order.
    this.#ledger.track(request.clientOrderId);
    const outcome = submitOutcomeOf(await this.#http.request('POST', '/v2/orders', jsonBody(body.body)));
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
    const [view] = await this.#views([order]);
    if (view!.status === 'working') this.#ledger.track(clientOrderId, view!.venueOrderId);
    return view!;
  }

  /** Every order Alpaca works now (status=open), with its executions so far, oldest first. */
  async openOrders(): Promise<VenueOrderView[]> {
    const orders = new Map<string, AlpacaOrder>();
    let after: string | null = null;
    for (;;) {
      const query = new URLSearchParams({ status: 'open', direction: 'asc', limit: String(OPEN_ORDERS_PAGE), nested: 'false' });
      if (after !== null) query.set('after', after);
      const page = ordersOf(okBody(await this.#http.request('GET', `/v2/orders?${query}`), 'open orders'));
      const before = orders.size;
      for (const order of page) orders.set(order.id, order);
      if (page.length < OPEN_ORDERS_PAGE) break;
      // `after` is exclusive and by submission time: step back a millisecond so orders submitted
      // in the same instant as the last of the page are not skipped; the map drops repeats.
      if (orders.size === before) throw new AlpacaUnavailable(`more than ${OPEN_ORDERS_PAGE} open orders were submitted in one millisecond; they cannot be paged`);
      const last = page.at(-1)!;
      after = new Date(new Date(last.submitted_at ?? last.created_at).getTime() - 1).toISOString();
    }
    const views = await this.#views([...orders.values()]);
    for (const view of views) this.#ledger.track(view.clientOrderId, view.venueOrderId);
    return views;
  }

  /**
   * FILL activities after the cursor (the last activity id seen), oldest first. A cursor that is
   * not one of this connector's (another venue kind's, before a venue was reconfigured) starts
   * over `fillsLookbackMs` back, like none: a page_token Alpaca cannot read would fail every pass.
   */
  async fillsSince(cursor: string | null, limit: number): Promise<VenueFillsPage> {
    const lookback = `after:${new Date(this.#clock.now().getTime() - (this.#options.fillsLookbackMs ?? 7 * 86_400_000)).toISOString()}`;
    return this.#activities.fillsAfter(cursor !== null && isActivitiesCursor(cursor) ? cursor : lookback, limit);
  }

  async #order(clientOrderId: string): Promise<AlpacaOrder | null> {
    const answer = await this.#http.request('GET', `/v2/orders:by_client_order_id?client_order_id=${encodeURIComponent(clientOrderId)}`);
    // Only Alpaca's own "order not found" proves absence; a 404 from a proxy or a wrong base URL does not.
    if (answer.answered && answer.status === 404 && isOrderNotFound(answer.body)) return null;
    return orderOf(okBody(answer, 'order lookup'));
  }

  /** The orders' views, with the executions of those that have any (one scan of the activities). */
  async #views(orders: readonly AlpacaOrder[]): Promise<VenueOrderView[]> {
    const filled = orders.filter((order) => !decimalOf(order.filled_qty, 'order.filled_qty').isZero());
    const fills = filled.length === 0 ? new Map() : await this.#activities.fillsOf(filled);
    return orders.map((order) => viewOf(order, fills.get(order.id) ?? []));
  }

  /** Which gateway order an Alpaca order id belongs to: known here, else asked of Alpaca. */
  async #clientOrderIdOf(venueOrderId: string): Promise<string> {
    const known = this.#ledger.clientOrderIdOf(venueOrderId);
    if (known !== null) return known;
    const answer = await this.#http.request('GET', `/v2/orders/${encodeURIComponent(venueOrderId)}`);
    const order = orderOf(okBody(answer, `order ${venueOrderId}`));
    this.#ledger.track(order.client_order_id, order.id);
    if (['filled', 'canceled', 'expired', 'rejected', 'replaced'].includes(order.status)) this.#ledger.finish(order.client_order_id);
    return order.client_order_id;
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

  /** Looks up every order that may have changed while the stream was away, and reports what was missed. */
  protected async catchUp(): Promise<void> {
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
        if (view !== null) for (const report of this.#ledger.missedIn(view, this.#clock.now())) this.channel.deliver(report);
      } catch (error) {
        failed += 1;
        this.#log.warn({ venue: this.name, orderId: clientOrderId, err: (error as Error).message }, 'Alpaca catch-up lookup failed');
      }
    }
    const held = this.#held;
    this.#held = null;
    for (const report of held) this.#emit(report);
    if (this.closed) return;
    if (this.#catchUpAgain) void this.catchUp();
    else if (failed > 0) this.schedule(() => void (this.stream.isLive() ? this.catchUp() : undefined), this.#options.catchUpRetryMs ?? 2_000);
  }

  #emit(report: ExecutionReport): void {
    if (this.#ledger.admit(report)) this.channel.deliver(report);
  }
}
