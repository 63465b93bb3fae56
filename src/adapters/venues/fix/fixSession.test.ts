/**
 * The FIX session state machine on a manual clock: logon, heartbeats and TestRequest timing,
 * gaps and ResendRequest, GapFill, resending our own messages, logout, and numbers kept across a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualTime } from '../sim/manualTime.ts';
import { encodeMessage, FixFrameReader, type FixField, type FixMessage } from './fixCodec.ts';
import { fixTimestamp } from './fixProtocol.ts';
import { FixSession, type SessionConfig, type SessionLink } from './fixSession.ts';
import { FileSessionStore, MemorySessionStore, type SessionStore } from './sessionStore.ts';

const HEARTBEAT_SECONDS = 30;

/** The counterparty's end of one connection: what the session wrote, and a way to answer. */
class Counterparty implements SessionLink {
  readonly written: FixMessage[] = [];
  closed = false;
  readonly #reader = new FixFrameReader();

  constructor(private readonly time: ManualTime) {}

  write(bytes: Buffer): void {
    for (const frame of this.#reader.push(bytes)) {
      if (!frame.ok) throw new Error(`the session wrote a bad frame: ${frame.error}`);
      this.written.push(frame.message);
    }
  }

  close(): void {
    this.closed = true;
  }

  frame(msgType: string, seqNum: number, body: readonly FixField[] = [], extraHeader: readonly FixField[] = []): Buffer {
    return encodeMessage([[35, msgType], [49, 'EXECUTOR'], [56, 'ORDERGATE'], [34, String(seqNum)], [52, fixTimestamp(this.time.now())], ...extraHeader, ...body]);
  }

  types(): string[] {
    return this.written.map((message) => message.msgType);
  }

  last(): FixMessage {
    return this.written.at(-1)!;
  }
}

