/**
 * The FIX 4.4 session layer of an initiator, independent of sockets: Logon, heartbeats and
 * TestRequest, sequence numbers, ResendRequest in both directions, SequenceReset and Logout.
 * The transport feeds it bytes and connection events; it writes through the link it was given.
 * Invariants: the application sees each incoming sequence number at most once and in order
 * (messages past a gap are dropped and asked for again, duplicates flagged PossDup are
 * dropped); nothing is handed on before the Logon answer; every outgoing number is stored
 * before its message is written; a ResendRequest is answered with the stored application
 * messages (PossDupFlag=Y, OrigSendingTime) and SequenceReset-GapFill over everything else.
 * With `resetSeqNumOnLogon`, every logon starts both numbers over at 1 (ResetSeqNumFlag=Y);
 * a Logon from the counterparty carrying ResetSeqNumFlag=Y restarts its numbers, and during a
 * session ours too, answered by our own reset Logon.
 * Time comes only from `timers`, so heartbeat logic is tested by advancing a manual clock.
 */
import { encodeMessage, FixFrameReader, type FixField, type FixMessage } from './fixCodec.ts';
import { BEGIN_STRING, fixTimestamp, MsgType, Tag } from './fixProtocol.ts';
import type { SessionStore } from './sessionStore.ts';
import type { Timers } from './timers.ts';

export interface SessionConfig {
  readonly senderCompId: string;
  readonly targetCompId: string;
  readonly heartbeatIntervalSeconds: number;
  /** How long the counterparty has to answer our Logon, Logout or ResendRequest. */
  readonly answerTimeoutMs?: number;
  /** Every Logon asks both sides to start their numbers over at 1 (ResetSeqNumFlag=Y). */
  readonly resetSeqNumOnLogon?: boolean;
  /** Extra Logon fields (Username, Password), read at each logon. */
  readonly logonFields?: () => readonly FixField[];
}

/** The connection as the session sees it. */
export interface SessionLink {
  write(bytes: Buffer): void;
  close(): void;
}

export interface SessionEvents {
  /** An application message or a session Reject, in sequence order. */
  onMessage(message: FixMessage, possibleDuplicate: boolean): void;
  onLoggedOn(): void;
  onDisconnected(reason: string): void;
  /** Something worth a log line that the session recovered from (garbage, a refused field). */
  onProblem(text: string): void;
  /** Both numbers started over at 1: earlier sequence numbers no longer name our requests. */
  onSequenceReset?(): void;
}

type Phase =
  | { readonly name: 'awaiting_logon' }
  /** `gapUpTo`: a ResendRequest is out; messages above the gap are dropped until this one arrives. */
  | { readonly name: 'active'; readonly gapUpTo: number | null; readonly resendRequestedAt: number }
  | { readonly name: 'logging_out' };

interface Connection {
  readonly link: SessionLink;
  readonly reader: FixFrameReader;
  phase: Phase;
  cancelHeartbeat: () => void;
  cancelInboundWatch: () => void;
  cancelAnswerWait: () => void;
}

const nothing = () => {};

export class FixSession {
  readonly #answerTimeoutMs: number;
  readonly #heartbeatMs: number;
  #connection: Connection | null = null;
  #testRequests = 0;

  constructor(
    private readonly config: SessionConfig,
    private readonly store: SessionStore,
    private readonly timers: Timers,
    private readonly events: SessionEvents,
  ) {
    if (!Number.isSafeInteger(config.heartbeatIntervalSeconds) || config.heartbeatIntervalSeconds < 1) {
      throw new RangeError(`HeartBtInt must be a whole number of seconds ≥ 1, got ${config.heartbeatIntervalSeconds}`);
    }
    this.#heartbeatMs = config.heartbeatIntervalSeconds * 1000;
    this.#answerTimeoutMs = config.answerTimeoutMs ?? 10_000;
  }

  isLoggedOn(): boolean {
    return this.#connection?.phase.name === 'active';
  }

