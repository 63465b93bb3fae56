/**
 * The FIX 4.4 vocabulary the `fix` venue speaks: tag numbers, message types and enumerated
 * values by their FIX names, and the UTCTimestamp text form.
 * Invariant: only what the session and the connector use is here; a tag number appears in this
 * file and nowhere else as a bare number.
 */

export const BEGIN_STRING = 'FIX.4.4';

export const Tag = {
  Account: 1,
  AvgPx: 6,
  BeginSeqNo: 7,
  BeginString: 8,
  BodyLength: 9,
  CheckSum: 10,
  ClOrdID: 11,
  Commission: 12,
  CommType: 13,
  CumQty: 14,
  EndSeqNo: 16,
  ExecID: 17,
  HandlInst: 21,
  LastPx: 31,
  LastQty: 32,
  MsgSeqNum: 34,
  MsgType: 35,
  NewSeqNo: 36,
  OrderID: 37,
  OrderQty: 38,
  OrdStatus: 39,
  OrdType: 40,
  OrigClOrdID: 41,
  PossDupFlag: 43,
  Price: 44,
  RefSeqNum: 45,
  SenderCompID: 49,
  SendingTime: 52,
  Side: 54,
  Symbol: 55,
  TargetCompID: 56,
  Text: 58,
  TimeInForce: 59,
  TransactTime: 60,
  EncryptMethod: 98,
  StopPx: 99,
  CxlRejReason: 102,
  OrdRejReason: 103,
  HeartBtInt: 108,
  TestReqID: 112,
  OrigSendingTime: 122,
  GapFillFlag: 123,
  ResetSeqNumFlag: 141,
  ExecType: 150,
  LeavesQty: 151,
  RefTagID: 371,
  RefMsgType: 372,
  SessionRejectReason: 373,
  BusinessRejectReason: 380,
  CxlRejResponseTo: 434,
  Username: 553,
  Password: 554,
  OrdStatusReqID: 790,
} as const;

export const MsgType = {
  Heartbeat: '0',
  TestRequest: '1',
  ResendRequest: '2',
  Reject: '3',
  SequenceReset: '4',
  Logout: '5',
  ExecutionReport: '8',
  OrderCancelReject: '9',
  Logon: 'A',
  NewOrderSingle: 'D',
  OrderCancelRequest: 'F',
  OrderStatusRequest: 'H',
  BusinessMessageReject: 'j',
} as const;

/** Admin messages are gap-filled, never resent: a stale heartbeat or logon means nothing later. */
export const ADMIN_MESSAGE_TYPES: ReadonlySet<string> = new Set([
  MsgType.Heartbeat, MsgType.TestRequest, MsgType.ResendRequest, MsgType.Reject,
  MsgType.SequenceReset, MsgType.Logout, MsgType.Logon,
]);

export const ExecType = {
  New: '0',
  DoneForDay: '3',
  Canceled: '4',
  Replaced: '5',
  PendingCancel: '6',
  Stopped: '7',
  Rejected: '8',
  Suspended: '9',
  PendingNew: 'A',
  Calculated: 'B',
  Expired: 'C',
  Restated: 'D',
  PendingReplace: 'E',
  Trade: 'F',
  TradeCorrect: 'G',
  TradeCancel: 'H',
  OrderStatus: 'I',
} as const;

export const OrdStatus = {
  New: '0',
  PartiallyFilled: '1',
  Filled: '2',
  Canceled: '4',
  Rejected: '8',
  Expired: 'C',
} as const;

export const OrdRejReason = { UnknownOrder: '5', DuplicateOrder: '6' } as const;
export const CxlRejReason = { UnknownOrder: '1' } as const;
export const BusinessRejectReason = { UnknownId: '1', UnsupportedMessageType: '3' } as const;
export const CommType = { PerUnit: '1', Percent: '2', Absolute: '3' } as const;

/** UTCTimestamp with milliseconds: YYYYMMDD-HH:MM:SS.sss */
export function fixTimestamp(at: Date): string {
  const iso = at.toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 23)}`;
}

const TIMESTAMP = /^(\d{4})(\d{2})(\d{2})-(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

/** Parses a UTCTimestamp (seconds, milli-, micro- or nanoseconds); null when it is not one. */
export function parseFixTimestamp(text: string): Date | null {
  const match = TIMESTAMP.exec(text);
  if (!match) return null;
  const [, year, month, day, hour, minute, second, fraction] = match;
  const millis = Number((fraction ?? '0').padEnd(3, '0').slice(0, 3));
  const at = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), millis));
  return Number.isNaN(at.getTime()) ? null : at;
}
