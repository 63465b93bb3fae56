/**
 * The `fix` venue: the Venue port over a FIX 4.4 initiator session. submit sends a
 * NewOrderSingle, cancel an OrderCancelRequest, lookup an OrderStatusRequest; execution
 * reports, cancel rejects and rejects of our requests become the port's reports.
 * Invariants: a submit is `rejected` only on the venue's word. One that could not be sent (not
 * logged on: a reconnect, the daily reset) is `not_sent`, with a Retry-After: nothing left, so
 * the gateway counts no attempt and sends it again once the session is back.
 * No answer in time or a lost connection is `unknown`, and the answer, when it comes after a
 * reconnect (resent by the counterparty on our ResendRequest), still reaches the report stream;
 * lookup returns null only when the venue says it has no such order or this session never sent
 * it (where the session moves between instances: neither this session nor the gateway's record
 * knows it), and throws when it cannot tell; each fill reaches the stream once per process (the
 * gateway dedupes across restarts by venue fill id).
 * Sessions: with `resetSeqNumOnLogon` every logon starts both sequence numbers over; with
 * `sessionReset` the session is ended at that local time each day and a new one logs on with
 * numbers from 1 (also at start when a reset time passed while the gateway was down). Every
 * logon after the first tells onStreamRestored listeners, so the gateway reconciles what a
 * reset or a reconnect may have lost.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { silentLogger, type Logger } from '../../../ports/telemetry.ts';
import type {
  CancelOutcome, ExecutionReport, ExecutionReportListener, SubmitOutcome, Venue, VenueOrderRequest, VenueOrderView,
} from '../../../ports/venue.ts';
import type { FixField, FixMessage } from './fixCodec.ts';
import { FixInitiator, type ReconnectPolicy } from './fixInitiator.ts';
import {
  newOrderSingle, orderCancelRequest, orderStatusRequest, portReport, readExecutionReport, rejectionText, rejectText, type FixExecution, type OrderTerms,
} from './fixOrders.ts';
import { BEGIN_STRING, BusinessRejectReason, CxlRejReason, ExecType, MsgType, OrdRejReason, Tag } from './fixProtocol.ts';
import { FixSession } from './fixSession.ts';
import { isUnknownOrderAnswer, OrderLedger } from './orderLedger.ts';
import { nextReset, previousReset, type DailyReset } from './sessionSchedule.ts';
import { FileSessionStore, type SessionStore } from './sessionStore.ts';
import type { Secret } from '../credentials.ts';
import { realTimers, type Timers } from './timers.ts';
import { ReportChannel } from '../broker/reportChannel.ts';

export interface FixVenueOptions {
  readonly name?: string;
  readonly host: string;
  readonly port: number;
  readonly senderCompId: string;
  readonly targetCompId: string;
  readonly heartbeatIntervalSeconds?: number;
  /** A folder (one sub-folder per session is kept in it) or a store of your own. */
  readonly store: string | SessionStore;
  readonly timers?: Timers;
  /** How long submit, cancel and lookup wait for the venue's answer. */
  readonly requestTimeoutMs?: number;
  /** How long start() waits for the first Logon; dialling goes on in the background after it. */
  readonly startWaitMs?: number;
  readonly reconnect?: ReconnectPolicy;
  /** Ids for cancel requests (ClOrdID) and status requests (OrdStatusReqID). */
  readonly newRequestId?: () => string;
  readonly log?: Logger;
  /** Every logon sends ResetSeqNumFlag=Y: both sides start their numbers over at 1. */
  readonly resetSeqNumOnLogon?: boolean;
  /** The daily session: ended at this local time, then begun again with numbers from 1. */
  readonly sessionReset?: DailyReset;
  /** Username (553) and Password (554) on the Logon, when the venue wants them. */
  readonly logon?: { readonly username: Secret | null; readonly password: Secret | null };
  /**
   * Where several gateway instances take turns running this session (singleSession.ts), the
   * session's own record holds only what this instance sent: the gateway's record of an order
   * routed here (its terms) stands in for the rest, and the venue is asked instead of assuming
   * that an order this session never sent is not there. Null: not an order of this venue.
   */
  readonly sharedOrder?: (clientOrderId: string) => Promise<OrderTerms | null>;
}

