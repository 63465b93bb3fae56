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
