/**
 * What every broker connector with a report stream does the same way: start() waits (bounded)
 * for the stream to go live or be refused, close() stops it, healthy() is "open, not refused,
 * stream live", listeners and "stream restored" go through one ReportChannel, and on every live
 * stream the connector catches up on what it may have missed. Connectors extend it with their
 * broker's requests and wire format.
 * Invariants: a refused stream stays refused (healthy() false) until the venue is rebuilt;
 * catch-up starts before "restored" listeners hear of the stream, so a reconciliation they
 * trigger runs alongside it, never before it was asked for.
 */
import type { Clock } from '../../../ports/clock.ts';
import type { Logger } from '../../../ports/telemetry.ts';
import type { ExecutionReportListener } from '../../../ports/venue.ts';
import type { Schedule } from './brokerHttp.ts';
import type { Backoff, ReconnectingSocket } from './reconnectingSocket.ts';
import { ReportChannel } from './reportChannel.ts';

/** The stream options every connector takes the same way. */
export interface StreamTiming {
  readonly random?: () => number;
  readonly reconnect?: Backoff;
  readonly heartbeatMs?: number;
}

/** What every broker connector's options hold besides its connection; tests inject time and logs here. */
export interface BrokerVenueOptions extends StreamTiming {
  readonly name?: string;
  readonly clock?: Clock;
  readonly schedule?: Schedule;
  readonly log?: Logger;
  readonly requestTimeoutMs?: number;
  /** How long start() waits for the stream before it returns with healthy() false. */
  readonly startTimeoutMs?: number;
}

export function streamSettings(options: StreamTiming, schedule: Schedule, log: Logger) {
  return {
    schedule, log, random: options.random ?? Math.random,
    backoff: options.reconnect ?? { initialMs: 500, maxMs: 30_000 },
    heartbeatMs: options.heartbeatMs ?? 20_000,
  };
}

export abstract class StreamingVenue {
  protected readonly channel = new ReportChannel();
  protected abstract readonly stream: ReconnectingSocket;
  protected closed = false;
  #refused = false;

  protected constructor(protected readonly schedule: Schedule, private readonly startTimeoutMs: number) {}

  /** Resolves once the stream is live, the broker refuses it, or the start bound passes (then healthy() is false). */
  async start(): Promise<void> {
    this.closed = false;
    await this.channel.waitForStart(this.schedule, this.startTimeoutMs, () => this.stream.start());
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stream.close();
    this.channel.releaseStart();
    this.afterClose();
  }

  healthy(): boolean {
    return !this.closed && !this.#refused && this.stream.isLive();
  }

  onExecutionReport(listener: ExecutionReportListener): () => void {
    return this.channel.onExecutionReport(listener);
  }

  /** The stream is back after a break; this connector has already started fetching what it missed. */
  onStreamRestored(listener: () => void): () => void {
    return this.channel.onStreamRestored(listener);
  }

  /** What the connector does once closed, beyond stopping the stream. */
  protected afterClose(): void {}

  /** Fetches what the stream may have missed. */
  protected abstract catchUp(): Promise<void>;

  protected streamLive(): void {
    void this.catchUp();
    this.channel.streamLive();
  }

  protected streamRefused(): void {
    this.#refused = true;
    this.channel.releaseStart();
  }
}
