/**
 * Pre-trade risk for order intake: keeps instruments, limits, trading states and each
 * trader's book in memory (no query per order), runs the pure checks, and hands the use case
 * the reservation to commit with the order. Invariants:
 * - admit() evaluates synchronously after its last await, and records the admitted order as
 *   in flight until the caller settles it; a trip of the kill switch (setState) is seen by
 *   every admit() that evaluates after it, and settled() lets the kill switch wait for the
 *   orders admitted before it to commit, so its sweep finds them.
 * - A denial for buying power, position or loss is re-checked against a fresh read of the
 *   store before it is returned: another instance may have freed what this one thought taken.
 * - Shared state (instruments, settings) is re-read every `refreshMs` so changes made through
 *   another instance apply here too; the store re-checks buying power and halts on commit.
 */
import type { OrderEvent } from '../../domain/order/events.ts';
import type { Order, OrderTerms } from '../../domain/order/order.ts';
import type { Dec } from '../../domain/money.ts';
import { checkOrder, type RiskDecision } from '../../domain/risk/checks.ts';
import type { Denial } from '../../domain/risk/denials.ts';
import {
  effectiveLimits, FIRM_SCOPE, type EffectiveLimits, type Instrument, type LimitSettings, type TradingState,
} from '../../domain/risk/limits.ts';
import type { AccountEffect, AccountStore } from '../../ports/accounts.ts';
import type { Clock } from '../../ports/clock.ts';
import type { OrderStore } from '../../ports/store.ts';
import { settlementEffect, tradingDayOf } from '../accounts/settlement.ts';
import { storedLimits } from './limitsCodec.ts';
import { duplicateKey, TraderBook } from './traderBook.ts';

export interface RiskGateOptions {
  readonly openingCash: Dec;
  /** A live reference price (the simulated exchange's); the stored one applies when it has none. */
  readonly livePrice?: (symbol: string) => Dec | null;
  /** A trader's book older than this is re-read before its next order (other instances' changes). */
  readonly bookMaxAgeMs?: number;
}

/**
 * How long a trader's book is trusted before its next order re-reads it. It only has to catch
 * what other instances did: this one keeps its books current itself (holds on admission,
 * re-reads after every settlement), and the store re-checks buying power at commit and every
 * buying-power, position or loss denial against a fresh read. So one instance on the embedded
 * store re-reads rarely, and instances sharing PostgreSQL every 2 s (a re-read lists the
 * trader's open reservations, so it is not free).
 */
export function bookMaxAgeMs(dialect: OrderStore['dialect']): number {
  return dialect === 'sqlite' ? 60_000 : 2_000;
}

export type Admission =
  | { readonly ok: true; readonly effect: AccountEffect; settle(committed: boolean): void }
  | { readonly ok: false; readonly denial: Denial };

const RECHECKED: ReadonlySet<Denial['code']> = new Set(['insufficient_buying_power', 'insufficient_position', 'daily_loss_limit_reached', 'max_position_exceeded', 'reducing_only']);

export class RiskGate {
  private instruments = new Map<string, Instrument>();
  private limits = new Map<string, LimitSettings>();
  private states = new Map<string, TradingState>();
  private readonly books = new Map<string, TraderBook>();
  private readonly inFlight = new Map<string, Set<Promise<void>>>();
  private readonly loading = new Map<string, Promise<void>>();
  /** Counts local changes, so a refresh that overlapped one does not overwrite it. */
  private changes = 0;

  constructor(
    readonly store: AccountStore,
    private readonly clock: Clock,
    readonly options: RiskGateOptions,
  ) {}

  /** Reads instruments and settings; call once before admitting and then periodically. */
  async refreshShared(): Promise<void> {
    const started = this.changes;
    const [instruments, settings] = await Promise.all([this.store.listInstruments(), this.store.listSettings()]);
    const limits = new Map<string, LimitSettings>();
    const states = new Map<string, TradingState>();
    for (const { key, value } of settings) {
      const [kind, scope] = splitKey(key);
      if (kind === 'limits') limits.set(scope, storedLimits(value));
      if (kind === 'state') states.set(scope, value as TradingState);
    }
    // A change made here while the read was under way is newer than what it read.
    if (this.changes !== started) return;
    this.instruments = new Map(instruments.map((i) => [i.symbol, i]));
    this.limits = limits;
    this.states = states;
  }

  instrument(symbol: string): Instrument | null {
    const stored = this.instruments.get(symbol);
    if (!stored) return null;
    const live = this.options.livePrice?.(symbol) ?? null;
    return live === null ? stored : { ...stored, referencePrice: live };
  }

  listInstruments(): Instrument[] {
    return [...this.instruments.keys()].sort().map((s) => this.instrument(s)!);
  }

  limitsFor(traderId: string): EffectiveLimits {
    return effectiveLimits(this.limits.get(FIRM_SCOPE) ?? {}, this.limits.get(traderId) ?? {});
  }

  settingsOf(scope: string): LimitSettings {
    return this.limits.get(scope) ?? {};
  }

  stateOf(scope: string): TradingState {
    return this.states.get(scope) ?? 'active';
  }

  /** Applies a state at once in this process (the kill switch calls it before it writes the store). */
  setState(scope: string, state: TradingState): void {
    this.changes++;
    this.states.set(scope, state);
  }

