/**
 * A venue whose session only one gateway instance may run at a time: a FIX session (the
 * counterparty takes one logon per session, and two would fight over its sequence numbers).
 * The instances agree through a lease in the shared database (ExecutionStore.acquireVenueSession):
 * the holder runs the session and renews the lease every renewMs; the others stand by, and
 * take the lease over once it has expired (the holder died, or lost the database).
 * Invariants:
 * - The session runs only while this instance holds the lease by its own clock, less a margin:
 *   a holder whose renewals fail or hang stops its session renewMs before the lease expires (a
 *   timer of its own, not the renewal, decides), so the next holder does not log on while it
 *   still runs, given clocks within renewMs of each other and a process that is not paused.
 * - A session that fails to start lets the lease go and stands by for one ttl.
 * - A standby sends nothing: `serving()` is false, so its executor claims no intent of the
 *   venue; submit answers not_sent, cancel unknown, and lookups throw.
 * - A holder whose session cannot log on for giveUpMs releases the lease and stands by for
 *   one ttl, so that another instance (one whose sequence numbers the counterparty accepts)
 *   gets its turn.
 * - Each time this instance takes the session over, its onStreamRestored listeners hear it
 *   once the session has started, so the gateway reconciles the venue from here.
 */
import type { Clock, Schedule } from '../../ports/clock.ts';
import type { ExecutionStore, VenueSessionLease } from '../../ports/execution.ts';
import type { Logger } from '../../ports/telemetry.ts';
import type {
  CancelOutcome, ExecutionReportListener, SubmitOutcome, Venue, VenueFillsPage, VenueOrderRequest, VenueOrderView,
} from '../../ports/venue.ts';

export type SessionLeases = Pick<ExecutionStore, 'acquireVenueSession' | 'releaseVenueSession'>;

export interface SingleSessionOptions {
  /** This instance's name on the lease. */
  readonly owner: string;
  readonly leases: SessionLeases;
  readonly clock: Clock;
  readonly schedule: Schedule;
  readonly log: Logger;
  /** How long a lease lasts unrenewed. */
  readonly ttlMs?: number;
  /** How often the holder renews and a standby tries to take over; also the margin of the first invariant. */
  readonly renewMs?: number;
  /** How long the holder's session may stay logged off before it lets another instance try. */
  readonly giveUpMs?: number;
}

export const SINGLE_SESSION_DEFAULTS = { ttlMs: 15_000, renewMs: 5_000, giveUpMs: 60_000 } as const;

export class SingleSessionVenue implements Venue {
  readonly name: string;
  readonly #inner: Venue;
  readonly #o: Required<SingleSessionOptions>;
  readonly #restored = new Set<() => void>();
  /** The lease as last read: ours or another instance's. */
  #lease: VenueSessionLease | null = null;
  #serving = false;
  /** The session's start, while it runs (close waits for it). */
  #starting: Promise<void> | null = null;
  /** When the held lease runs out by our clock (the last renewal's expiry). */
  #heldUntil = 0;
  #loggedOffSince: number | null = null;
  #standByUntil = 0;
  #stopped = true;
  #cancelTick: (() => void) | null = null;
  #cancelWatchdog: (() => void) | null = null;
  /** A stand-down closing the session: no take until it is done. */
  #stopping: Promise<void> | null = null;

