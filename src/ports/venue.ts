/**
 * The venue port: the only way the gateway talks to an exchange or broker. The simulated
 * exchange, broker connectors and FIX venues all implement it.
 *
 * `clientOrderId` here is the id the gateway sends to the venue: the gateway's own order id,
 * unique at the venue and never changed across retries.
 */
import type { Dec } from '../domain/money.ts';
import type { OrderType, Side, TimeInForce } from '../domain/order/order.ts';

export interface VenueOrderRequest {
  readonly clientOrderId: string;
  /** The trader the order belongs to, as the venue's account or sub-account reference. */
  readonly account: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly quantity: Dec;
  readonly limitPrice: Dec | null;
  readonly stopPrice: Dec | null;
}

/**
 * Every submit ends in one of three ways. `unknown` is never treated as a failure: a timeout,
 * a reset, a 5xx or a 429. `retryAfterMs` is the venue's own "come back after" (Retry-After),
 * which the gateway's rate governor honours for every request to that venue.
 */
export type SubmitOutcome =
  | { readonly outcome: 'accepted'; readonly venueOrderId: string }
  | { readonly outcome: 'rejected'; readonly reason: string }
  | { readonly outcome: 'unknown'; readonly reason: string; readonly retryAfterMs?: number }
  /**
   * The adapter sent nothing, for certain (a FIX session not logged on): no attempt is counted,
   * no lookup is owed, and the order is sent again after retryAfterMs.
   */
  | { readonly outcome: 'not_sent'; readonly reason: string; readonly retryAfterMs: number };

export type CancelOutcome =
  | { readonly outcome: 'requested' }
  | { readonly outcome: 'rejected'; readonly reason: string }
  | { readonly outcome: 'unknown'; readonly reason: string; readonly retryAfterMs?: number };

/** Thrown by lookup() (or the listing calls) when the venue said "slow down": nothing was done. */
export class VenueThrottled extends Error {
  override readonly name = 'VenueThrottled';
  constructor(message: string, readonly retryAfterMs: number) {
    super(message);
  }
}

export type VenueOrderStatus = 'working' | 'filled' | 'cancelled' | 'rejected' | 'expired';

export interface VenueFillView {
  readonly venueFillId: string;
  readonly quantity: Dec;
  readonly price: Dec;
  readonly commission: Dec;
  readonly at: Date;
}

/** The venue's own view of one order, as returned by a lookup by client order id. */
export interface VenueOrderView {
  readonly clientOrderId: string;
  readonly venueOrderId: string;
  readonly status: VenueOrderStatus;
  readonly quantity: Dec;
  readonly filledQuantity: Dec;
  readonly fills: readonly VenueFillView[];
  readonly reason: string | null;
}

/** An execution report from the venue's stream. Reports for one order arrive in venue order. */
export type ExecutionReport =
  | { readonly kind: 'ack'; readonly clientOrderId: string; readonly venueOrderId: string; readonly at: Date }
  | {
      readonly kind: 'fill';
      readonly clientOrderId: string;
      readonly venueOrderId: string;
      readonly venueFillId: string;
      readonly quantity: Dec;
      readonly price: Dec;
      readonly commission: Dec;
      readonly at: Date;
    }
  | { readonly kind: 'cancelled'; readonly clientOrderId: string; readonly venueOrderId: string | null; readonly reason: string | null; readonly at: Date }
  | { readonly kind: 'cancel_rejected'; readonly clientOrderId: string; readonly venueOrderId: string | null; readonly reason: string; readonly at: Date }
  | { readonly kind: 'rejected'; readonly clientOrderId: string; readonly venueOrderId: string | null; readonly reason: string; readonly at: Date }
  | { readonly kind: 'expired'; readonly clientOrderId: string; readonly venueOrderId: string; readonly reason: string | null; readonly at: Date }
  /** The venue cancelled (busted) one of its trades. `adjustmentId` is the venue's id of this message. */
  | { readonly kind: 'fill_busted'; readonly clientOrderId: string; readonly venueOrderId: string; readonly venueFillId: string; readonly adjustmentId: string; readonly at: Date }
  /** The venue corrected one of its trades to this quantity and price. */
  | {
      readonly kind: 'fill_corrected';
      readonly clientOrderId: string;
      readonly venueOrderId: string;
      readonly venueFillId: string;
      readonly adjustmentId: string;
      readonly quantity: Dec;
      readonly price: Dec;
      readonly at: Date;
    };

export type ExecutionReportListener = (report: ExecutionReport) => void;

/** One execution as listed by fillsSince(): which order it belongs to, and the fill. */
export interface VenueFillRecord {
  readonly clientOrderId: string;
  readonly venueOrderId: string;
  readonly fill: VenueFillView;
}

/** A page of fills after a cursor; pass `cursor` back to continue. An empty page keeps the cursor. */
export interface VenueFillsPage {
  readonly fills: readonly VenueFillRecord[];
  readonly cursor: string;
}

export interface Venue {
  readonly name: string;
  start(): Promise<void>;
  submit(order: VenueOrderRequest): Promise<SubmitOutcome>;
  cancel(clientOrderId: string): Promise<CancelOutcome>;
  lookup(clientOrderId: string): Promise<VenueOrderView | null>;
  /** Subscribes to the venue's execution reports; returns the unsubscribe function. */
  onExecutionReport(listener: ExecutionReportListener): () => void;
  /** Whether the venue is reachable now, for the health endpoint. */
  healthy(): boolean;
  close(): Promise<void>;
  /**
   * The orders the venue is working now, for reconciliation. Optional: a venue that cannot list
   * them is reconciled one lookup per order the gateway has working there.
   */
  openOrders?(): Promise<VenueOrderView[]>;
  /** Fills after `cursor` (null: as far back as the venue keeps), oldest first, at most `limit`. */
  fillsSince?(cursor: string | null, limit: number): Promise<VenueFillsPage>;
  /** Called each time the report stream is back after a break, so the gateway fetches what it missed. */
  onStreamRestored?(listener: () => void): () => void;
  /**
   * False while another gateway instance runs this venue's session (a FIX session runs on one
   * instance at a time): nothing may be sent through it here, so this instance's executor leaves
   * its intents to that instance, and its reconciliation to it. Absent: always true.
   */
  serving?(): boolean;
}

/** Whether anything may be sent to the venue from this instance now (see Venue.serving). */
export const servesHere = (venue: Venue): boolean => venue.serving?.() ?? true;

export type FillSimulationError =
  | { readonly code: 'order_not_at_venue'; readonly message: string }
  | { readonly code: 'order_not_working'; readonly message: string }
  | { readonly code: 'overfill'; readonly message: string; readonly leaves: Dec; readonly requested: Dec };

/** A capability only the simulated exchange has: forcing executions of a working order. */
export interface FillSimulator {
  simulateFills(
    clientOrderId: string,
    fills: readonly { readonly price: Dec; readonly quantity: Dec }[],
  ): Promise<{ readonly ok: true; readonly reports: readonly ExecutionReport[] } | { readonly ok: false; readonly error: FillSimulationError }>;
}