/**
 * How long a submit refused for want of a session asks the gateway to wait (the guard holds every
 * request to this venue that long): a reconnect or the daily reset takes a dial and a Logon.
 */
const NOT_LOGGED_ON_RETRY_AFTER_MS = 1_000;

type LookupAnswer = { readonly kind: 'status'; readonly execution: FixExecution } | { readonly kind: 'refused'; readonly message: FixMessage };

interface Waiter<T> {
  /** The gateway's order id the request is about. */
  readonly clientOrderId: string;
  readonly settle: (answer: T) => void;
}

export class FixVenue implements Venue {
  readonly name: string;
  readonly #session: FixSession;
  readonly #initiator: FixInitiator;
  readonly #ledger = new OrderLedger();
  readonly #timers: Timers;
  readonly #log: Logger;
  readonly #requestTimeoutMs: number;
  readonly #startWaitMs: number;
  readonly #newRequestId: () => string;
  readonly #channel = new ReportChannel();
  readonly #submits = new Map<string, Waiter<SubmitOutcome>>();
  readonly #cancels = new Map<string, Waiter<CancelOutcome>>();
  readonly #lookups = new Map<string, Waiter<LookupAnswer | Error>>();
  readonly #store: SessionStore;
  readonly #sessionReset: DailyReset | null;
  #cancelReset: () => void = () => {};
  #started = false;
  readonly #sharedOrder: ((clientOrderId: string) => Promise<OrderTerms | null>) | null;

  constructor(options: FixVenueOptions) {
    this.name = options.name ?? 'fix';
    this.#timers = options.timers ?? realTimers;
    this.#log = options.log ?? silentLogger;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.#startWaitMs = options.startWaitMs ?? 5_000;
    this.#newRequestId = options.newRequestId ?? randomUUID;
    const store = typeof options.store === 'string'
      ? new FileSessionStore(join(options.store, `${BEGIN_STRING}-${options.senderCompId}-${options.targetCompId}`))
      : options.store;
    this.#store = store;
    this.#sessionReset = options.sessionReset ?? null;
    this.#sharedOrder = options.sharedOrder ?? null;
    // Earlier epochs say which orders were sent; only this epoch's numbers name our requests.
    for (const sent of store.archivedSent()) this.#ledger.recordSent(sent.seqNum, sent.msgType, sent.body);
    this.#ledger.forgetRequests();
    for (const sent of store.allSent()) this.#ledger.recordSent(sent.seqNum, sent.msgType, sent.body);
    const { logon } = options;
    this.#session = new FixSession(
      {
        senderCompId: options.senderCompId, targetCompId: options.targetCompId, heartbeatIntervalSeconds: options.heartbeatIntervalSeconds ?? 30,
        resetSeqNumOnLogon: options.resetSeqNumOnLogon ?? false,
        ...(logon ? { logonFields: () => [
          ...(logon.username ? [[Tag.Username, logon.username.reveal()] as FixField] : []),
          ...(logon.password ? [[Tag.Password, logon.password.reveal()] as FixField] : []),
        ] } : {}),
      },
      store,
      this.#timers,
      {
        onMessage: (message) => this.#received(message),
        onLoggedOn: () => this.#loggedOn(),
        onDisconnected: (reason) => this.#disconnected(reason),
        onProblem: (text) => this.#log.warn({ venue: this.name }, text),
        onSequenceReset: () => this.#ledger.forgetRequests(),
      },
    );
    const connection = { host: options.host, port: options.port, ...(options.reconnect ? { reconnect: options.reconnect } : {}) };
    this.#initiator = new FixInitiator(this.#session, this.#timers, connection, (text) => this.#log.warn({ venue: this.name }, text));
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    if (this.#sessionReset) {
      const began = this.#store.epochStartedAt();
      const due = previousReset(this.#timers.now(), this.#sessionReset);
      if (began === null || began < due) this.#resetSession(`the session reset of ${due.toISOString()} passed while this session was down`);
      this.#planReset();
    }
    await this.#channel.waitForStart(this.#timers.schedule, this.#startWaitMs, () => this.#initiator.start());
  }

