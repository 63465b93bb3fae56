/**
 * Fault injection for the simulated exchange, configured per venue: what a bad network and a
 * struggling venue do to a gateway. A FaultPlan decides, from a seed, what happens to each
 * request; FaultyVenue applies it in front of an in-process exchange (the HTTP front applies
 * the same plan to its requests).
 * - drop: the exchange takes the order, the answer is lost (unknown to the gateway).
 * - error: a 5xx before the exchange sees the request.
 * - timeout: no answer at all; half the time the exchange took the order first.
 * - throttle: 429 with a Retry-After, before the exchange sees the request.
 * - on the report stream: fills duplicated (delivered 2–3 times) and reordered (held back a
 *   little so later reports overtake them), and disconnects that lose every report until the
 *   stream is restored.
 * Invariant: a fault never changes what the exchange itself holds; only what the gateway hears.
 */
import { systemSchedule, type Schedule } from '../../../ports/clock.ts';
import type {
  CancelOutcome, ExecutionReport, ExecutionReportListener, FillSimulator, SubmitOutcome, Venue, VenueFillsPage,
  VenueOrderRequest, VenueOrderView,
} from '../../../ports/venue.ts';
import type { SimulatedExchange } from './simulatedExchange.ts';

export interface FaultSettings {
  readonly dropAnswerPct: number;
  readonly errorPct: number;
  readonly timeoutPct: number;
  readonly throttlePct: number;
  readonly retryAfterMs: number;
  /** Lookups answered with a 5xx. */
  readonly lookupErrorPct: number;
  /** Fill reports delivered more than once. */
  readonly duplicateFillPct: number;
  /** Fill reports held back up to this long, so what follows may overtake them. 0: never. */
  readonly reorderFillsMs: number;
  readonly seed: number;
}

export const NO_FAULTS: FaultSettings = {
  dropAnswerPct: 0, errorPct: 0, timeoutPct: 0, throttlePct: 0, retryAfterMs: 1_000, lookupErrorPct: 0,
  duplicateFillPct: 0, reorderFillsMs: 0, seed: 1,
};

export type SubmitFault = 'drop' | 'error' | 'timeout_taken' | 'timeout_lost' | 'throttle';

/** Parses `drop=20,error=5,timeout=5,throttle=1,retry_after_ms=500,lookup_error=0,dup_fills=10,reorder_ms=5,seed=7`. */
export function parseFaultSettings(text: string): FaultSettings {
  const keys: Record<string, keyof FaultSettings> = {
    drop: 'dropAnswerPct', error: 'errorPct', timeout: 'timeoutPct', throttle: 'throttlePct', retry_after_ms: 'retryAfterMs',
    lookup_error: 'lookupErrorPct', dup_fills: 'duplicateFillPct', reorder_ms: 'reorderFillsMs', seed: 'seed',
  };
  const settings: Record<string, number> = { ...NO_FAULTS };
  for (const pair of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [name, value] = pair.split('=');
    const key = keys[name ?? ''];
    if (!key || value === undefined || !/^\d+(\.\d+)?$/.test(value)) {
      throw new Error(`fault settings must look like "drop=20,error=5,timeout=5"; cannot read "${pair}" (known: ${Object.keys(keys).join(', ')})`);
    }
    settings[key] = Number(value);
  }
  return settings as unknown as FaultSettings;
}

/** mulberry32: small, fast, seeded; good enough to spread faults, not for anything secret. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultPlan {
  readonly random: () => number;
  readonly injected: Record<SubmitFault | 'lookup_error' | 'duplicate_fill', number> = {
    drop: 0, error: 0, timeout_taken: 0, timeout_lost: 0, throttle: 0, lookup_error: 0, duplicate_fill: 0,
  };
  readonly #forced: SubmitFault[] = [];

  constructor(public settings: FaultSettings) {
    this.random = seededRandom(settings.seed);
  }

  /** The next submit gets this fault, whatever the odds (tests script one case with it). */
  force(fault: SubmitFault): void {
    this.#forced.push(fault);
  }

  nextSubmitFault(): SubmitFault | null {
    const fault = this.#forced.shift() ?? this.#draw();
    if (fault) this.injected[fault] += 1;
    return fault;
  }

  lookupFails(): boolean {
    const fails = this.random() * 100 < this.settings.lookupErrorPct;
    if (fails) this.injected.lookup_error += 1;
    return fails;
  }

  /** How many times to deliver a fill report: 1, or 2–3 when duplicated. */
  fillCopies(): number {
    if (this.random() * 100 >= this.settings.duplicateFillPct) return 1;
    this.injected.duplicate_fill += 1;
    return this.random() < 0.5 ? 2 : 3;
  }

  fillDelayMs(): number {
    return this.settings.reorderFillsMs > 0 ? Math.floor(this.random() * (this.settings.reorderFillsMs + 1)) : 0;
  }

  #draw(): SubmitFault | null {
    const s = this.settings;
    let roll = this.random() * 100;
    if ((roll -= s.dropAnswerPct) < 0) return 'drop';
    if ((roll -= s.errorPct) < 0) return 'error';
    if ((roll -= s.timeoutPct) < 0) return this.random() < 0.5 ? 'timeout_taken' : 'timeout_lost';
    if ((roll -= s.throttlePct) < 0) return 'throttle';
    return null;
  }
}