  /** A new transport connection is up: log on over it. */
  connected(link: SessionLink): void {
    if (this.#connection) this.#drop('replaced by a new connection');
    this.#connection = { link, reader: new FixFrameReader(), phase: { name: 'awaiting_logon' }, cancelHeartbeat: nothing, cancelInboundWatch: nothing, cancelAnswerWait: nothing };
    const reset = this.config.resetSeqNumOnLogon === true;
    if (reset) this.#resetNumbers();
    this.#sendLogon(reset);
    this.#awaitAnswer('no Logon answer');
  }

  #sendLogon(reset: boolean): void {
    this.#sendAdmin(MsgType.Logon, [
      [Tag.EncryptMethod, '0'], [Tag.HeartBtInt, String(this.config.heartbeatIntervalSeconds)],
      ...(reset ? [[Tag.ResetSeqNumFlag, 'Y'] as FixField] : []), ...(this.config.logonFields?.() ?? []),
    ]);
  }

  #resetNumbers(): void {
    this.store.reset(this.timers.now());
    this.events.onSequenceReset?.();
  }

  received(chunk: Uint8Array): void {
    for (const frame of this.#connection?.reader.push(chunk) ?? []) {
      if (!this.#connection) return;
      if (frame.ok) this.#handle(frame.message);
      else this.events.onProblem(`garbled frame ignored (${frame.error}): ${frame.garbage.replaceAll('\x01', '|').slice(0, 200)}`);
    }
  }

  /** The transport lost the connection (or closed it for us). */
  disconnected(reason: string): void {
    if (this.#connection) this.#drop(reason);
  }

  /** Sends an application message; its sequence number, or null when not logged on (nothing sent). */
  send(msgType: string, body: readonly FixField[]): number | null {
    const connection = this.#connection;
    if (connection?.phase.name !== 'active') return null;
    const seqNum = this.store.sequenceNumbers().nextOutgoing;
    const sendingTime = fixTimestamp(this.timers.now());
    this.store.saveSent({ seqNum, msgType, sendingTime, body });
    this.#write([...this.#header(msgType, seqNum, sendingTime), ...body]);
    return seqNum;
  }

  /** Logs out; the link closes on the answer or after the answer timeout. */
  logout(text?: string): void {
    const connection = this.#connection;
    if (!connection) return;
    if (connection.phase.name !== 'active') return this.#drop(text ?? 'logged out');
    connection.phase = { name: 'logging_out' };
    this.#sendAdmin(MsgType.Logout, text ? [[Tag.Text, text]] : []);
    this.#awaitAnswer('no Logout answer');
  }

  #handle(message: FixMessage): void {
    const connection = this.#connection!;
    if (message.beginString !== BEGIN_STRING || message.get(Tag.SenderCompID) !== this.config.targetCompId || message.get(Tag.TargetCompID) !== this.config.senderCompId) {
      return this.#fail(`wrong BeginString or CompIDs: ${message.beginString} ${message.get(Tag.SenderCompID)}->${message.get(Tag.TargetCompID)}`);
    }
    const seqNum = Number(message.get(Tag.MsgSeqNum));
    if (!Number.isSafeInteger(seqNum) || seqNum < 1) return this.events.onProblem(`message without a valid MsgSeqNum ignored: ${message}`);
    if (connection.phase.name === 'awaiting_logon' && message.msgType !== MsgType.Logon) {
      // A Logout instead of a Logon says why (e.g. "MsgSeqNum too low"): keep its text.
      if (message.msgType === MsgType.Logout) return this.#loggedOut(message);
      return this.#fail(`the first message was ${message.msgType}, not a Logon`);
    }
    if (connection.phase.name === 'active') this.#watchInbound(connection);
    if (message.msgType === MsgType.Logon && message.get(Tag.ResetSeqNumFlag) === 'Y') {
      // The counterparty starts its numbers over; asked during a session, ours start over too.
      if (connection.phase.name === 'active') {
        this.#resetNumbers();
        this.#sendLogon(true);
      }
      this.store.setNextIncoming(seqNum);
    }
    if (message.msgType === MsgType.SequenceReset && message.get(Tag.GapFillFlag) !== 'Y') return this.#reset(message);

    const expected = this.store.sequenceNumbers().nextIncoming;
    const possibleDuplicate = message.get(Tag.PossDupFlag) === 'Y';
    if (seqNum < expected) {
      if (possibleDuplicate) return;
      return this.#fail(`MsgSeqNum too low, expecting ${expected} but received ${seqNum}`);
    }
    if (seqNum > expected) {
      // These three act at once whatever the gap; everything else waits for the gap to fill.
      if (message.msgType === MsgType.Logon) this.#loggedOn(connection);
      if (message.msgType === MsgType.Logout) return this.#loggedOut(message);
      if (message.msgType === MsgType.ResendRequest) this.#serveResend(message);
      return this.#requestResend(expected, seqNum);
    }
    switch (message.msgType) {
      case MsgType.Logon:
        this.#loggedOn(connection);
        break;
      case MsgType.Heartbeat:
        break;
      case MsgType.TestRequest:
        this.#sendAdmin(MsgType.Heartbeat, [[Tag.TestReqID, message.get(Tag.TestReqID) ?? 'TEST']]);
        break;
      case MsgType.ResendRequest:
        this.#serveResend(message);
        break;
      case MsgType.SequenceReset:
        return this.#gapFilled(message, seqNum);
      case MsgType.Logout:
        this.store.setNextIncoming(seqNum + 1);
        return this.#loggedOut(message);
      default:
        try {
          this.events.onMessage(message, possibleDuplicate);
        } catch (error) {
          // Handing the same message over again would fail the same way: report it and go on.
          this.events.onProblem(`message ${seqNum} not handled: ${String(error)}`);
        }
    }
    this.#advanceIncoming(seqNum + 1);
  }

  #loggedOn(connection: Connection): void {
    if (connection.phase.name !== 'awaiting_logon') return;
    connection.cancelAnswerWait();
    connection.phase = { name: 'active', gapUpTo: null, resendRequestedAt: 0 };
    this.#watchInbound(connection);
    this.#scheduleHeartbeat(connection);
    this.events.onLoggedOn();
  }

  #loggedOut(message: FixMessage): void {
    const text = message.get(Tag.Text);
    if (this.#connection?.phase.name !== 'logging_out') this.#sendAdmin(MsgType.Logout, []);
    this.#drop(text ? `logged out by the counterparty: ${text}` : 'logged out');
  }

  #requestResend(expected: number, received: number): void {
    const connection = this.#connection!;
    const phase = connection.phase;
    if (phase.name !== 'active') return;
    const now = this.timers.now().getTime();
    const outstanding = phase.gapUpTo !== null && now - phase.resendRequestedAt < this.#answerTimeoutMs;
    connection.phase = { name: 'active', gapUpTo: Math.max(received, phase.gapUpTo ?? 0), resendRequestedAt: outstanding ? phase.resendRequestedAt : now };
    // EndSeqNo 0 asks for everything up to the newest, so what arrives meanwhile is covered too.
    if (!outstanding) this.#sendAdmin(MsgType.ResendRequest, [[Tag.BeginSeqNo, String(expected)], [Tag.EndSeqNo, '0']]);
  }

  #gapFilled(message: FixMessage, seqNum: number): void {
    const newSeqNo = Number(message.get(Tag.NewSeqNo));
    if (!Number.isSafeInteger(newSeqNo) || newSeqNo <= seqNum) {
      this.events.onProblem(`SequenceReset-GapFill ${seqNum} with NewSeqNo ${message.get(Tag.NewSeqNo)} treated as one message`);
      return this.#advanceIncoming(seqNum + 1);
    }
    this.#advanceIncoming(newSeqNo);
  }

  /** SequenceReset-Reset: MsgSeqNum is ignored, the number only ever moves forward. */
  #reset(message: FixMessage): void {
    const newSeqNo = Number(message.get(Tag.NewSeqNo));
    const expected = this.store.sequenceNumbers().nextIncoming;
    if (!Number.isSafeInteger(newSeqNo) || newSeqNo < expected) {
      return this.events.onProblem(`SequenceReset to ${message.get(Tag.NewSeqNo)} below the expected ${expected} ignored`);
    }
    this.#advanceIncoming(newSeqNo);
  }

  #advanceIncoming(next: number): void {
    this.store.setNextIncoming(next);
    const connection = this.#connection;
    if (connection?.phase.name === 'active' && connection.phase.gapUpTo !== null && next > connection.phase.gapUpTo) {
      connection.phase = { name: 'active', gapUpTo: null, resendRequestedAt: 0 };
    }
  }

  #serveResend(message: FixMessage): void {
    const lastSent = this.store.sequenceNumbers().nextOutgoing - 1;
    const begin = Number(message.get(Tag.BeginSeqNo));
    const askedEnd = Number(message.get(Tag.EndSeqNo));
    if (!Number.isSafeInteger(begin) || begin < 1 || !Number.isSafeInteger(askedEnd) || askedEnd < 0) {
      return this.events.onProblem(`ResendRequest with a bad range ignored: ${message}`);
    }
    const end = askedEnd === 0 ? lastSent : Math.min(askedEnd, lastSent);
    const now = fixTimestamp(this.timers.now());
    let next = begin;
    for (const sent of this.store.sentBetween(begin, end)) {
      if (sent.seqNum > next) this.#sendGapFill(next, sent.seqNum, now);
      this.#write([...this.#header(sent.msgType, sent.seqNum, now), [Tag.PossDupFlag, 'Y'], [Tag.OrigSendingTime, sent.sendingTime], ...sent.body]);
      next = sent.seqNum + 1;
    }
    if (next <= end) this.#sendGapFill(next, end + 1, now);
  }

  #sendGapFill(seqNum: number, newSeqNo: number, now: string): void {
    this.#write([
      ...this.#header(MsgType.SequenceReset, seqNum, now), [Tag.PossDupFlag, 'Y'], [Tag.OrigSendingTime, now],
      [Tag.GapFillFlag, 'Y'], [Tag.NewSeqNo, String(newSeqNo)],
    ]);
  }

  #sendAdmin(msgType: string, body: readonly FixField[]): void {
    const seqNum = this.store.sequenceNumbers().nextOutgoing;
    this.store.setNextOutgoing(seqNum + 1);
    this.#write([...this.#header(msgType, seqNum, fixTimestamp(this.timers.now())), ...body]);
  }

  #header(msgType: string, seqNum: number, sendingTime: string): FixField[] {
    return [
      [Tag.MsgType, msgType], [Tag.SenderCompID, this.config.senderCompId], [Tag.TargetCompID, this.config.targetCompId],
      [Tag.MsgSeqNum, String(seqNum)], [Tag.SendingTime, sendingTime],
    ];
  }

  #write(fields: readonly FixField[]): void {
    const connection = this.#connection;
    if (!connection) return;
    connection.link.write(encodeMessage(fields));
    if (connection.phase.name === 'active') this.#scheduleHeartbeat(connection);
  }

  /** A Heartbeat goes out after HeartBtInt without anything else going out. */
  #scheduleHeartbeat(connection: Connection): void {
    connection.cancelHeartbeat();
    connection.cancelHeartbeat = this.timers.schedule(() => this.#sendAdmin(MsgType.Heartbeat, []), this.#heartbeatMs);
  }

  /**
   * After HeartBtInt plus a fifth of it without anything coming in, a TestRequest; without
   * anything coming in for another HeartBtInt after that, the connection is given up.
   */
  #watchInbound(connection: Connection): void {
    connection.cancelInboundWatch();
    connection.cancelInboundWatch = this.timers.schedule(() => {
      this.#sendAdmin(MsgType.TestRequest, [[Tag.TestReqID, `TEST-${++this.#testRequests}`]]);
      connection.cancelInboundWatch = this.timers.schedule(() => this.#fail('no answer to a TestRequest'), this.#heartbeatMs);
    }, this.#heartbeatMs * 1.2);
  }

  #awaitAnswer(problem: string): void {
    const connection = this.#connection!;
    connection.cancelAnswerWait();
    connection.cancelAnswerWait = this.timers.schedule(() => this.#drop(problem), this.#answerTimeoutMs);
  }

  /** A protocol breach: say why in a Logout, then disconnect without waiting. */
  #fail(reason: string): void {
    this.#sendAdmin(MsgType.Logout, [[Tag.Text, reason.slice(0, 200)]]);
    this.#drop(reason);
  }

  #drop(reason: string): void {
    const connection = this.#connection;
    if (!connection) return;
    this.#connection = null;
    connection.cancelHeartbeat();
    connection.cancelInboundWatch();
    connection.cancelAnswerWait();
    connection.link.close();
    this.events.onDisconnected(reason);
  }
}
