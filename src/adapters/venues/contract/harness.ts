/**
 * What a venue gives the connector contract suite: the Venue under test, plus the controls the
 * market and the network would otherwise provide (fills, the venue's own books, faults).
 * A venue that cannot inject faults says so, and the fault cases are reported as skipped.
 * Used by tests only.
 */
import { v7 as uuidv7 } from 'uuid';
import { expect, vi } from 'vitest';
import type { ExecutionReport, Venue, VenueOrderRequest } from '../../../ports/venue.ts';

export interface VenueUnderTest {
  /** Started, and ready to take orders. */
  readonly venue: Venue;
  /** A limit order the venue accepts and leaves resting until the test fills or cancels it. */
  restingOrder(clientOrderId: string, quantity: string): VenueOrderRequest;
  /** The price restingOrder() uses: fills at it are always within the limit. */
  readonly restingPrice: string;
  /** A request the venue refuses definitively, and the documented reason it gives. */
  readonly fatal: { readonly request: (clientOrderId: string) => VenueOrderRequest; readonly reason: RegExp };
  /** Executes part of a working order at the venue, as the market would. */
  fill(clientOrderId: string, quantity: string, price: string): Promise<void>;
  /** How many orders the venue holds under this client order id, read from its own books. */
  ordersAtVenue(clientOrderId: string): Promise<number>;
  /** Null when the venue cannot inject faults (the simulated exchange, for now). */
  readonly faults: VenueFaults | null;
  close(): Promise<void>;
}

export interface VenueFaults {
  /** The next submit is processed by the venue, then the connection is reset before the answer. */
  dropNextSubmitAnswer(): void;
  /** The next submit is answered with this 5xx status before the venue processes it. */
  failNextSubmit(status: number): void;
  /** The next submit is refused with 429 and a Retry-After of this many seconds. */
  rateLimitNextSubmit(retryAfterSeconds: number): void;
  /** The next submit is held without an answer (and not processed). */
  hangNextSubmit(): void;
  /** How many requests the venue holds unanswered right now. */
  heldRequests(): number;
  /** Moves the connector's clock past its request deadline. */
  elapseRequestDeadline(): void;
  /** Cuts the report stream, keeps it down while `whileDown` runs, then lets the connector reconnect. */
  interruptStream(whileDown: () => Promise<void>): Promise<void>;
}

export interface Capabilities {
  /** Accepted-then-dropped answers, 5xx, 429, request timeouts. */
  readonly faults: boolean;
  readonly streamInterruption: boolean;
  /** The venue lists its open orders and its fills after a cursor (Venue.openOrders, fillsSince). */
  readonly reconciliation?: boolean;
}

export const newClientOrderId = (): string => uuidv7();

type FillReport = Extract<ExecutionReport, { kind: 'fill' }>;

/** Collects what a venue reports, from the moment it is attached. */
export class ReportLog {
  readonly all: ExecutionReport[] = [];
  readonly detach: () => void;

  constructor(venue: Venue) {
    this.detach = venue.onExecutionReport((report) => this.all.push(report));
  }

  of(clientOrderId: string): ExecutionReport[] {
    return this.all.filter((report) => report.clientOrderId === clientOrderId);
  }

  kindsOf(clientOrderId: string): string[] {
    return this.of(clientOrderId).map((report) => report.kind);
  }

  fillsOf(clientOrderId: string): FillReport[] {
    return this.of(clientOrderId).filter((report): report is FillReport => report.kind === 'fill');
  }
}

/** Real sockets deliver in real time: wait, bounded, for a condition (never a fixed sleep). */
export function eventually(assertion: () => void | Promise<void>, timeoutMs = 5_000): Promise<void> {
  return vi.waitFor(assertion, { timeout: timeoutMs, interval: 5 });
}

/**
 * A barrier on the report stream: a fresh order's ack comes after everything the venue sent
 * before it, so once it is here, a duplicate or stray report sent earlier would be here too.
 */
export async function streamBarrier(harness: VenueUnderTest, log: ReportLog): Promise<void> {
  const sentinel = newClientOrderId();
  expect(await harness.venue.submit(harness.restingOrder(sentinel, '1'))).toMatchObject({ outcome: 'accepted' });
  await eventually(() => expect(log.kindsOf(sentinel)).toContain('ack'));
}