export interface FaultyVenueOptions {
  readonly schedule?: Schedule;
  /** How long a timed-out request stays unanswered; the gateway's own timeout should be shorter. */
  readonly hangMs?: number;
  /** A dropped answer takes the order's stream with it: none of its reports arrive (the session died). */
  readonly muteDroppedOrders?: boolean;
}

/** The in-process exchange behind a fault plan. Everything not faulted passes straight through. */
export class FaultyVenue implements Venue, FillSimulator {
  readonly name: string;
  readonly #listeners = new Set<ExecutionReportListener>();
  readonly #restored = new Set<() => void>();
  readonly #schedule: Schedule;
  readonly #hangMs: number;
  readonly #muteDropped: boolean;
  readonly #muted = new Set<string>();
  #connected = true;

  constructor(readonly inner: SimulatedExchange, readonly plan: FaultPlan, options: FaultyVenueOptions = {}) {
    this.name = inner.name;
    this.#schedule = options.schedule ?? systemSchedule;
    this.#hangMs = options.hangMs ?? 30_000;
    this.#muteDropped = options.muteDroppedOrders ?? false;
    inner.onExecutionReport((report) => this.#relay(report));
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  healthy(): boolean {
    return this.inner.healthy() && this.#connected;
  }

  onExecutionReport(listener: ExecutionReportListener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  onStreamRestored(listener: () => void): () => void {
    this.#restored.add(listener);
    return () => void this.#restored.delete(listener);
  }

  /** The report stream breaks: reports are lost until restoreStream(). */
  breakStream(): void {
    this.#connected = false;
  }

  restoreStream(): void {
    this.#connected = true;
    for (const listener of [...this.#restored]) listener();
  }

  async submit(request: VenueOrderRequest): Promise<SubmitOutcome> {
    switch (this.plan.nextSubmitFault()) {
      case null:
        return this.inner.submit(request);
      case 'drop':
        if (this.#muteDropped) this.#muted.add(request.clientOrderId);
        await this.inner.submit(request);
        return { outcome: 'unknown', reason: 'connection reset after the request was sent' };
      case 'error':
        return { outcome: 'unknown', reason: 'HTTP 503 Service Unavailable' };
      case 'throttle': {
        const retryAfterMs = this.plan.settings.retryAfterMs;
        return { outcome: 'unknown', reason: `429 Too Many Requests: retry after ${retryAfterMs / 1000} s`, retryAfterMs };
      }
      case 'timeout_taken':
        await this.inner.submit(request);
        return this.#hang();
      case 'timeout_lost':
        return this.#hang();
    }
  }

  cancel(clientOrderId: string): Promise<CancelOutcome> {
    return this.inner.cancel(clientOrderId);
  }

  async lookup(clientOrderId: string): Promise<VenueOrderView | null> {
    if (this.plan.lookupFails()) throw new Error('HTTP 503 Service Unavailable');
    return this.inner.lookup(clientOrderId);
  }

  openOrders(): Promise<VenueOrderView[]> {
    return this.inner.openOrders();
  }

  fillsSince(cursor: string | null, limit: number): Promise<VenueFillsPage> {
    return this.inner.fillsSince(cursor, limit);
  }

  simulateFills(...args: Parameters<FillSimulator['simulateFills']>): ReturnType<FillSimulator['simulateFills']> {
    return this.inner.simulateFills(...args);
  }

  #hang(): Promise<SubmitOutcome> {
    return new Promise((resolve) => this.#schedule(() => resolve({ outcome: 'unknown', reason: 'no answer' }), this.#hangMs));
  }

  #relay(report: ExecutionReport): void {
    if (!this.#connected || this.#muted.has(report.clientOrderId)) return;
    const copies = report.kind === 'fill' ? this.plan.fillCopies() : 1;
    for (let copy = 0; copy < copies; copy += 1) {
      const delay = report.kind === 'fill' ? this.plan.fillDelayMs() : 0;
      if (delay === 0 && copy === 0) this.#deliver(report);
      else this.#schedule(() => this.#deliver(report), delay);
    }
  }

  #deliver(report: ExecutionReport): void {
    if (!this.#connected) return;
    for (const listener of [...this.#listeners]) listener(report);
  }
}