  constructor(inner: Venue, options: SingleSessionOptions) {
    this.name = inner.name;
    this.#inner = inner;
    this.#o = { ...SINGLE_SESSION_DEFAULTS, ...options };
    if (this.#o.renewMs * 2 >= this.#o.ttlMs) throw new Error(`renewMs (${this.#o.renewMs}) must be under half of ttlMs (${this.#o.ttlMs})`);
    if (inner.openOrders) this.openOrders = () => this.#whenServing(() => inner.openOrders!());
    if (inner.fillsSince) this.fillsSince = (cursor, limit) => this.#whenServing(() => inner.fillsSince!(cursor, limit));
    inner.onStreamRestored?.(() => this.#tellRestored());
  }

  openOrders?: () => Promise<VenueOrderView[]>;
  fillsSince?: (cursor: string | null, limit: number) => Promise<VenueFillsPage>;

  /** True while this instance runs the session: only then may anything be sent through it. */
  serving(): boolean {
    return this.#serving;
  }

  /** Who runs the session, as last read (null before the first read). */
  holder(): VenueSessionLease | null {
    return this.#lease;
  }

  /** Takes the lease if it is free (and then starts the session), else stands by; renews or retries every renewMs. */
  async start(): Promise<void> {
    if (!this.#stopped) return;
    this.#stopped = false;
    await this.#runTick();
    await this.#starting;
  }

  /** A renewal still waiting on the store is not waited for: what it brings back is ignored. */
  async close(): Promise<void> {
    this.#stopped = true;
    this.#cancelTick?.();
    this.#cancelTick = null;
    if (this.#serving) await this.#standDown('the gateway is stopping', true);
  }

  submit(order: VenueOrderRequest): Promise<SubmitOutcome> {
    if (this.#serving) return this.#inner.submit(order);
    return Promise.resolve({ outcome: 'not_sent', reason: this.#elsewhere(), retryAfterMs: this.#o.renewMs });
  }

  cancel(clientOrderId: string): Promise<CancelOutcome> {
    if (this.#serving) return this.#inner.cancel(clientOrderId);
    return Promise.resolve({ outcome: 'unknown', reason: this.#elsewhere() });
  }

  lookup(clientOrderId: string): Promise<VenueOrderView | null> {
    return this.#whenServing(() => this.#inner.lookup(clientOrderId));
  }

  onExecutionReport(listener: ExecutionReportListener): () => void {
    return this.#inner.onExecutionReport(listener);
  }

  onStreamRestored(listener: () => void): () => void {
    const subscription = () => listener();
    this.#restored.add(subscription);
    return () => void this.#restored.delete(subscription);
  }

  /** Serving: the session is up. Standing by: another instance holds an unexpired lease. */
  healthy(): boolean {
    return this.#serving ? this.#inner.healthy() : this.#heldElsewhere() !== null;
  }

  /** The lease as last read, when another instance holds it unexpired. */
  #heldElsewhere(): VenueSessionLease | null {
    const lease = this.#lease;
    return lease && lease.owner !== this.#o.owner && lease.expiresAt.getTime() > this.#o.clock.now().getTime() ? lease : null;
  }

  #whenServing<T>(call: () => Promise<T>): Promise<T> {
    return this.#serving ? call() : Promise.reject(new Error(this.#elsewhere()));
  }

  #elsewhere(): string {
    const holder = this.#heldElsewhere();
    if (holder) return `the ${this.name} session runs on instance ${holder.owner}; this instance stands by`;
    return `no instance runs the ${this.name} session yet; this instance tries to take it every ${this.#o.renewMs} ms`;
  }

  /** Ticks are planned from each one's start, so a slow renewal does not push the next one back. */
  #runTick(): Promise<void> {
    const began = this.#o.clock.now().getTime();
    return this.#renew().catch((error: unknown) => {
      this.#o.log.error({ venue: this.name, err: error instanceof Error ? error.message : String(error) }, 'venue session lease: unexpected failure');
    }).finally(() => {
      if (!this.#stopped) this.#cancelTick = this.#o.schedule(() => void this.#runTick(), began + this.#o.renewMs - this.#o.clock.now().getTime());
    });
  }

  async #renew(): Promise<void> {
    const { owner, leases, clock, ttlMs, renewMs, log } = this.#o;
    const now = clock.now().getTime();
    if (this.#stopping || (!this.#serving && now < this.#standByUntil)) return;
    let lease: VenueSessionLease;
    try {
      lease = await leases.acquireVenueSession({ venue: this.name, owner, now: new Date(now), ttlMs });
    } catch (error) {
      // While serving, the watchdog stands the session down if no renewal lands in time.
      log.warn({ venue: this.name, err: error instanceof Error ? error.message : String(error) }, 'venue session lease could not be read; trying again');
      return;
    }
    if (this.#stopped) return;
    this.#lease = lease;
    if (lease.owner !== owner) {
      if (this.#serving) await this.#standDown(`instance ${lease.owner} took the lease over`, false);
      return;
    }
    // An answer that took so long that the lease it renewed is about to end counts as none.
    if (clock.now().getTime() >= lease.expiresAt.getTime() - renewMs) {
      if (this.#serving) await this.#standDown('its lease renewal came back too late', false);
      return;
    }
    if (this.#stopping) return;
    this.#heldUntil = lease.expiresAt.getTime();
    this.#armWatchdog();
    if (!this.#serving) {
      this.#take(lease);
      return;
    }
    if (this.#inner.healthy()) this.#loggedOffSince = null;
    else {
      this.#loggedOffSince ??= now;
      if (now - this.#loggedOffSince >= this.#o.giveUpMs) {
        await this.#giveUp(`its session has not been logged on for ${now - this.#loggedOffSince} ms; letting another instance try`);
      }
    }
  }

  #take(lease: VenueSessionLease): void {
    this.#serving = true;
    this.#loggedOffSince = null;
    this.#o.log.info({ venue: this.name, owner: lease.owner, until: lease.expiresAt.toISOString() }, 'this instance runs the venue session');
    const starting = this.#inner.start().then(() => this.#tellRestored(), (error: unknown) => {
      const why = `its session did not start (${error instanceof Error ? error.message : String(error)}); letting another instance try`;
      // Not awaited here: stand-down waits for this very start.
      queueMicrotask(() => void this.#giveUp(why));
    });
    this.#starting = starting;
  }

  /** Stands down before the lease runs out when no renewal has landed meanwhile (it failed, or it hangs). */
  #armWatchdog(): void {
    this.#cancelWatchdog?.();
    const { clock, renewMs, schedule } = this.#o;
    this.#cancelWatchdog = schedule(() => {
      this.#cancelWatchdog = null;
      if (!this.#serving) return;
      // A timer may fire a little early: then it waits again.
      if (clock.now().getTime() < this.#heldUntil - renewMs) this.#armWatchdog();
      else void this.#standDown('its lease was not renewed in time: another instance may take it', false);
    }, this.#heldUntil - renewMs - clock.now().getTime());
  }

  async #giveUp(why: string): Promise<void> {
    if (!this.#serving) return;
    await this.#standDown(why, true);
    this.#standByUntil = this.#o.clock.now().getTime() + this.#o.ttlMs;
  }

  /** Stops the session; with `release`, gives the lease up so another instance may take it at once. */
  async #standDown(why: string, release: boolean): Promise<void> {
    if (!this.#serving) return;
    this.#serving = false;
    this.#cancelWatchdog?.();
    this.#cancelWatchdog = null;
    this.#o.log.warn({ venue: this.name, why }, 'this instance stops running the venue session');
    const stopping = this.#stopSession(release);
    this.#stopping = stopping;
    await stopping.finally(() => {
      if (this.#stopping === stopping) this.#stopping = null;
    });
  }

  /** No take starts while this runs (#stopping). */
  async #stopSession(release: boolean): Promise<void> {
    await this.#starting;
    this.#starting = null;
    await this.#inner.close();
    if (release) {
      await this.#o.leases.releaseVenueSession(this.name, this.#o.owner).catch((error: unknown) => {
        this.#o.log.warn({ venue: this.name, err: String(error) }, 'venue session lease not released; it runs out on its own');
      });
    }
  }

  #tellRestored(): void {
    if (!this.#serving) return;
    for (const listener of [...this.#restored]) listener();
  }
}
