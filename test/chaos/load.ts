/**
 * The clients of a crash test: traders placing orders over HTTP while gateways die under
 * them. Each order has its own client order id and Idempotency-Key, kept across retries, as a
 * careful client does: a connection that breaks, a 5xx or a 503 is retried (on any gateway)
 * until the gateway answers 201 (or 409 naming the order it already holds: also acknowledged);
 * any other 4xx ends the order unacknowledged. Seeded: the same seed places the same orders.
 */
import { seededRandom } from '../../src/adapters/venues/sim/faults.ts';
import { tokenFor } from './processes.ts';

export interface LoadOptions {
  /** The gateways to send to; asked again before every request (they come and go). */
  readonly urls: () => readonly string[];
  readonly traders: number;
  readonly orders: number;
  /** Each trader waits this long between two orders. */
  readonly paceMs: number;
  readonly seed: number;
  readonly requestTimeoutMs?: number;
}

export interface PlacedOrder {
  readonly traderId: string;
  readonly clientOrderId: string;
  acknowledged: boolean;
  orderId: string | null;
  /** HTTP requests it took. */
  requests: number;
  refusal: string | null;
}

const SYMBOLS = ['AAPL', 'MSFT', 'GOOGL', 'AMZN', 'TSLA', 'NVDA'];
const PRICES: Record<string, number> = { AAPL: 150, MSFT: 400, GOOGL: 170, AMZN: 180, TSLA: 250, NVDA: 120 };

export class LoadGenerator {
  readonly placed: PlacedOrder[] = [];
  #stopped = false;
  #loops: Promise<void>[] = [];

  constructor(private readonly options: LoadOptions) {}

  start(runId: string): void {
    const perTrader = Math.ceil(this.options.orders / this.options.traders);
    for (let t = 0; t < this.options.traders; t += 1) {
      const count = Math.min(perTrader, this.options.orders - t * perTrader);
      if (count > 0) this.#loops.push(this.#trader(`chaos-${runId}-t${t}`, count, seededRandom(this.options.seed * 1_000 + t)));
    }
  }

  /** Resolves when every trader has placed (or given up on) all its orders. */
  async done(): Promise<void> {
    await Promise.all(this.#loops);
  }

  stop(): void {
    this.#stopped = true;
  }

  async #trader(traderId: string, count: number, random: () => number): Promise<void> {
    const bearer = `Bearer ${await tokenFor(traderId)}`;
    for (let i = 0; i < count && !this.#stopped; i += 1) {
      const symbol = SYMBOLS[Math.floor(random() * SYMBOLS.length)]!;
      const resting = random() < 0.3;
      const body = {
        symbol, side: 'buy', quantity: String(1 + Math.floor(random() * 5)), type: resting ? 'limit' : 'market', time_in_force: 'gtc',
        ...(resting ? { limit_price: (PRICES[symbol]! * 0.95).toFixed(2) } : {}), client_order_id: `${traderId}-${i}`,
      };
      const order: PlacedOrder = { traderId, clientOrderId: body.client_order_id, acknowledged: false, orderId: null, requests: 0, refusal: null };
      this.placed.push(order);
      await this.#place(order, bearer, body, random);
      await new Promise((resolve) => setTimeout(resolve, this.options.paceMs * (0.5 + random())));
    }
  }

  async #place(order: PlacedOrder, bearer: string, body: Record<string, unknown>, random: () => number): Promise<void> {
    while (!this.#stopped) {
      const urls = this.options.urls();
      const url = urls[Math.floor(random() * urls.length)];
      if (!url) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      order.requests += 1;
      try {
        const response = await fetch(`${url}/api/v1/orders`, {
          method: 'POST',
          headers: { authorization: bearer, 'content-type': 'application/json', 'idempotency-key': order.clientOrderId },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 5_000),
        });
        const answer = (await response.json()) as { id?: string; code?: string; existing_order_id?: string };
        if (response.status === 201) {
          order.acknowledged = true;
          order.orderId = answer.id ?? null;
          return;
        }
        if (response.status === 409 && answer.code === 'duplicate_client_order_id') {
          order.acknowledged = true;
          order.orderId = answer.existing_order_id ?? null;
          return;
        }
        if (response.status >= 400 && response.status < 500 && response.status !== 409 && response.status !== 429) {
          order.refusal = `${response.status} ${answer.code ?? ''}`;
          return;
        }
      } catch {
        // The gateway died or stalled mid-request: the order may or may not be in; ask again.
      }
      await new Promise((resolve) => setTimeout(resolve, 50 + random() * 100));
    }
  }
}
