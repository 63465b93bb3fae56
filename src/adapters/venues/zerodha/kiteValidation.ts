/**
 * Waiting for Kite to finish validating an order it has taken. A successful place only means
 * the OMS registered the order (Kite "Placing orders"); its risk checks then open it or refuse
 * it (REJECTED, e.g. "Insufficient funds…"). The wait reads the order's state, then sleeps on the
 * injected scheduler until the next poll or until the order update stream says something about
 * the order (wake), and gives up at the deadline.
 * Invariants: every wait is on the injected scheduler; the result is the first state past
 * validation, or null when none came before the deadline (or the venue closed).
 */
import type { Schedule } from '../broker/brokerHttp.ts';
import type { KiteReads } from './kiteReads.ts';
import { isAcknowledged, type KiteOrder } from './kiteWire.ts';

export class ValidationWaits {
  readonly #wakers = new Map<string, () => void>();

  constructor(
    private readonly reads: KiteReads,
    private readonly schedule: Schedule,
    private readonly timing: { readonly timeoutMs: number; readonly pollMs: number },
  ) {}

  /** The update stream reported on this order: read it now rather than at the next poll. Whether a wait was woken. */
  wake(orderId: string): boolean {
    const waker = this.#wakers.get(orderId);
    waker?.();
    return waker !== undefined;
  }

  wakeAll(): void {
    for (const wake of this.#wakers.values()) wake();
  }

  async settled(orderId: string, closed: () => boolean): Promise<KiteOrder | null> {
    let timedOut = false;
    const cancelDeadline = this.schedule(() => {
      timedOut = true;
      this.wake(orderId);
    }, this.timing.timeoutMs);
    try {
      for (;;) {
        const state = await this.reads.currentState(orderId).catch(() => null);
        if (state && (state.status === 'REJECTED' || isAcknowledged(state.status))) return state;
        if (timedOut || closed()) return null;
        await new Promise<void>((resolve) => {
          const cancelPoll = this.schedule(resolve, this.timing.pollMs);
          this.#wakers.set(orderId, () => {
            cancelPoll();
            resolve();
          });
        });
      }
    } finally {
      cancelDeadline();
      this.#wakers.delete(orderId);
    }
  }
}
