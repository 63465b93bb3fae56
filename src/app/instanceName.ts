/**
 * Holds this process's instance name (ORDERGATE_INSTANCE_ID) in the shared store. The name is
 * the owner of dispatch leases (a start frees every lease under it) and of venue sessions, so
 * a second live process under the same name would take over the first one's sends mid-flight.
 * Invariants:
 * - A start takes the name only when it is free or its holder has not been seen for staleMs.
 *   A holder seen since the start began waiting is alive: the start fails, naming the variable.
 *   A crashed holder stops being seen, so a restart under its name waits at most staleMs.
 * - The holder marks itself seen every heartbeatMs; one that finds the name held by another
 *   process (it was paused past staleMs and a start took the name) is told once (onLost).
 */
import type { Clock, Schedule } from '../ports/clock.ts';
import type { ExecutionStore } from '../ports/execution.ts';
import type { Logger } from '../ports/telemetry.ts';

export type InstanceNames = Pick<ExecutionStore, 'claimInstanceName' | 'touchInstanceName' | 'releaseInstanceName'>;

export interface InstanceNameOptions {
  readonly staleMs: number;
  readonly heartbeatMs: number;
}

export const INSTANCE_NAME_DEFAULTS: InstanceNameOptions = { staleMs: 6_000, heartbeatMs: 2_000 };

export class InstanceNameInUse extends Error {
  override readonly name = 'InstanceNameInUse';
}

export class InstanceNameHold {
  #cancel: (() => void) | null = null;
  #lost = false;

  private constructor(
    readonly name: string,
    private readonly token: string,
    private readonly names: InstanceNames,
    private readonly clock: Clock,
    private readonly schedule: Schedule,
    private readonly log: Logger,
    private readonly options: InstanceNameOptions,
    private readonly onLost: () => void,
  ) {}

  /** Takes the name, waiting out a holder that stopped being seen; throws InstanceNameInUse when one is alive. */
  static async claim(
    names: InstanceNames, name: string, token: string, clock: Clock, schedule: Schedule, log: Logger, onLost: () => void,
    options: InstanceNameOptions = INSTANCE_NAME_DEFAULTS,
  ): Promise<InstanceNameHold> {
    const sleep = (ms: number) => new Promise<void>((wake) => schedule(wake, ms));
    let firstSeen: number | null = null;
    for (;;) {
      const now = clock.now();
      const held = await names.claimInstanceName({ name, token, now, staleBefore: new Date(now.getTime() - options.staleMs) });
      if (held.token === token) {
        const hold = new InstanceNameHold(name, token, names, clock, schedule, log, options, onLost);
        hold.#beat();
        return hold;
      }
      const seen = held.seenAt.getTime();
      if (firstSeen !== null && seen > firstSeen) {
        throw new InstanceNameInUse(`ORDERGATE_INSTANCE_ID=${name} is in use by another running gateway instance `
          + `(seen ${now.getTime() - seen} ms ago); give each instance a name of its own`);
      }
      if (firstSeen === null) {
        firstSeen = seen;
        log.warn({ instance: name, lastSeen: held.seenAt.toISOString() },
          'this instance name was held until moments ago (a previous run that did not stop cleanly?); waiting for it to go stale');
      }
      await sleep(Math.max(50, seen + options.staleMs - now.getTime() + 50));
    }
  }

  /** Stops marking the name seen and frees it. */
  async release(): Promise<void> {
    this.#cancel?.();
    this.#cancel = null;
    if (!this.#lost) await this.names.releaseInstanceName(this.name, this.token).catch(() => {});
  }

  #beat(): void {
    this.#cancel = this.schedule(() => void this.#touch(), this.options.heartbeatMs);
  }

  async #touch(): Promise<void> {
    const held = await this.names.touchInstanceName(this.name, this.token, this.clock.now()).catch((error: unknown) => {
      this.log.warn({ instance: this.name, err: error instanceof Error ? error.message : String(error) }, 'instance name not marked seen; trying again');
      return true;
    });
    if (!held) {
      this.#lost = true;
      this.log.error({ instance: this.name }, 'another process took this instance name: this one stops');
      this.onLost();
      return;
    }
    if (this.#cancel) this.#beat();
  }
}