describe('FIX session', () => {
  let time: ManualTime;
  let store: SessionStore;
  let delivered: { seqNum: string | undefined; possibleDuplicate: boolean }[];
  let disconnects: string[];
  let problems: string[];
  let session: FixSession;
  let peer: Counterparty;

  let resets: number;
  const newSession = (sessionStore: SessionStore, extra: Partial<SessionConfig> = {}) =>
    new FixSession({ senderCompId: 'ORDERGATE', targetCompId: 'EXECUTOR', heartbeatIntervalSeconds: HEARTBEAT_SECONDS, answerTimeoutMs: 5_000, ...extra }, sessionStore, time, {
      onMessage: (message, possibleDuplicate) => delivered.push({ seqNum: message.get(34), possibleDuplicate }),
      onLoggedOn: () => {},
      onDisconnected: (reason) => disconnects.push(reason),
      onProblem: (text) => problems.push(text),
      onSequenceReset: () => resets++,
    });

  const logOn = (theirSeqNum = 1) => {
    peer = new Counterparty(time);
    session.connected(peer);
    session.received(peer.frame('A', theirSeqNum, [[98, '0'], [108, String(HEARTBEAT_SECONDS)]]));
  };

  beforeEach(() => {
    time = new ManualTime();
    store = new MemorySessionStore();
    delivered = [];
    disconnects = [];
    problems = [];
    resets = 0;
    session = newSession(store);
  });

  it('given a new connection, when the counterparty answers the Logon, then the session is logged on with HeartBtInt sent', () => {
    logOn();
    expect(peer.written[0]?.fields).toEqual(expect.arrayContaining([[35, 'A'], [34, '1'], [98, '0'], [108, '30']]));
    expect(session.isLoggedOn()).toBe(true);
    expect(store.sequenceNumbers()).toEqual({ nextOutgoing: 2, nextIncoming: 2 });
  });

  it('given no Logon answer within the answer timeout, then the connection is given up', () => {
    peer = new Counterparty(time);
    session.connected(peer);
    time.advance(5_000);
    expect(peer.closed).toBe(true);
    expect(disconnects).toEqual(['no Logon answer']);
  });

  it('given a first message that is not a Logon, then the session logs out and disconnects', () => {
    peer = new Counterparty(time);
    session.connected(peer);
    session.received(peer.frame('0', 1));
    expect(peer.types()).toEqual(['A', '5']);
    expect(peer.closed).toBe(true);
    expect(session.isLoggedOn()).toBe(false);
  });

  it('given a Logout instead of a Logon answer, then the session disconnects with the counterparty\'s reason', () => {
    peer = new Counterparty(time);
    session.connected(peer);
    session.received(peer.frame('5', 1, [[58, 'MsgSeqNum too low, expecting 40 but received 1']]));
    expect(peer.closed).toBe(true);
    expect(disconnects).toEqual(['logged out by the counterparty: MsgSeqNum too low, expecting 40 but received 1']);
  });

  it('given HeartBtInt of silence on our side, then a Heartbeat goes out, and not a moment before', () => {
    logOn();
    session.received(peer.frame('0', 2));
    time.advance(HEARTBEAT_SECONDS * 1000 - 1);
    expect(peer.types()).toEqual(['A']);
    time.advance(1);
    expect(peer.types()).toEqual(['A', '0']);
  });

  it('given an application message sent meanwhile, then the Heartbeat waits a full HeartBtInt after it', () => {
    logOn();
    time.advance(20_000);
    expect(session.send('D', [[11, 'order-1']])).toBe(2);
    session.received(peer.frame('8', 2));
    time.advance(20_000);
    expect(peer.types()).toEqual(['A', 'D']);
    time.advance(10_000);
    expect(peer.types()).toEqual(['A', 'D', '0']);
  });

  it('given HeartBtInt and a fifth of silence from the counterparty, then a TestRequest goes out; without an answer the session disconnects', () => {
    logOn();
    time.advance(36_000);
    const testRequest = peer.written.find((message) => message.msgType === '1');
    expect(testRequest?.get(112)).toMatch(/^TEST-/);
    time.advance(29_999);
    expect(peer.closed).toBe(false);
    time.advance(1);
    expect(peer.closed).toBe(true);
    expect(disconnects).toEqual(['no answer to a TestRequest']);
  });

  it('given a TestRequest answered by a Heartbeat, then the session stays up', () => {
    logOn();
    time.advance(36_000);
    session.received(peer.frame('0', 2, [[112, peer.written.find((message) => message.msgType === '1')!.get(112)!]]));
    time.advance(35_000);
    expect(peer.closed).toBe(false);
    expect(session.isLoggedOn()).toBe(true);
  });

  it('given a TestRequest from the counterparty, then a Heartbeat answers it with the same TestReqID', () => {
    logOn();
    session.received(peer.frame('1', 2, [[112, 'are-you-there']]));
    expect(peer.last().msgType).toBe('0');
    expect(peer.last().get(112)).toBe('are-you-there');
  });

  it('given a gap in the incoming numbers, then one ResendRequest asks from the first missing number on, and nothing past the gap is handed on', () => {
    logOn();
    session.received(peer.frame('8', 2));
    session.received(peer.frame('8', 5));
    session.received(peer.frame('8', 6));
    expect(delivered.map((d) => d.seqNum)).toEqual(['2']);
    const resendRequests = peer.written.filter((message) => message.msgType === '2');
    expect(resendRequests.map((message) => [message.get(7), message.get(16)])).toEqual([['3', '0']]);
  });

  it('given the resent messages and a GapFill, then each is handed on once, in order, and the session carries on', () => {
    logOn();
    session.received(peer.frame('8', 5));
    const resent: FixField[] = [[43, 'Y'], [122, fixTimestamp(time.now())]];
    session.received(peer.frame('8', 2, [], resent));
    session.received(peer.frame('4', 3, [[123, 'Y'], [36, '5']], resent));
    session.received(peer.frame('8', 5, [], resent));
    session.received(peer.frame('8', 5, [], resent));
    session.received(peer.frame('8', 6));
    expect(delivered).toEqual([
      { seqNum: '2', possibleDuplicate: true }, { seqNum: '5', possibleDuplicate: true }, { seqNum: '6', possibleDuplicate: false },
    ]);
    expect(store.sequenceNumbers().nextIncoming).toBe(7);
  });

  it('given a Logon whose number is ahead, then the session logs on and asks for what it missed', () => {
    store.setNextIncoming(4);
    logOn(9);
    expect(session.isLoggedOn()).toBe(true);
    expect(peer.types()).toEqual(['A', '2']);
    expect([peer.last().get(7), peer.last().get(16)]).toEqual(['4', '0']);
  });

  it('given a number below the expected one without PossDupFlag, then the session logs out and disconnects', () => {
    store.setNextIncoming(10);
    logOn(10);
    session.received(peer.frame('8', 3));
    expect(peer.last().msgType).toBe('5');
    expect(peer.last().get(58)).toBe('MsgSeqNum too low, expecting 11 but received 3');
    expect(peer.closed).toBe(true);
  });

  it('given a SequenceReset-Reset, then the expected number moves forward to NewSeqNo', () => {
    logOn();
    session.received(peer.frame('4', 99, [[36, '20']]));
    session.received(peer.frame('8', 20));
    expect(delivered.map((d) => d.seqNum)).toEqual(['20']);
  });

  it('given a ResendRequest, then stored application messages are resent with PossDupFlag and admin ranges are gap-filled', () => {
    logOn();
    session.send('D', [[11, 'order-1']]);
    const originalSendingTime = peer.last().get(52);
    time.advance(30_000);
    session.send('F', [[11, 'cancel-1'], [41, 'order-1']]);
    time.advance(1_000);
    session.received(peer.frame('2', 2, [[7, '1'], [16, '0']]));
    const answer = peer.written.slice(-4);
    expect(answer.map((message) => [message.msgType, message.get(34), message.get(43), message.get(36) ?? null])).toEqual([
      ['4', '1', 'Y', '2'], ['D', '2', 'Y', null], ['4', '3', 'Y', '4'], ['F', '4', 'Y', null],
    ]);
    expect(answer[1]?.get(122)).toBe(originalSendingTime);
    expect(answer[1]?.get(11)).toBe('order-1');
    expect(store.sequenceNumbers().nextOutgoing).toBe(5);
  });

  it('given a Logout from the counterparty, then the session answers it and disconnects', () => {
    logOn();
    session.received(peer.frame('5', 2, [[58, 'end of day']]));
    expect(peer.last().msgType).toBe('5');
    expect(peer.closed).toBe(true);
    expect(disconnects).toEqual(['logged out by the counterparty: end of day']);
  });

  it('given our Logout, then the link closes on the answer, or after the answer timeout', () => {
    logOn();
    session.logout('closing');
    expect(peer.last().fields).toEqual(expect.arrayContaining([[35, '5'], [58, 'closing']]));
    session.received(peer.frame('5', 2));
    expect(peer.closed).toBe(true);
    expect(peer.types().filter((type) => type === '5')).toHaveLength(1);

    logOn(3);
    session.logout();
    time.advance(5_000);
    expect(peer.closed).toBe(true);
  });

  it('given a garbled frame, then it is reported and its number is not consumed', () => {
    logOn();
    const good = peer.frame('8', 2);
    const garbled = Buffer.from(good);
    garbled[garbled.length - 3] = '9'.charCodeAt(0);
    session.received(garbled);
    session.received(good);
    expect(problems).toEqual([expect.stringMatching(/garbled frame ignored/)]);
    expect(delivered.map((d) => d.seqNum)).toEqual(['2']);
  });

  it('given no logon, when an application message is sent, then nothing is sent and no number is used', () => {
    expect(session.send('D', [[11, 'order-1']])).toBeNull();
    expect(store.sequenceNumbers()).toEqual({ nextOutgoing: 1, nextIncoming: 1 });
  });

  it('given a file store, when the gateway restarts, then both numbers and the sent messages resume where they were', () => {
    const parent = mkdtempSync(join(tmpdir(), 'ordergate-fix-session-'));
    const folder = join(parent, 'FIX.4.4-ORDERGATE-EXECUTOR');
    session = newSession(new FileSessionStore(folder));
    logOn();
    session.send('D', [[11, 'order-1']]);
    session.received(peer.frame('8', 2));

    const reopened = new FileSessionStore(folder);
    expect(reopened.sequenceNumbers()).toEqual({ nextOutgoing: 3, nextIncoming: 3 });
    expect(reopened.allSent()).toEqual([expect.objectContaining({ seqNum: 2, msgType: 'D', body: [[11, 'order-1']] })]);
    session = newSession(reopened);
    logOn(3);
    expect(peer.written[0]?.get(34)).toBe('3');
    rmSync(parent, { recursive: true, force: true });
  });

  it('given resetSeqNumOnLogon, when a session with old numbers logs on, then its Logon asks for a reset at 1 and both numbers start over', () => {
    store = new MemorySessionStore({ nextOutgoing: 40, nextIncoming: 30 });
    store.saveSent({ seqNum: 40, msgType: 'D', sendingTime: fixTimestamp(time.now()), body: [[11, 'order-1']] });
    session = newSession(store, { resetSeqNumOnLogon: true, logonFields: () => [[553, 'user'], [554, 'pass']] });
    logOn(1);
    expect(peer.written[0]?.fields).toEqual(expect.arrayContaining([[35, 'A'], [34, '1'], [141, 'Y'], [553, 'user'], [554, 'pass']]));
    expect(session.isLoggedOn()).toBe(true);
    expect(store.sequenceNumbers()).toMatchObject({ nextOutgoing: 2, nextIncoming: 2 });
    expect(resets).toBe(1);
    expect(store.archivedSent().map((message) => message.seqNum)).toEqual([40]);
    session.received(peer.frame('2', 2, [[7, '1'], [16, '0']]));
    expect(peer.written.filter((message) => message.msgType === 'D')).toEqual([]);
  });

  it('given a Logon with ResetSeqNumFlag from the counterparty during a session, then our numbers start over too and a reset Logon answers it', () => {
    logOn();
    session.send('D', [[11, 'order-1']]);
    session.received(peer.frame('8', 2));
    session.received(peer.frame('A', 1, [[98, '0'], [108, String(HEARTBEAT_SECONDS)], [141, 'Y']]));
    expect(peer.last().fields).toEqual(expect.arrayContaining([[35, 'A'], [34, '1'], [141, 'Y']]));
    expect(store.sequenceNumbers()).toMatchObject({ nextOutgoing: 2, nextIncoming: 2 });
    expect(resets).toBe(1);
    session.received(peer.frame('8', 2));
    expect(delivered.map((d) => d.seqNum)).toEqual(['2', '2']);
    expect(session.isLoggedOn()).toBe(true);
  });

  it('given a SequenceReset-GapFill over a range during a resend, then the numbers it covers are skipped and the next message is handed on', () => {
    logOn();
    session.received(peer.frame('8', 6));
    const resent: FixField[] = [[43, 'Y'], [122, fixTimestamp(time.now())]];
    session.received(peer.frame('4', 2, [[123, 'Y'], [36, '6']], resent));
    session.received(peer.frame('8', 6, [], resent));
    session.received(peer.frame('8', 7));
    expect(delivered.map((d) => d.seqNum)).toEqual(['6', '7']);
    expect(store.sequenceNumbers().nextIncoming).toBe(8);
  });
});
