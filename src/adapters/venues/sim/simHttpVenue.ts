/**
 * The Venue port over the simulated exchange's HTTP front (httpFront.ts): the gateway's view of
 * an exchange in another process. How answers map to outcomes:
 * - 200 accepted; 422 rejected with the venue's reason (definitive);
 * - 409 "duplicate client order id": unknown, not rejected: the venue holds an order under this
 *   id from an earlier attempt, and only a lookup says in what state;
 * - 429 unknown with the Retry-After; any 5xx, a reset connection or no answer before the
 *   request deadline: unknown.
 * Reports arrive on a WebSocket carrying sequence numbers; after a break the client reconnects
 * with the last one it saw, so the front replays what was missed (each report once), then
 * tells the onStreamRestored listeners. A fresh start takes only new reports: what happened
 * while the gateway was down is for reconciliation to fetch.
 */
import WebSocket from 'ws';
import { decimalText } from '../../../domain/money.ts';
import { systemSchedule, type Schedule } from '../../../ports/clock.ts';
import {
  VenueThrottled, type CancelOutcome, type ExecutionReportListener, type FillSimulator, type SubmitOutcome, type Venue,
  type VenueFillsPage, type VenueOrderRequest, type VenueOrderView,
} from '../../../ports/venue.ts';
import { fillRecordFromJson, reportFromJson, requestToJson, viewFromJson } from './wire.ts';

export interface SimHttpVenueOptions {
  readonly name: string;
  readonly url: string;
  /** A request with no answer by then is abandoned as unknown. */
  readonly requestTimeoutMs?: number;
  readonly reconnectMs?: number;
  /** Timers for request deadlines and reconnects (tests move them by hand). */
  readonly schedule?: Schedule;
}

type Answer = { readonly status: number; readonly body: Record<string, unknown>; readonly retryAfterS: number | null };

export class SimHttpVenue implements Venue, FillSimulator {
  readonly name: string;
  readonly #url: string;
  readonly #timeoutMs: number;
  readonly #reconnectMs: number;
  readonly #schedule: Schedule;
  readonly #listeners = new Set<ExecutionReportListener>();
  readonly #restored = new Set<() => void>();
  #socket: WebSocket | null = null;
  #lastSeq: number | null = null;
  #connected = false;
  #closing = false;
  #everConnected = false;

  constructor(options: SimHttpVenueOptions) {
    this.name = options.name;
    this.#url = options.url.replace(/\/$/, '');
    this.#timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.#reconnectMs = options.reconnectMs ?? 250;
    this.#schedule = options.schedule ?? systemSchedule;
  }

