/**
 * What the app reports about itself: a structured logger (pino-compatible) and the latency of
 * each stage an order passes through. The Prometheus adapter implements Telemetry.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * committed, venue_ack and fill are measured from the order's intake (createdAt);
 * event_delivered from the event's own time to its send on a client's socket.
 */
export type OrderStage = 'committed' | 'venue_ack' | 'fill' | 'event_delivered';

export interface Telemetry {
  orderStage(stage: OrderStage, seconds: number): void;
  /** Counts something worth alerting on: an overfill refused, a conflicting report, an unknown outcome. */
  anomaly(kind: string): void;
  batchCommitted(size: number, seconds: number): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
export const noTelemetry: Telemetry = { orderStage() {}, anomaly() {}, batchCommitted() {} };

/** The outbox relay's two ways onto the bus: right after the commit, or the sweep of what that missed. */
export const RELAY_PATHS = ['fast', 'sweep'] as const;
export type RelayPath = (typeof RELAY_PATHS)[number];

/** The outbox relay as it stands, read when metrics are scraped. */
export interface RelayStatus {
  /** False while this instance considers the bus down: the bus says so, or its last publish failed and none has worked since. */
  readonly busUp: boolean;
  /** Fast-path publishes the bus has not answered yet. */
  readonly publishesInFlight: number;
  /** Ids of events the bus took that wait for the next mark. */
  readonly marksPending: number;
  /** Events the last sweep found past their grace, published or not; null before the first sweep. */
  readonly lastSweepFound: number | null;
  /**
   * The claim time of the last sweep that ran to the end: every event older than this less the
   * grace was then published (rows another instance held aside). Null before the first.
   */
  readonly lastSweepSucceededAt: Date | null;
}

/** What the outbox relay reports: events the bus took and publishes it refused, per path, and its status. */
export interface RelayTelemetry {
  outboxPublished(path: RelayPath, events: number): void;
  /** One publish the bus refused; its events are left to a later sweep. */
  outboxPublishFailed(path: RelayPath): void;
  /** Where the relay's status is read from when scraped; the relay calls it once, when it is built. */
  readStatusFrom(status: () => RelayStatus): void;
}

export const noRelayTelemetry: RelayTelemetry = { outboxPublished() {}, outboxPublishFailed() {}, readStatusFrom() {} };