  async close(): Promise<void> {
    this.#started = false;
    this.#cancelReset();
    await this.#initiator.stop();
    this.#abandonRequests('the venue connection was closed');
  }

  /** The stream (this session) logged on again after a disconnect or a session reset. */
  onStreamRestored(listener: () => void): () => void {
    return this.#channel.onStreamRestored(listener);
  }

  #planReset(): void {
    const reset = this.#sessionReset!;
    const at = nextReset(this.#timers.now(), reset);
    this.#cancelReset = this.#timers.schedule(() => void this.#endOfSession(at), at.getTime() - this.#timers.now().getTime());
  }

  /** The daily session ends: log out, start the numbers over, log on to the next session. */
  async #endOfSession(at: Date): Promise<void> {
    if (!this.#started) return;
    this.#log.info({ venue: this.name, at: at.toISOString() }, 'FIX daily session reset: logging out, numbers start over at 1');
    await this.#initiator.stop();
    if (!this.#started) return;
    this.#resetSession('daily session reset');
    this.#initiator.start();
    this.#planReset();
  }

  #resetSession(reason: string): void {
    this.#abandonRequests(`the FIX session was reset: ${reason}`);
    this.#store.reset(this.#timers.now());
    this.#ledger.forgetRequests();
  }

  healthy(): boolean {
    return this.#session.isLoggedOn();
  }

  onExecutionReport(listener: ExecutionReportListener): () => void {
    return this.#channel.onExecutionReport(listener);
  }