  /** Connects the report stream; resolves once it is up (or after a first failed try, reconnecting behind). */
  start(): Promise<void> {
    this.#closing = false;
    return new Promise((resolve) => this.#connect(resolve));
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#socket?.terminate();
    this.#socket = null;
    this.#connected = false;
  }

  healthy(): boolean {
    return this.#connected;
  }

  onExecutionReport(listener: ExecutionReportListener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  onStreamRestored(listener: () => void): () => void {
    this.#restored.add(listener);
    return () => void this.#restored.delete(listener);
  }

  async submit(request: VenueOrderRequest): Promise<SubmitOutcome> {
    let answer: Answer;
    try {
      answer = await this.#call('POST', '/orders', requestToJson(request));
    } catch (error) {
      return { outcome: 'unknown', reason: (error as Error).message };
    }
    const { status, body } = answer;
    if (status === 200) return { outcome: 'accepted', venueOrderId: String(body.venue_order_id) };
    if (status === 422) return { outcome: 'rejected', reason: String(body.reason) };
    if (status === 409) return { outcome: 'unknown', reason: 'the venue already holds an order with this client order id; look it up' };
    return this.#unknown(answer);
  }

  async cancel(clientOrderId: string): Promise<CancelOutcome> {
    try {
      const answer = await this.#call('POST', `/orders/${encodeURIComponent(clientOrderId)}/cancel`, {});
      return answer.status === 200 ? (answer.body as unknown as CancelOutcome) : this.#unknown(answer);
    } catch (error) {
      return { outcome: 'unknown', reason: (error as Error).message };
    }
  }

  async lookup(clientOrderId: string): Promise<VenueOrderView | null> {
    const answer = await this.#call('GET', `/orders/${encodeURIComponent(clientOrderId)}`);
    if (answer.status === 404) return null;
    return viewFromJson(this.#ok(answer));
  }

  async openOrders(): Promise<VenueOrderView[]> {
    return (this.#ok(await this.#call('GET', '/open-orders')) as unknown as Record<string, unknown>[]).map(viewFromJson);
  }

  async fillsSince(cursor: string | null, limit: number): Promise<VenueFillsPage> {
    const query = new URLSearchParams({ limit: String(limit), ...(cursor === null ? {} : { after: cursor }) });
    const body = this.#ok(await this.#call('GET', `/fills?${query}`));
    return { fills: (body.fills as Record<string, unknown>[]).map(fillRecordFromJson), cursor: String(body.cursor) };
  }

  async simulateFills(...[clientOrderId, fills]: Parameters<FillSimulator['simulateFills']>): ReturnType<FillSimulator['simulateFills']> {
    const answer = await this.#call('POST', '/admin/simulate-fills', {
      client_order_id: clientOrderId, fills: fills.map((f) => ({ price: decimalText(f.price), quantity: decimalText(f.quantity) })),
    });
    if (answer.status === 200) return { ok: true, reports: [] };
    const code = String(answer.body.code) as 'order_not_at_venue' | 'order_not_working';
    return { ok: false, error: { code, message: String(answer.body.message) } };
  }

  #ok(answer: Answer): Record<string, unknown> {
    if (answer.status === 200) return answer.body;
    if (answer.status === 429) throw new VenueThrottled(`429 from ${this.name}`, (answer.retryAfterS ?? 1) * 1000);
    throw new Error(`HTTP ${answer.status} from ${this.name}`);
  }

  #unknown(answer: Answer): { outcome: 'unknown'; reason: string; retryAfterMs?: number } {
    if (answer.status === 429) {
      const seconds = answer.retryAfterS ?? 1;
      return { outcome: 'unknown', reason: `429 Too Many Requests: retry after ${seconds} s`, retryAfterMs: seconds * 1000 };
    }
    return { outcome: 'unknown', reason: `HTTP ${answer.status} from ${this.name}` };
  }

  async #call(method: string, path: string, body?: unknown): Promise<Answer> {
    const controller = new AbortController();
    const cancel = this.#schedule(() => controller.abort(), this.#timeoutMs);
    try {
      const response = await fetch(`${this.#url}${path}`, {
        method, signal: controller.signal,
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      const text = await response.text();
      const retryAfter = response.headers.get('retry-after');
      return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, retryAfterS: retryAfter === null ? null : Number(retryAfter) };
    } catch (error) {
      if (controller.signal.aborted) throw new Error(`no answer from ${this.name} within ${this.#timeoutMs} ms`);
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`connection to ${this.name} lost: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    } finally {
      cancel();
    }
  }

  #connect(onFirstAttempt?: () => void): void {
    if (this.#closing) return onFirstAttempt?.();
    const after = this.#lastSeq === null ? 'now' : String(this.#lastSeq);
    const socket = new WebSocket(`${this.#url.replace(/^http/, 'ws')}/reports?after=${after}`);
    this.#socket = socket;
    let settledFirst = false;
    const first = () => {
      if (!settledFirst) {
        settledFirst = true;
        onFirstAttempt?.();
      }
    };
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; seq: number; report?: Record<string, unknown> };
      if (message.type === 'hello') {
        if (this.#lastSeq === null) this.#lastSeq = message.seq;
        const restored = this.#everConnected;
        this.#connected = true;
        this.#everConnected = true;
        first();
        // Replayed reports follow the hello in order; listeners hear of the restore after them.
        if (restored) setImmediate(() => { for (const listener of [...this.#restored]) listener(); });
        return;
      }
      if (message.seq <= (this.#lastSeq ?? 0)) return;
      this.#lastSeq = message.seq;
      const report = reportFromJson(message.report!);
      for (const listener of [...this.#listeners]) listener(report);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.#socket === socket) this.#connected = false;
      first();
      if (!this.#closing && this.#socket === socket) this.#schedule(() => this.#connect(), this.#reconnectMs);
    });
  }
}
