/**
 * Zerodha (Kite Connect v3) behind the Venue port.
 * Kite keeps no client order id: the gateway's id travels as a stable 20-character tag
 * (kiteWire.tagFor), and lookup by client order id reads the day's order book (GET /orders)
 * for that tag. Kite does not refuse a second order with the same tag, so submit looks first
 * and places only when the tag is absent; one submit per id runs at a time in this process.
 * A successful place means the OMS registered the order, not that its risk checks passed
 * (Kite "Placing orders"); submit waits, bounded, for the order to leave validation, so
 * `accepted` means open at the venue and an RMS refusal ("Insufficient funds…") is `rejected`.
 * Reports: order updates from the WebSocket (the connector's own authenticated session);
 * a postback only wakes a read of its order at Kite (receivePostback); fills from
 * GET /orders/:id/trades (updates carry no trade ids); after a reconnect, every tracked order
 * is read from the order book again.
 * Reconciliation: openOrders() reads the day's order book and trade book; fillsSince() pages
 * the trade book (kiteTradePages); orders are named by their tags (kiteTags).
 * Invariants: a place is sent once per call, only after the book showed no order with the tag;
 * lookup returns null only when today's book lacks the tag and the id is from today, and
 * throws when it cannot tell; each report reaches listeners once, in venue order per order;
 * nothing in a postback's body but its order id is believed.
 */
import { systemClock, type Clock } from '../../../ports/clock.ts';
import type { PostbackOutcome, PostbackReceiver } from '../../../ports/postbacks.ts';
import { silentLogger, type Logger } from '../../../ports/telemetry.ts';
import {
  VenueThrottled, type CancelOutcome, type SubmitOutcome, type Venue, type VenueFillsPage,
  type VenueOrderRequest, type VenueOrderView,
} from '../../../ports/venue.ts';
import { realTimeSchedule, type BrokerHttp } from '../broker/brokerHttp.ts';
import type { ReconnectingSocket } from '../broker/reconnectingSocket.ts';
import { streamSettings, StreamingVenue, type BrokerVenueOptions } from '../broker/streamingVenue.ts';
import { ReportLedger } from '../reportLedger.ts';
import { cancelOutcomeOf, formBody, kiteHttp, KiteRefused, KiteUnavailable, submitOutcomeOf } from './kiteHttp.ts';
import { verifyPostback } from './kitePostback.ts';
import { foreignOrderId, KiteTags } from './kiteTags.ts';
import { KiteReads } from './kiteReads.ts';
import { orderUpdateStream } from './kiteStream.ts';
import { tradesAfter } from './kiteTradePages.ts';
import { ValidationWaits } from './kiteValidation.ts';
import { WakeUps } from './kiteWakeUps.ts';
import {
  carriesTag, fillViewOf, isAcknowledged, istDayStart, orderOf, placeForm, reasonOf, statusOf, tagFor, uuidV7Time, type KiteOrder,
} from './kiteWire.ts';
import type { ZerodhaConnection } from './zerodhaConfig.ts';

export interface ZerodhaVenueOptions extends BrokerVenueOptions {
  readonly connection: ZerodhaConnection;
  /** How long submit waits for a placed order to pass Kite's validation and risk checks. */
  readonly confirmTimeoutMs?: number;
  /** Between two reads of a placed order's state while it is being validated. */
  readonly confirmPollMs?: number;
  /** After a failed read of an order's trades or state, when to read again. */
  readonly resyncMs?: number;
  /** The gateway's working orders at this venue, so orders placed before a restart are known by their tag. */
  readonly workingOrderIds?: () => Promise<readonly string[]>;
  /** The least time between the starts of two reads that postbacks asked for (kiteWakeUps). */
  readonly postbackReadSpacingMs?: number;
}

export class ZerodhaVenue extends StreamingVenue implements Venue, PostbackReceiver {
  readonly name: string;
  protected readonly stream: ReconnectingSocket;
  readonly #http: BrokerHttp;
  readonly #reads: KiteReads;
  readonly #ledger = new ReportLedger();
  readonly #tags: KiteTags;
  readonly #submitting = new Set<string>();
  /** Per order, the tail of its chain of syncs: one order's reports are produced one at a time. */
  readonly #syncs = new Map<string, Promise<void>>();
  readonly #validations: ValidationWaits;
  readonly #wakeUps: WakeUps;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #options: ZerodhaVenueOptions;

