/**
 * Keeps each instance's venue adapters in step with the stored venue configurations and
 * credentials while the gateway runs: a venue configured over the admin API gets its adapter
 * at once on the instance that took the change (sync()) and within refreshMs on the others;
 * a venue whose settings or credentials change (a broker's daily token, a new FIX host) gets
 * a new adapter in place of the old one.
 * Invariants:
 * - The new adapter is started, and must say it is healthy, before it is put in service, and
 *   the old one is closed only after: a venue never goes without an adapter because of a
 *   change. A change that cannot run (no credentials, a bad setting, a build that fails, a
 *   venue that refuses the new adapter) leaves the running adapter as it is, logged once per
 *   change, not once per refresh.
 * - Except a venue whose two adapters must never run at once (`exclusive`: a FIX session, one
 *   logon per session, its numbers and sent orders kept in one folder): the old adapter is
 *   closed first and the new one built after, from what the old one left. If the new one
 *   cannot run, one is built again from the old configuration.
 * - The active flag is routing's (RoutingVenues): it never starts or stops an adapter, so
 *   orders already working at a venue taken out of routing are still followed there.
 * - Passes never overlap; a sync asked for while one runs waits for it and then runs its own.
 * - `fixed` venues (the built-in `sim`, described from the environment at each start) are
 *   never rebuilt here.
 */
import type { Schedule } from '../../ports/clock.ts';
import type { VenueConfig } from '../../ports/execution.ts';
import type { Logger } from '../../ports/telemetry.ts';
import type { Venue } from '../../ports/venue.ts';

/** A stored configuration with the version of the venue's stored credentials (null: none). */
export interface VenueSource {
  readonly config: VenueConfig;
  readonly credentialsVersion: string | null;
}

export interface SupervisorDeps {
  list(): Promise<VenueSource[]>;
  /** The adapter of a configuration, not started; null when it cannot run here (the reason logged). */
  build(config: VenueConfig): Promise<Venue | null>;
  /**
   * Puts a started adapter in service under its name, in place of the one before if any.
   * Returns what to call once that one is closed (its report listener goes last, so nothing it
   * still delivers is dropped).
   */
  attach(venue: Venue): () => void;
  /** Whether two adapters of this configuration must never run at once (see above). */
  exclusive(config: VenueConfig): boolean;
  readonly log: Logger;
  readonly schedule: Schedule;
  readonly refreshMs: number;
  readonly fixed: readonly string[];
}

interface Running {
  readonly adapter: Venue;
  readonly source: VenueSource;
  readonly fingerprint: string;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** What an adapter is built from: a change to any of it needs a new adapter. */
const fingerprintOf = (source: VenueSource) =>
  JSON.stringify([source.config.kind, source.config.settings, source.credentialsVersion]);

export class VenueSupervisor {
  readonly #running = new Map<string, Running>();
  /** The fingerprint a venue's last build failed on, so a change that cannot run is tried once. */
  readonly #failed = new Map<string, string>();
  #pass: Promise<void> = Promise.resolve();
  #cancelTimer: (() => void) | null = null;
  /** Set by stop(): no pass is planned, and none attaches anything, after. */
  #halted = false;

  constructor(private readonly deps: SupervisorDeps) {}

  /** The adapters the gateway started with, as built from these sources; names missing from `started` failed to build. */
  adopt(sources: readonly VenueSource[], started: readonly Venue[]): void {
    const byName = new Map(started.map((venue) => [venue.name, venue]));
    for (const source of sources) {
      if (this.deps.fixed.includes(source.config.name)) continue;
      const adapter = byName.get(source.config.name);
      if (adapter) this.#running.set(source.config.name, { adapter, source, fingerprint: fingerprintOf(source) });
      else this.#failed.set(source.config.name, fingerprintOf(source));
    }
  }

  /** Brings the adapters in step now; resolves once this instance serves the stored configurations it can. */
  sync(): Promise<void> {
    const pass = this.#pass.then(() => this.#syncOnce()).catch((error: unknown) => {
      this.deps.log.warn({ err: messageOf(error) }, 'venue configurations could not be read; trying again');
    });
    this.#pass = pass;
    return pass;
  }

  start(): void {
    this.#plan();
  }

  /** Stops syncing; resolves once a pass under way has finished (nothing is attached after). */
  async stop(): Promise<void> {
    this.#halted = true;
    this.#cancelTimer?.();
    this.#cancelTimer = null;
    await this.#pass;
  }

  /** Stops syncing and closes every adapter it runs. */
  async close(): Promise<void> {
    await this.stop();
    for (const { adapter } of this.#running.values()) await adapter.close();
    this.#running.clear();
  }

  #plan(): void {
    if (this.#halted) return;
    this.#cancelTimer = this.deps.schedule(() => void this.sync().finally(() => this.#plan()), this.deps.refreshMs);
  }

  async #syncOnce(): Promise<void> {
    for (const source of await this.deps.list()) {
      if (this.#halted) return;
      const name = source.config.name;
      const fingerprint = fingerprintOf(source);
      if (this.deps.fixed.includes(name)) continue;
      if (this.#running.get(name)?.fingerprint === fingerprint || this.#failed.get(name) === fingerprint) continue;
      await this.#replace(source, fingerprint);
    }
  }

  async #replace(source: VenueSource, fingerprint: string): Promise<void> {
    const name = source.config.name;
    const before = this.#running.get(name) ?? null;
    if (before && this.deps.exclusive(source.config)) {
      await this.#close(before);
      this.#running.delete(name);
      if (await this.#bringUp(source, fingerprint, null, true)) return;
      this.deps.log.warn({ venue: name }, 'the changed venue configuration cannot run; the previous one is started again');
      await this.#bringUp(before.source, before.fingerprint, null, false);
      this.#failed.set(name, fingerprint);
      return;
    }
    if (!(await this.#bringUp(source, fingerprint, before, before !== null))) this.#failed.set(name, fingerprint);
  }

  /**
   * Builds, starts and attaches an adapter of `source`, then closes `before`; false (nothing
   * changed) when it cannot run. `mustWork`: a replacement must be healthy once started; a new
   * venue may still be connecting.
   */
  async #bringUp(source: VenueSource, fingerprint: string, before: Running | null, mustWork: boolean): Promise<boolean> {
    const { log } = this.deps;
    const name = source.config.name;
    const keeping = before ? '; the running adapter is kept' : '';
    const venue = await this.deps.build(source.config).catch((error: unknown) => {
      log.error({ venue: name, err: messageOf(error) }, `venue adapter not built${keeping}`);
      return null;
    });
    if (!venue) return false;
    let finish: () => void;
    try {
      await venue.start();
      if (mustWork && !venue.healthy()) throw new Error('the venue did not accept the new adapter in time');
      finish = this.deps.attach(venue);
    } catch (error) {
      log.error({ venue: name, err: messageOf(error) }, `venue adapter did not start${keeping}`);
      await venue.close().catch(() => {});
      return false;
    }
    this.#running.set(name, { adapter: venue, source, fingerprint });
    this.#failed.delete(name);
    if (before) await this.#close(before);
    finish();
    log.info({ venue: name, kind: source.config.kind }, before ? 'venue adapter replaced with the changed configuration' : 'venue adapter started');
    return true;
  }

  async #close(running: Running): Promise<void> {
    await running.adapter.close().catch((error: unknown) => {
      this.deps.log.warn({ venue: running.source.config.name, err: messageOf(error) }, 'the replaced venue adapter did not close cleanly');
    });
  }
}
