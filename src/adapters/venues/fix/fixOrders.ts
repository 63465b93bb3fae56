/**
 * The application messages of the `fix` venue: NewOrderSingle, OrderCancelRequest and
 * OrderStatusRequest out; ExecutionReport, OrderCancelReject and the two rejects in, read into
 * the port's terms.
 * Invariants: quantities and prices cross the wire as exact decimal text both ways (never a
 * float); a report names the gateway's own order id (OrigClOrdID when the venue answers a
 * cancel request under its own ClOrdID); a fill id is the order id plus ExecID, because FIX
 * only promises ExecID unique per trading day (the QuickFIX executor counts from 1 on every
 * start) while the gateway dedupes fills by venue fill id forever.
 */
import { D, decimalText, ZERO, type Dec } from '../../../domain/money.ts';
import type { OrderType, Side, TimeInForce } from '../../../domain/order/order.ts';
import type { ExecutionReport, VenueOrderRequest, VenueOrderStatus } from '../../../ports/venue.ts';
import type { FixField, FixMessage } from './fixCodec.ts';
import { CommType, ExecType, fixTimestamp, OrdRejReason, OrdStatus, parseFixTimestamp, Tag } from './fixProtocol.ts';

const SIDE: Record<Side, string> = { buy: '1', sell: '2' };
const ORD_TYPE: Record<OrderType, string> = { market: '1', limit: '2', stop: '3', stop_limit: '4' };
const TIME_IN_FORCE: Record<TimeInForce, string> = { day: '0', gtc: '1', ioc: '3', fok: '4' };
/** HandlInst 1: automated execution, no broker intervention. */
const AUTOMATED_EXECUTION = '1';

/** What the venue must be told again about an order to cancel or query it. */
export interface OrderTerms {
  readonly symbol: string;
  /** The FIX Side code. */
  readonly side: string;
  readonly quantity: Dec;
}

export function newOrderSingle(order: VenueOrderRequest, transactTime: Date): FixField[] {
  const body: FixField[] = [
    [Tag.ClOrdID, order.clientOrderId], [Tag.Account, order.account], [Tag.HandlInst, AUTOMATED_EXECUTION],
    [Tag.Symbol, order.symbol], [Tag.Side, SIDE[order.side]], [Tag.TransactTime, fixTimestamp(transactTime)],
    [Tag.OrderQty, decimalText(order.quantity)], [Tag.OrdType, ORD_TYPE[order.type]],
  ];
  if (order.limitPrice) body.push([Tag.Price, decimalText(order.limitPrice)]);
  if (order.stopPrice) body.push([Tag.StopPx, decimalText(order.stopPrice)]);
  body.push([Tag.TimeInForce, TIME_IN_FORCE[order.timeInForce]]);
  return body;
}

export function orderCancelRequest(clientOrderId: string, cancelRequestId: string, terms: OrderTerms, transactTime: Date): FixField[] {
  return [
    [Tag.OrigClOrdID, clientOrderId], [Tag.ClOrdID, cancelRequestId], [Tag.Symbol, terms.symbol], [Tag.Side, terms.side],
    [Tag.TransactTime, fixTimestamp(transactTime)], [Tag.OrderQty, decimalText(terms.quantity)],
  ];
}

export function orderStatusRequest(clientOrderId: string, statusRequestId: string, terms: OrderTerms): FixField[] {
  return [[Tag.ClOrdID, clientOrderId], [Tag.OrdStatusReqID, statusRequestId], [Tag.Symbol, terms.symbol], [Tag.Side, terms.side]];
}

/** The terms of a NewOrderSingle this session sent, read back from the session store. */
/** An order's terms as the gateway keeps them (the one place they live for an order another instance's session sent). */
export function termsOfOrder(order: { readonly symbol: string; readonly side: Side; readonly quantity: Dec }): OrderTerms {
  return { symbol: order.symbol, side: SIDE[order.side], quantity: order.quantity };
}

export function termsOf(body: readonly FixField[]): { readonly clientOrderId: string; readonly terms: OrderTerms } | null {
  const field = (tag: number) => body.find(([t]) => t === tag)?.[1];
  const clientOrderId = field(Tag.ClOrdID);
  const symbol = field(Tag.Symbol);
  const side = field(Tag.Side);
  const quantity = decimalOrNull(field(Tag.OrderQty));
  if (!clientOrderId || !symbol || !side || !quantity) return null;
  return { clientOrderId, terms: { symbol, side, quantity } };
}

/** An ExecutionReport, read and checked once. */
export interface FixExecution {
  /** The gateway's order id. */
  readonly clientOrderId: string;
  /** ClOrdID (11) as sent back: the order's own id, or the id of the cancel request answered. */
  readonly requestId: string;
  readonly venueOrderId: string;
  readonly execType: string;
  readonly ordStatus: string;
  readonly execId: string;
  readonly cumulativeQuantity: Dec | null;
  readonly leavesQuantity: Dec | null;
  /** Only on a trade, where it is required. */
  readonly fill: { readonly venueFillId: string; readonly quantity: Dec; readonly price: Dec; readonly commission: Dec } | null;
  readonly reason: string | null;
  readonly ordRejReason: string | null;
  readonly statusRequestId: string | null;
  readonly at: Date;
}