  constructor(options: ZerodhaVenueOptions) {
    super(options.schedule ?? realTimeSchedule, options.startTimeoutMs ?? 10_000);
    const { connection } = options;
    this.#options = options;
    this.name = options.name ?? 'zerodha';
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log ?? silentLogger;
    this.#tags = new KiteTags(options.workingOrderIds ?? null);
    this.#http = kiteHttp({
      baseUrl: connection.baseUrl, apiKey: connection.apiKey, accessToken: connection.accessToken,
      schedule: this.schedule, clock: this.#clock, timeoutMs: options.requestTimeoutMs ?? 10_000,
    });
    this.#reads = new KiteReads(this.#http, this.#clock);
    this.#validations = new ValidationWaits(this.#reads, this.schedule, {
      timeoutMs: options.confirmTimeoutMs ?? 5_000, pollMs: options.confirmPollMs ?? 250,
    });
    this.#wakeUps = new WakeUps((orderId) => this.#readWokenOrder(orderId), this.schedule, {
      spacingMs: options.postbackReadSpacingMs ?? 500, attempts: 3, capacity: 10_000,
    }, () => this.closed, { logger: this.#log, venue: this.name });
    this.stream = orderUpdateStream({
      ...streamSettings(options, this.schedule, this.#log),
      url: connection.streamUrl, apiKey: connection.apiKey, accessToken: connection.accessToken,
      onOrderUpdate: (order) => this.#onOrderUpdate(order),
      onConnected: () => this.streamLive(),
      onRefused: () => this.streamRefused(),
    });
  }

  protected override afterClose(): void {
    this.#validations.wakeAll();
    this.#wakeUps.stop();
  }

  /**
   * A postback as Kite POSTed it. Its checksum covers order_id and order_timestamp only, so the
   * body's status, tags and quantities are never used: a verified postback of today wakes a read
   * of that order at Kite, and what Kite holds (its own tag, state and trades) is reported.
   */
  receivePostback(rawBody: string): PostbackOutcome {
    const verified = verifyPostback(rawBody, this.#options.connection.apiSecret, this.#clock.now());
    if (!verified.ok) {
      this.#log.warn({ venue: this.name, reason: verified.reason, ...('field' in verified ? { field: verified.field } : {}) }, 'Kite postback refused');
      return verified;
    }
    this.#wakeUps.wake(verified.orderId);
    return { ok: true };
  }

  /** The orders Kite works now (open, past validation), with their trades, from today's books. */
  async openOrders(): Promise<VenueOrderView[]> {
    const book = await this.#reads.orderBook();
    await this.#recognise(book);
    const open = book.filter((order) => statusOf(order.status) === 'working' && isAcknowledged(order.status));
    const views = await this.#reads.viewsOf(open.map((order) => ({ clientOrderId: this.#tags.nameOf(order), order })));
    for (const view of views) if (view.clientOrderId !== foreignOrderId(view.venueOrderId)) this.#track(view.clientOrderId, view.venueOrderId);
    return views;
  }

  /** Today's trades after the cursor, in fill-time order (kiteTradePages). */
  async fillsSince(cursor: string | null, limit: number): Promise<VenueFillsPage> {
    const [trades, book] = await Promise.all([this.#reads.trades(), this.#reads.orderBook()]);
    await this.#recognise(book);
    const now = this.#clock.now();
    const page = tradesAfter(trades, cursor, limit, istDayStart(now).toISOString().slice(0, 10));
    const byOrderId = new Map(book.map((order) => [order.order_id, order]));
    return {
      fills: page.trades.map((trade) => {
        const order = byOrderId.get(trade.order_id);
        const clientOrderId = order ? this.#tags.nameOf(order) : foreignOrderId(trade.order_id);
        return { clientOrderId, venueOrderId: trade.order_id, fill: fillViewOf(trade, now) };
      }),
      cursor: page.cursor,
    };
  }

  async submit(request: VenueOrderRequest): Promise<SubmitOutcome> {
    const { clientOrderId } = request;
    const placed = placeForm(request, this.#options.connection);
    if (!placed.ok) return { outcome: 'rejected', reason: placed.reason };
    if (this.#submitting.has(clientOrderId)) {
      return { outcome: 'unknown', reason: 'duplicate client order id: a submit of this order is already under way; look it up' };
    }
    this.#submitting.add(clientOrderId);
    try {
      this.#track(clientOrderId);
      let existing: KiteOrder | null;
      try {
        existing = await this.#reads.bookEntry(clientOrderId);
      } catch (error) {
        // Nothing was sent either way; a refused session (TokenException) is fatal, a flaky read is not.
        if (error instanceof KiteRefused) return { outcome: 'rejected', reason: error.message };
        if (error instanceof VenueThrottled) return { outcome: 'unknown', reason: `nothing was sent: ${error.message}`, retryAfterMs: error.retryAfterMs };
        return { outcome: 'unknown', reason: `could not read Kite's order book for an earlier order with this id, so nothing was sent: ${(error as Error).message}` };
      }
      if (existing) {
        return { outcome: 'unknown', reason: `duplicate client order id: Kite already holds order ${existing.order_id} under this id's tag; look it up` };
      }
      const outcome = submitOutcomeOf(await this.#http.request('POST', '/orders/regular', formBody(placed.form)));
      const confirmed = outcome.outcome === 'accepted' ? await this.#confirm(clientOrderId, outcome.venueOrderId) : outcome;
      if (confirmed.outcome !== 'accepted') {
        const level = confirmed.outcome === 'unknown' ? 'warn' : 'info';
        this.#log[level]({ venue: this.name, orderId: clientOrderId, outcome: confirmed.outcome, reason: confirmed.reason }, 'Kite did not accept the order');
      }
      return confirmed;
    } finally {
      this.#submitting.delete(clientOrderId);
    }
  }

  async cancel(clientOrderId: string): Promise<CancelOutcome> {
    let orderId = this.#ledger.venueOrderIdOf(clientOrderId);
    if (orderId === null) {
      try {
        orderId = (await this.#reads.bookEntry(clientOrderId))?.order_id ?? null;
      } catch (error) {
        return { outcome: 'unknown', reason: `could not find the order at Kite: ${(error as Error).message}` };
      }
      if (orderId === null) return { outcome: 'rejected', reason: "no order with this client order id in Kite's order book today" };
    }
    return cancelOutcomeOf(await this.#http.request('DELETE', `/orders/regular/${encodeURIComponent(orderId)}`));
  }

  /** Null only when today's order book lacks the tag and the id was made today; throws when it cannot tell (yet). */
  async lookup(clientOrderId: string): Promise<VenueOrderView | null> {
    const order = await this.#reads.bookEntry(clientOrderId);
    if (order === null) {
      const madeAt = uuidV7Time(clientOrderId);
      if (madeAt !== null && madeAt < istDayStart(this.#clock.now())) {
        throw new KiteUnavailable("the order is older than today's Kite order book, which is all Kite lists; its absence proves nothing");
      }
      return null;
    }
    // A view now would say "working" and the gateway would ack an order the risk checks may still refuse.
    if (order.status !== 'REJECTED' && !isAcknowledged(order.status)) throw new KiteUnavailable(`Kite is still validating order ${order.order_id}; ask again`);
    const view = await this.#reads.viewOf(clientOrderId, order);
    if (view.status === 'working') this.#track(clientOrderId, order.order_id);
    return view;
  }

  /** Waits, bounded, for a placed order to pass validation: open (accepted), refused (rejected) or still unknown. */
  async #confirm(clientOrderId: string, orderId: string): Promise<SubmitOutcome> {
    this.#track(clientOrderId, orderId);
    const state = await this.#validations.settled(orderId, () => this.closed);
    if (state === null) return { outcome: 'unknown', reason: `Kite took the order as ${orderId} but did not confirm it was open in time; look it up` };
    void this.#enqueueSync(clientOrderId, () => this.#sync(clientOrderId, state));
    if (state.status === 'REJECTED') return { outcome: 'rejected', reason: `Kite refused the order after taking it: ${reasonOf(state)}` };
    return { outcome: 'accepted', venueOrderId: orderId };
  }

  #track(clientOrderId: string, orderId: string | null = null): void {
    this.#ledger.track(clientOrderId, orderId);
    this.#tags.remember(clientOrderId);
  }

  /** Tracks the gateway's working orders whose tags the book holds but this process has not seen. */
  async #recognise(book: readonly KiteOrder[]): Promise<void> {
    for (const clientOrderId of await this.#tags.recognise(book)) this.#ledger.track(clientOrderId);
  }

  /** An update on the WebSocket: the connector's own session with Kite, so the body is Kite's word. */
  #onOrderUpdate(raw: unknown): void {
    let order: KiteOrder;
    try {
      order = orderOf(raw);
    } catch (error) {
      this.#log.warn({ venue: this.name, err: (error as Error).message }, 'Kite order update not understood; skipped');
      return;
    }
    this.#validations.wake(order.order_id);
    const clientOrderId = this.#tags.clientOrderIdOf(order);
    if (!clientOrderId) return;
    void this.#enqueueSync(clientOrderId, () => this.#sync(clientOrderId, order));
  }

  /** A postback named this order: a submit waiting on its validation reads it; otherwise it is read here, and its own tag names it. */
  async #readWokenOrder(orderId: string): Promise<void> {
    if (this.#validations.wake(orderId)) return;
    const order = await this.#reads.currentState(orderId);
    const clientOrderId = this.#tags.clientOrderIdOf(order);
    if (!clientOrderId) return;
    await this.#enqueueSync(clientOrderId, () => this.#sync(clientOrderId, order));
  }

  /** Reports what this state of the order (with its trades, read now) holds that listeners have not had. */
  async #sync(clientOrderId: string, order: KiteOrder, attempt = 1): Promise<void> {
    // Still being validated: acking now would contradict a refusal the risk checks may yet give.
    if (order.status !== 'REJECTED' && !isAcknowledged(order.status)) return;
    try {
      const view = await this.#reads.viewOf(clientOrderId, order);
      for (const report of this.#ledger.missedIn(view, this.#clock.now())) this.channel.deliver(report);
    } catch (error) {
      const err = (error as Error).message;
      if (this.closed) return;
      if (attempt >= 5) {
        this.#log.error({ venue: this.name, orderId: clientOrderId, err }, 'Kite order sync gave up; the next reconnect or lookup reads the order again');
        return;
      }
      this.#log.warn({ venue: this.name, orderId: clientOrderId, attempt, err }, 'Kite order sync failed; reading it again later');
      this.schedule(() => void this.#enqueueSync(clientOrderId, async () => {
        const state = await this.#reads.currentState(order.order_id).catch(() => order);
        await this.#sync(clientOrderId, state, attempt + 1);
      }), this.#options.resyncMs ?? 1_000);
    }
  }

  /** Resolves once this task has run (tasks catch their own failures). */
  #enqueueSync(clientOrderId: string, task: () => Promise<void>): Promise<void> {
    const next = (this.#syncs.get(clientOrderId) ?? Promise.resolve()).then(task, task);
    this.#syncs.set(clientOrderId, next);
    void next.finally(() => {
      if (this.#syncs.get(clientOrderId) === next) this.#syncs.delete(clientOrderId);
    });
    return next;
  }

  /** After a (re)connection: one read of the order book, then a sync of every tracked order still open. */
  protected async catchUp(): Promise<void> {
    const unfinished = this.#ledger.unfinished();
    if (unfinished.length === 0) return;
    let book: KiteOrder[];
    try {
      book = await this.#reads.orderBook();
    } catch (error) {
      this.#log.warn({ venue: this.name, err: (error as Error).message }, 'Kite catch-up could not read the order book; trying again');
      if (!this.closed) this.schedule(() => void (this.stream.isLive() ? this.catchUp() : undefined), this.#options.resyncMs ?? 1_000);
      return;
    }
    for (const clientOrderId of unfinished) {
      const order = book.find((entry) => carriesTag(entry, tagFor(clientOrderId)));
      if (order) void this.#enqueueSync(clientOrderId, () => this.#sync(clientOrderId, order));
    }
  }
}
