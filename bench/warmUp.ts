/**
 * The warm-up of a latency bench. A freshly started gateway is still compiling its hot paths
 * for its first ten to twenty seconds (V8 optimises, deoptimises and optimises again on threads
 * that take the machine's cores from the path being timed), so samples taken then measure the
 * start-up, not the gateway a trader reaches after it has run for a while. The bench therefore
 * samples, unmeasured, for `seconds` (and at least `minSamples` times) before it measures, and
 * reports those cold samples apart from the measured ones, so neither figure hides the other.
 */
export class WarmUp {
  readonly #until: number;
  #samples = 0;

  constructor(seconds: number, private readonly minSamples = 20) {
    this.#until = performance.now() + seconds * 1000;
  }

  /** Called once per sample, before taking it: whether that sample belongs to the warm-up. */
  cold(): boolean {
    const cold = this.#samples < this.minSamples || performance.now() < this.#until;
    if (cold) this.#samples += 1;
    return cold;
  }
}