/** The report, or why it cannot be used. */
export function readExecutionReport(message: FixMessage): FixExecution | string {
  const requestId = message.get(Tag.ClOrdID);
  const venueOrderId = message.get(Tag.OrderID);
  const execType = message.get(Tag.ExecType);
  const ordStatus = message.get(Tag.OrdStatus);
  const execId = message.get(Tag.ExecID);
  if (!requestId || !venueOrderId || !execType || !ordStatus || !execId) return 'an ExecutionReport lacks ClOrdID, OrderID, ExecType, OrdStatus or ExecID';
  const clientOrderId = message.get(Tag.OrigClOrdID) ?? requestId;
  let fill: FixExecution['fill'] = null;
  if (execType === ExecType.Trade) {
    const quantity = decimalOrNull(message.get(Tag.LastQty));
    const price = decimalOrNull(message.get(Tag.LastPx));
    if (!quantity || !price || quantity.lte(0)) return `the trade ${execId} has no usable LastQty and LastPx`;
    const commission = commissionOf(message, quantity, price);
    if (typeof commission === 'string') return commission;
    fill = { venueFillId: `${clientOrderId}/${execId}`, quantity, price, commission };
  }
  const at = timeOf(message);
  if (!at) return 'an ExecutionReport has neither TransactTime nor a valid SendingTime';
  return {
    clientOrderId, requestId, venueOrderId, execType, ordStatus, execId, fill,
    cumulativeQuantity: decimalOrNull(message.get(Tag.CumQty)),
    leavesQuantity: decimalOrNull(message.get(Tag.LeavesQty)),
    reason: message.get(Tag.Text) ?? null,
    ordRejReason: message.get(Tag.OrdRejReason) ?? null,
    statusRequestId: message.get(Tag.OrdStatusReqID) ?? null,
    at,
  };
}

/** What the report says on the port's stream; null for reports that change nothing there. */
export function portReport(execution: FixExecution): ExecutionReport | null {
  const { clientOrderId, venueOrderId, at } = execution;
  switch (execution.execType) {
    case ExecType.New:
      return { kind: 'ack', clientOrderId, venueOrderId, at };
    case ExecType.Trade:
      return execution.fill && { kind: 'fill', clientOrderId, venueOrderId, ...execution.fill, at };
    case ExecType.Canceled:
      return { kind: 'cancelled', clientOrderId, venueOrderId, reason: execution.reason, at };
    case ExecType.Expired:
      return { kind: 'expired', clientOrderId, venueOrderId, reason: execution.reason, at };
    case ExecType.Rejected:
      // The venue refusing a second order under the same id says nothing about the first one.
      if (execution.ordRejReason === OrdRejReason.DuplicateOrder) return null;
      // Under a cancel request's id, the refusal is of that request, not of the order.
      if (execution.requestId !== clientOrderId) return { kind: 'cancel_rejected', clientOrderId, venueOrderId, reason: rejectionText(execution), at };
      return { kind: 'rejected', clientOrderId, venueOrderId: null, reason: rejectionText(execution), at };
    default:
      return null;
  }
}

export function rejectionText(execution: FixExecution): string {
  return execution.reason ?? (execution.ordRejReason ? `rejected by the venue (OrdRejReason ${execution.ordRejReason})` : 'rejected by the venue');
}

/** The port's status for an OrdStatus (39); pending, suspended and done-for-day orders still work. */
export function venueStatusOf(ordStatus: string): VenueOrderStatus {
  switch (ordStatus) {
    case OrdStatus.Filled:
      return 'filled';
    case OrdStatus.Canceled:
      return 'cancelled';
    case OrdStatus.Rejected:
      return 'rejected';
    case OrdStatus.Expired:
      return 'expired';
    default:
      return 'working';
  }
}

/** The reason a session Reject (3) or BusinessMessageReject (j) gives. */
export function rejectText(message: FixMessage): string {
  const text = message.get(Tag.Text);
  const code = message.get(Tag.SessionRejectReason) ?? message.get(Tag.BusinessRejectReason);
  const refTag = message.get(Tag.RefTagID);
  return [text ?? 'refused by the venue', refTag ? `tag ${refTag}` : null, code ? `reason ${code}` : null].filter(Boolean).join(', ');
}

const FIX_DECIMAL = /^-?(?:\d+(?:\.\d*)?|\.\d+)$/;

function decimalOrNull(text: string | undefined): Dec | null {
  return text !== undefined && FIX_DECIMAL.test(text) ? new D(text) : null;
}

function commissionOf(message: FixMessage, quantity: Dec, price: Dec): Dec | string {
  const text = message.get(Tag.Commission);
  if (text === undefined) return ZERO;
  const amount = decimalOrNull(text);
  if (!amount) return `Commission "${text}" is not a decimal`;
  switch (message.get(Tag.CommType) ?? CommType.Absolute) {
    case CommType.Absolute:
      return amount;
    case CommType.PerUnit:
      return amount.times(quantity);
    case CommType.Percent:
      return amount.times(quantity).times(price).div(100);
    default:
      return `CommType ${message.get(Tag.CommType)} is not supported`;
  }
}

/** TransactTime, else the first transmission's time, else SendingTime (the executor sends no TransactTime). */
function timeOf(message: FixMessage): Date | null {
  for (const tag of [Tag.TransactTime, Tag.OrigSendingTime, Tag.SendingTime]) {
    const text = message.get(tag);
    const at = text === undefined ? null : parseFixTimestamp(text);
    if (at) return at;
  }
  return null;
}
