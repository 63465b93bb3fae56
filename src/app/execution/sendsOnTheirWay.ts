/**
 * The book of submits still on their way to one venue, by client order id: a submit stays on
 * it from the moment it leaves until the adapter's own call settles (answered, failed, or past
 * the adapter's deadline), however long its caller waited for it. The guard's timeout ends the
 * caller's wait, not the request (the venue port takes no abort signal), so until the call
 * settles the venue saying "no such order" would only mean "not yet".
 * Invariants: an entry leaves the book in the call's first reaction, so whoever sees the call's
 * outcome sees it settled; a newer submit of the same id is never removed by an older one; an
 * entry is overdue `capMs` after it left, a bound on waiting for an adapter whose deadline never
 * fires.
 */
import type { Clock, Schedule } from '../../ports/clock.ts';

/** Well past every adapter's own request deadline (10 s by default, requestTimeoutMs). */
export const SEND_CAP_MS = 60_000;

/**
 * Where an order's last submit stands: `settled` (answered, failed or past the adapter's own
 * deadline; or never sent), `in_flight`, or `overdue`: still unsettled capMs after it left.
 */
export type SendState = 'settled' | 'in_flight' | 'overdue';

interface Send {
  /** Resolves, never rejects, once the adapter's call settles. */
  readonly settled: Promise<void>;
  readonly overdueAt: number;
}

export class SendsOnTheirWay {
  readonly #sends = new Map<string, Send>();

  constructor(
    readonly capMs: number,
    private readonly clock: Clock,
    private readonly schedule: Schedule,
  ) {}

  /** Runs the adapter's submit, on the book until it settles. */
  track<T>(clientOrderId: string, work: () => Promise<T>): Promise<T> {
    const call = Promise.resolve().then(work);
    const forget = () => {
      if (this.#sends.get(clientOrderId) === send) this.#sends.delete(clientOrderId);
    };
    const send: Send = { settled: call.then(forget, forget), overdueAt: this.clock.now().getTime() + this.capMs };
    this.#sends.set(clientOrderId, send);
    return call;
  }

  /** Whether a submit of this order has left and its adapter call has not settled. */
  inFlight(clientOrderId: string): boolean {
    return this.#sends.has(clientOrderId);
  }

  /** When the submit of this order on its way becomes overdue (ms since the epoch); null when none is. */
  overdueAt(clientOrderId: string): number | null {
    return this.#sends.get(clientOrderId)?.overdueAt ?? null;
  }

  /**
   * Waits at most `withinMs` (and never past the cap) for this order's submit on its way to
   * settle, and says where it stands then; `settled` at once when none is on its way.
   */
  async settled(clientOrderId: string, withinMs = Number.POSITIVE_INFINITY): Promise<SendState> {
    const send = this.#sends.get(clientOrderId);
    if (!send) return 'settled';
    const leftMs = send.overdueAt - this.clock.now().getTime();
    if (leftMs > 0) {
      let cancel = () => {};
      const waited = new Promise<void>((resolve) => {
        cancel = this.schedule(resolve, Math.min(withinMs, leftMs));
      });
      await Promise.race([send.settled, waited]);
      cancel();
    }
    const still = this.#sends.get(clientOrderId);
    if (!still) return 'settled';
    return still.overdueAt <= this.clock.now().getTime() ? 'overdue' : 'in_flight';
  }
}
