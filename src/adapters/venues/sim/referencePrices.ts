/**
 * The simulated exchange's reference prices: one per symbol, standing for the wider market the
 * exchange draws synthetic liquidity from. They move by a seeded random walk so a run can be
 * replayed exactly from its seed.
 * Invariants: every price is a positive multiple of the tick size; the same seed and the same
 * sequence of calls give the same prices.
 */
import { D, type Dec } from '../../../domain/money.ts';

/** mulberry32: a tiny seeded PRNG giving unsigned 32-bit integers, good enough for a simulation. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Steps are drawn as whole numbers in [-STEPS, STEPS] so no float ever touches a price. */
const STEPS = 10_000;

export function roundToTick(price: Dec, tickSize: Dec): Dec {
  const rounded = price.div(tickSize).toDecimalPlaces(0, D.ROUND_HALF_EVEN).times(tickSize);
  return rounded.lt(tickSize) ? tickSize : rounded;
}

export class ReferencePrices {
  readonly #prices = new Map<string, Dec>();
  readonly #next: () => number;

  constructor(
    startPrices: Readonly<Record<string, string | Dec>>,
    readonly tickSize: Dec,
    private readonly volatilityBps: Dec,
    seed: number,
  ) {
    if (!tickSize.gt(0)) throw new RangeError('tick size must be positive');
    if (volatilityBps.isNegative()) throw new RangeError('volatility must not be negative');
    for (const [symbol, text] of Object.entries(startPrices)) {
      const price = new D(text);
      if (!price.gt(0)) throw new RangeError(`start price of ${symbol} must be positive`);
      this.#prices.set(symbol, roundToTick(price, tickSize));
    }
    this.#next = mulberry32(seed);
  }

  symbols(): string[] {
    return [...this.#prices.keys()];
  }

  has(symbol: string): boolean {
    return this.#prices.has(symbol);
  }

  get(symbol: string): Dec | null {
    return this.#prices.get(symbol) ?? null;
  }

  set(symbol: string, price: Dec): Dec {
    if (!this.#prices.has(symbol)) throw new RangeError(`unknown symbol ${symbol}`);
    const rounded = roundToTick(price, this.tickSize);
    this.#prices.set(symbol, rounded);
    return rounded;
  }

  /** Moves every symbol one step: at most volatilityBps of its price, up or down. */
  walk(): void {
    for (const [symbol, price] of this.#prices) {
      const step = (this.#next() % (2 * STEPS + 1)) - STEPS;
      const move = price.times(this.volatilityBps).times(step).div(10_000 * STEPS);
      this.#prices.set(symbol, roundToTick(price.plus(move), this.tickSize));
    }
  }
}