  setLimits(scope: string, settings: LimitSettings): void {
    this.changes++;
    this.limits.set(scope, settings);
  }

  setInstrument(instrument: Instrument): void {
    this.changes++;
    this.instruments.set(instrument.symbol, instrument);
  }

  /** The account side of an order's venue events, or null when they touch no account. */
  settlementFor(before: Order, after: Order, events: readonly OrderEvent[], at: Date): AccountEffect | null {
    return settlementEffect(before, after, events, this.options.openingCash, at);
  }

  /** Forgets the trader's snapshot: the next order re-reads it (after fills, releases, cash). */
  invalidate(traderId: string): void {
    const book = this.books.get(traderId);
    if (book) book.stale = true;
  }

  async book(traderId: string): Promise<TraderBook> {
    const book = this.bookOf(traderId);
    if (!this.fresh(book)) await this.reload(traderId, book);
    return book;
  }

  /**
   * Answers at once when the trader's book is fresh (the usual case): an await here would put
   * every order one turn of the event loop behind, and under load into a later group commit.
   */
  admit(terms: OrderTerms): Admission | Promise<Admission> {
    const book = this.bookOf(terms.traderId);
    if (!this.fresh(book)) return this.reload(terms.traderId, book).then(() => this.decide(terms, book));
    return this.decide(terms, book);
  }

  private decide(terms: OrderTerms, book: TraderBook): Admission | Promise<Admission> {
    const first = this.evaluate(terms, book);
    if (first.ok || !RECHECKED.has(first.error.code)) return this.take(terms, book, first);
    return this.reload(terms.traderId, book).then(() => this.take(terms, book, this.evaluate(terms, book)));
  }

  private bookOf(traderId: string): TraderBook {
    let book = this.books.get(traderId);
    if (!book) {
      book = new TraderBook();
      this.books.set(traderId, book);
    }
    return book;
  }

  private fresh(book: TraderBook): boolean {
    return !book.stale && this.clock.now().getTime() - book.loadedAtMs <= (this.options.bookMaxAgeMs ?? 2000);
  }

  /** Resolves when every order admitted so far in scope (a trader, or FIRM_SCOPE for all) has committed or failed. */
  async settled(scope: string): Promise<void> {
    const sets = scope === FIRM_SCOPE ? [...this.inFlight.values()] : [this.inFlight.get(scope) ?? new Set()];
    await Promise.all(sets.flatMap((s) => [...s]));
  }

  /** The inputs of the checks for one trader and symbol, also shown by GET /account. */
  evaluate(terms: Pick<OrderTerms, 'traderId' | 'symbol' | 'side' | 'type' | 'quantity' | 'limitPrice' | 'stopPrice'>, book: TraderBook): RiskDecision {
    const now = this.clock.now();
    const limits = this.limitsFor(terms.traderId);
    return checkOrder(terms, this.instrument(terms.symbol), {
      limits,
      firmState: this.stateOf(FIRM_SCOPE),
      traderState: this.stateOf(terms.traderId),
      buyingPower: book.buyingPower(),
      position: book.exposure(terms.symbol),
      pnlToday: this.pnlToday(book, now),
      ordersInLastSecond: book.ordersInLastSecond(now.getTime()),
      duplicateAgeMs: book.duplicateAgeMs(duplicateKey(terms), now.getTime()),
    });
  }

  pnlToday(book: TraderBook, now: Date): Dec {
    return book.realizedToday(tradingDayOf(now)).plus(book.unrealized((s) => this.instrument(s)?.referencePrice ?? null));
  }

  private take(terms: OrderTerms, book: TraderBook, decision: RiskDecision): Admission {
    if (!decision.ok) return { ok: false, denial: decision.error };
    const now = this.clock.now();
    const reservation = decision.value;
    const release = book.hold(terms, reservation, now.getTime(), this.limitsFor(terms.traderId).duplicateWindowMs);
    let done!: () => void;
    const flight = new Promise<void>((resolve) => (done = resolve));
    const set = this.inFlight.get(terms.traderId) ?? new Set();
    this.inFlight.set(terms.traderId, set.add(flight));
    return {
      ok: true,
      effect: {
        traderId: terms.traderId, orderId: terms.id, symbol: terms.symbol, side: terms.side, openingCash: this.options.openingCash,
        reserve: { quantity: terms.quantity, ...reservation }, fills: [], releaseRest: false, tradingDay: tradingDayOf(now), at: now,
      },
      settle: (committed) => {
        release(committed);
        set.delete(flight);
        if (set.size === 0) this.inFlight.delete(terms.traderId);
        done();
      },
    };
  }

  /** Concurrent reloads of one book share one read. */
  private reload(traderId: string, book: TraderBook): Promise<void> {
    let loading = this.loading.get(traderId);
    if (!loading) {
      loading = this.store.loadTrader(traderId)
        .then((snapshot) => book.load(snapshot, this.options.openingCash, this.clock.now().getTime()))
        .finally(() => this.loading.delete(traderId));
      this.loading.set(traderId, loading);
    }
    return loading;
  }
}

function splitKey(key: string): [string, string] {
  const colon = key.indexOf(':');
  return [key.slice(0, colon), key.slice(colon + 1)];
}
