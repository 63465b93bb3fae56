/**
 * One subscription per name (a venue's onStreamRestored listener): subscribing again under a
 * name ends the one before, as when a venue's adapter is replaced; clear() ends them all.
 */
export class SubscriptionsByName {
  readonly #stops = new Map<string, () => void>();

  /** `stop` ends the new subscription; undefined when there is nothing to subscribe to. */
  set(name: string, stop: (() => void) | undefined): void {
    this.#stops.get(name)?.();
    this.#stops.delete(name);
    if (stop) this.#stops.set(name, stop);
  }

  clear(): void {
    for (const stop of this.#stops.values()) stop();
    this.#stops.clear();
  }
}