  async submit(order: VenueOrderRequest): Promise<SubmitOutcome> {
    const { clientOrderId } = order;
    if (this.#submits.has(clientOrderId)) return { outcome: 'unknown', reason: 'a submit of this order is already waiting for the venue' };
    // The venue already reported on this id: sending it again could only make a second order.
    const known = this.#ledger.view(clientOrderId);
    if (known && known.status !== 'rejected') return { outcome: 'accepted', venueOrderId: known.venueOrderId };
    const noAnswer: SubmitOutcome = { outcome: 'unknown', reason: 'no answer from the venue in time' };
    const body = newOrderSingle(order, this.#timers.now());
    return this.#request(this.#submits, clientOrderId, clientOrderId, noAnswer, MsgType.NewOrderSingle, body)
      ?? { outcome: 'not_sent', reason: `not sent: ${this.#notConnected()}`, retryAfterMs: NOT_LOGGED_ON_RETRY_AFTER_MS };
  }

  async cancel(clientOrderId: string): Promise<CancelOutcome> {
    const terms = await this.#terms(clientOrderId);
    // Only this session sends this id (or, shared, the gateway knows it), so an order unknown to both cannot be at the venue.
    if (!terms) return { outcome: 'rejected', reason: 'unknown order' };
    const cancelRequestId = this.#newRequestId();
    const noAnswer: CancelOutcome = { outcome: 'unknown', reason: 'no answer to the cancel request in time' };
    const body = orderCancelRequest(clientOrderId, cancelRequestId, terms, this.#timers.now());
    return this.#request(this.#cancels, cancelRequestId, clientOrderId, noAnswer, MsgType.OrderCancelRequest, body)
      ?? { outcome: 'unknown', reason: `not sent: ${this.#notConnected()}`, retryAfterMs: NOT_LOGGED_ON_RETRY_AFTER_MS };
  }

  async lookup(clientOrderId: string): Promise<VenueOrderView | null> {
    const terms = await this.#terms(clientOrderId);
    if (!terms) return null;
    const statusRequestId = this.#newRequestId();
    const noAnswer = new Error('no answer to the status request in time');
    const body = orderStatusRequest(clientOrderId, statusRequestId, terms);
    const pending = this.#request<LookupAnswer | Error>(this.#lookups, statusRequestId, clientOrderId, noAnswer, MsgType.OrderStatusRequest, body);
    if (!pending) throw new Error(this.#notConnected());
    const answer = await pending;
    if (answer instanceof Error) throw answer;
    if (answer.kind === 'status') return isUnknownOrderAnswer(answer.execution) ? null : this.#ledger.view(clientOrderId, answer.execution);
    const { message } = answer;
    const businessReason = message.msgType === MsgType.BusinessMessageReject ? message.get(Tag.BusinessRejectReason) : undefined;
    if (businessReason === BusinessRejectReason.UnknownId) return null;
    if (businessReason === BusinessRejectReason.UnsupportedMessageType) {
      // The venue answers no status requests: what it reported on this session is its view.
      const view = this.#ledger.view(clientOrderId);
      if (view) return view;
    }
    throw new Error(`the venue did not answer the status request: ${rejectText(message)}`);
  }

  async #terms(clientOrderId: string): Promise<OrderTerms | undefined> {
    const own = this.#ledger.terms(clientOrderId);
    if (own || !this.#sharedOrder) return own;
    const shared = await this.#sharedOrder(clientOrderId);
    if (!shared) return undefined;
    this.#ledger.adopt(clientOrderId, shared);
    return shared;
  }

  /** Sends, then waits for the answer or the timeout; null when nothing could be sent. */
  #request<T>(
    waiters: Map<string, Waiter<T>>, key: string, clientOrderId: string, onTimeout: T, msgType: string, body: readonly FixField[],
  ): Promise<T> | null {
    let settle!: (answer: T) => void;
    const answered = new Promise<T>((resolve) => {
      const cancelTimeout = this.#timers.schedule(() => settle(onTimeout), this.#requestTimeoutMs);
      settle = (answer) => {
        if (waiters.get(key)?.settle !== settle) return;
        waiters.delete(key);
        cancelTimeout();
        resolve(answer);
      };
    });
    waiters.set(key, { clientOrderId, settle });
    const seqNum = this.#session.send(msgType, body);
    if (seqNum === null) {
      settle(onTimeout);
      return null;
    }
    this.#ledger.recordSent(seqNum, msgType, body);
    return answered;
  }

  #received(message: FixMessage): void {
    switch (message.msgType) {
      case MsgType.ExecutionReport:
        return this.#executionReport(message);
      case MsgType.OrderCancelReject:
        return this.#cancelRejected(message);
      case MsgType.Reject:
      case MsgType.BusinessMessageReject:
        return this.#requestRefused(message);
      default:
        this.#log.debug({ venue: this.name, msgType: message.msgType }, 'FIX message type not used by the gateway');
    }
  }

  #executionReport(message: FixMessage): void {
    const execution = readExecutionReport(message);
    if (typeof execution === 'string') return this.#log.error({ venue: this.name, message: message.toString() }, execution);
    const firstTime = this.#ledger.apply(execution);
    if (execution.execType === ExecType.OrderStatus) {
      const waiter = (execution.statusRequestId && this.#lookups.get(execution.statusRequestId)) || this.#lookupFor(execution.clientOrderId);
      waiter?.settle({ kind: 'status', execution });
      return;
    }
    const report = portReport(execution);
    if (report && firstTime) this.#deliver(report);
    if (execution.requestId === execution.clientOrderId && execution.execType !== ExecType.PendingNew) {
      this.#submits.get(execution.clientOrderId)?.settle(submitOutcomeOf(execution));
    }
    if (execution.execType === ExecType.PendingCancel || execution.execType === ExecType.Canceled) {
      this.#cancels.get(execution.requestId)?.settle({ outcome: 'requested' });
    }
  }

  #cancelRejected(message: FixMessage): void {
    const cancelRequestId = message.get(Tag.ClOrdID) ?? '';
    const clientOrderId = message.get(Tag.OrigClOrdID) ?? this.#cancels.get(cancelRequestId)?.clientOrderId ?? cancelRequestId;
    const venueOrderId = message.get(Tag.OrderID);
    const reason = message.get(Tag.CxlRejReason) === CxlRejReason.UnknownOrder ? 'unknown order' : (message.get(Tag.Text) ?? 'cancel refused by the venue');
    this.#deliver({ kind: 'cancel_rejected', clientOrderId, venueOrderId: venueOrderId && venueOrderId !== 'NONE' ? venueOrderId : null, reason, at: this.#timers.now() });
    this.#cancels.get(cancelRequestId)?.settle({ outcome: 'rejected', reason });
  }

  #requestRefused(message: FixMessage): void {
    const request = this.#ledger.requestAt(Number(message.get(Tag.RefSeqNum)));
    const reason = rejectText(message);
    if (!request) return this.#log.warn({ venue: this.name, message: message.toString() }, 'the venue refused a message that was not a request of ours');
    const at = this.#timers.now();
    switch (request.kind) {
      case 'submit':
        // A live order's id refused again (a resend, a repeat) leaves the order as it is.
        if (!this.#ledger.view(request.clientOrderId)) this.#deliver({ kind: 'rejected', clientOrderId: request.clientOrderId, venueOrderId: null, reason, at });
        return this.#submits.get(request.clientOrderId)?.settle({ outcome: 'rejected', reason });
      case 'cancel':
        this.#deliver({ kind: 'cancel_rejected', clientOrderId: request.clientOrderId, venueOrderId: null, reason, at });
        return this.#cancels.get(request.cancelRequestId)?.settle({ outcome: 'rejected', reason });
      case 'lookup':
        return this.#lookups.get(request.statusRequestId)?.settle({ kind: 'refused', message });
    }
  }

  /** For venues that do not echo OrdStatusReqID: the oldest status request about the order. */
  #lookupFor(clientOrderId: string): Waiter<LookupAnswer | Error> | undefined {
    for (const waiter of this.#lookups.values()) if (waiter.clientOrderId === clientOrderId) return waiter;
    return undefined;
  }

  #loggedOn(): void {
    this.#initiator.loggedOn();
    this.#log.info({ venue: this.name }, 'FIX session logged on');
    this.#channel.streamLive();
  }

  #disconnected(reason: string): void {
    this.#log.warn({ venue: this.name, reason }, 'FIX session disconnected');
    this.#abandonRequests(`disconnected before the venue answered: ${reason}`);
  }

  #abandonRequests(reason: string): void {
    for (const waiter of [...this.#submits.values()]) waiter.settle({ outcome: 'unknown', reason });
    for (const waiter of [...this.#cancels.values()]) waiter.settle({ outcome: 'unknown', reason });
    for (const waiter of [...this.#lookups.values()]) waiter.settle(new Error(reason));
  }

  #deliver(report: ExecutionReport): void {
    this.#channel.deliver(report);
  }

  #notConnected(): string {
    return `venue ${this.name} is not connected`;
  }
}

function submitOutcomeOf(execution: FixExecution): SubmitOutcome {
  if (execution.execType !== ExecType.Rejected) return { outcome: 'accepted', venueOrderId: execution.venueOrderId };
  if (execution.ordRejReason === OrdRejReason.DuplicateOrder) {
    return { outcome: 'unknown', reason: 'the venue already has an order with this id; look it up' };
  }
  return { outcome: 'rejected', reason: rejectionText(execution) };
}
