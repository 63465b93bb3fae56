/**
 * What the `fix` venue knows about the orders it sent: their terms (a cancel and a status
 * request must repeat symbol and side), which request went out under which sequence number
 * (session and business rejects refer to it), and what the venue reported since.
 * It is rebuilt from the session store's sent messages on start, so terms and references
 * survive a restart; reports are kept for this process's lifetime.
 * Invariants: an order is known here when a NewOrderSingle for it was sent on this session,
 * or when the gateway names it as one another instance's session may have sent (adopt); a
 * fill is recorded once per venue fill id; a duplicate-order reject or an
 * unknown-order status answer never changes the order it names.
 */
import { ZERO, type Dec } from '../../../domain/money.ts';
import type { VenueFillView, VenueOrderView } from '../../../ports/venue.ts';
import type { FixField } from './fixCodec.ts';
import { type FixExecution, type OrderTerms, termsOf, venueStatusOf } from './fixOrders.ts';
import { ExecType, MsgType, OrdRejReason, OrdStatus, Tag } from './fixProtocol.ts';

export type SentRequest =
  | { readonly kind: 'submit'; readonly clientOrderId: string }
  | { readonly kind: 'cancel'; readonly clientOrderId: string; readonly cancelRequestId: string }
  | { readonly kind: 'lookup'; readonly clientOrderId: string; readonly statusRequestId: string };

interface LedgerOrder {
  readonly terms: OrderTerms;
  venueOrderId: string | null;
  ordStatus: string | null;
  cumulativeQuantity: Dec | null;
  reason: string | null;
  readonly fills: Map<string, VenueFillView>;
}

export class OrderLedger {
  readonly #orders = new Map<string, LedgerOrder>();
  readonly #requests = new Map<number, SentRequest>();

  /** Notes an application message this session sent; returns the request it was. */
  recordSent(seqNum: number, msgType: string, body: readonly FixField[]): SentRequest | null {
    const field = (tag: number) => body.find(([t]) => t === tag)?.[1];
    let request: SentRequest | null = null;
    if (msgType === MsgType.NewOrderSingle) {
      const sent = termsOf(body);
      if (!sent) return null;
      if (!this.#orders.has(sent.clientOrderId)) {
        this.#orders.set(sent.clientOrderId, { terms: sent.terms, venueOrderId: null, ordStatus: null, cumulativeQuantity: null, reason: null, fills: new Map() });
      }
      request = { kind: 'submit', clientOrderId: sent.clientOrderId };
    } else if (msgType === MsgType.OrderCancelRequest) {
      const clientOrderId = field(Tag.OrigClOrdID);
      const cancelRequestId = field(Tag.ClOrdID);
      if (clientOrderId && cancelRequestId) request = { kind: 'cancel', clientOrderId, cancelRequestId };
    } else if (msgType === MsgType.OrderStatusRequest) {
      const clientOrderId = field(Tag.ClOrdID);
      const statusRequestId = field(Tag.OrdStatusReqID);
      if (clientOrderId && statusRequestId) request = { kind: 'lookup', clientOrderId, statusRequestId };
    }
    if (request) this.#requests.set(seqNum, request);
    return request;
  }

  /** The sequence numbers started over: the old ones name none of our requests any more. */
  forgetRequests(): void {
    this.#requests.clear();
  }

  requestAt(seqNum: number): SentRequest | undefined {
    return this.#requests.get(seqNum);
  }

  /** An order this session did not send but may have to look up or cancel (see FixVenueOptions.sharedOrder). */
  adopt(clientOrderId: string, terms: OrderTerms): void {
    if (this.#orders.has(clientOrderId)) return;
    this.#orders.set(clientOrderId, { terms, venueOrderId: null, ordStatus: null, cumulativeQuantity: null, reason: null, fills: new Map() });
  }

  terms(clientOrderId: string): OrderTerms | undefined {
    return this.#orders.get(clientOrderId)?.terms;
  }

  /** Records a report; false when it is a fill already recorded (a repeat the stream should not see twice). */
  apply(execution: FixExecution): boolean {
    const order = this.#orders.get(execution.clientOrderId);
    if (!order || !changesTheOrder(execution)) return true;
    order.venueOrderId = execution.venueOrderId;
    order.ordStatus = execution.ordStatus;
    if (execution.cumulativeQuantity) order.cumulativeQuantity = execution.cumulativeQuantity;
    if (execution.reason && execution.execType !== ExecType.Trade) order.reason = execution.reason;
    if (!execution.fill) return true;
    if (order.fills.has(execution.fill.venueFillId)) return false;
    const { venueFillId, quantity, price, commission } = execution.fill;
    order.fills.set(venueFillId, { venueFillId, quantity, price, commission, at: execution.at });
    return true;
  }

  /**
   * The order as the venue reported it, with `statusReport` (an answer to a status request)
   * taking precedence for status and filled quantity; null when the venue has not reported on it.
   */
  view(clientOrderId: string, statusReport: FixExecution | null = null): VenueOrderView | null {
    const order = this.#orders.get(clientOrderId);
    if (!order) return null;
    const venueOrderId = statusReport?.venueOrderId ?? order.venueOrderId;
    const ordStatus = statusReport?.ordStatus ?? order.ordStatus;
    if (venueOrderId === null || ordStatus === null) return null;
    const fills = [...order.fills.values()];
    const filledByFills = fills.reduce((sum, fill) => sum.plus(fill.quantity), ZERO);
    const reported = statusReport?.cumulativeQuantity ?? order.cumulativeQuantity;
    return {
      clientOrderId,
      venueOrderId,
      status: venueStatusOf(ordStatus),
      quantity: order.terms.quantity,
      filledQuantity: reported && reported.gt(filledByFills) ? reported : filledByFills,
      fills,
      reason: ordStatus === OrdStatus.Rejected || ordStatus === OrdStatus.Canceled || ordStatus === OrdStatus.Expired ? (statusReport?.reason ?? order.reason) : null,
    };
  }
}

/** Whether the report is about the order it names, rather than about a refused request. */
export function changesTheOrder(execution: FixExecution): boolean {
  if (execution.execType === ExecType.Rejected && execution.ordRejReason === OrdRejReason.DuplicateOrder) return false;
  return !isUnknownOrderAnswer(execution);
}

/** A status request's answer saying the venue has no such order. */
export function isUnknownOrderAnswer(execution: FixExecution): boolean {
  return execution.execType === ExecType.OrderStatus && execution.ordStatus === OrdStatus.Rejected && execution.ordRejReason === OrdRejReason.UnknownOrder;
}
