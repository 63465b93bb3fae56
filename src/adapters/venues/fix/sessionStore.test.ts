/** The file session store across crashes: a number is never reused for a message that went out. */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSessionStore, type SentMessage } from './sessionStore.ts';

const sent = (seqNum: number): SentMessage => ({ seqNum, msgType: 'D', sendingTime: '20260105-14:30:00.000', body: [[11, `order-${seqNum}`]] });

describe('file session store', () => {
  let folder: string;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'ordergate-fix-store-'));
  });

  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('given a crash in the middle of an append, when reopened, then the torn line is dropped and its number is used again', () => {
    const store = new FileSessionStore(folder);
    store.saveSent(sent(1));
    appendFileSync(join(folder, 'sent.jsonl'), '{"seqNum":2,"msgTy');

    const reopened = new FileSessionStore(folder);
    expect(reopened.sequenceNumbers().nextOutgoing).toBe(2);
    reopened.saveSent(sent(2));
    expect(new FileSessionStore(folder).allSent().map((message) => message.seqNum)).toEqual([1, 2]);
  });

  it('given a crash after the append but before the number was saved, when reopened, then that message counts as never sent', () => {
    const store = new FileSessionStore(folder);
    store.saveSent(sent(1));
    appendFileSync(join(folder, 'sent.jsonl'), `${JSON.stringify(sent(2))}\n`);

    const reopened = new FileSessionStore(folder);
    expect(reopened.allSent().map((message) => message.seqNum)).toEqual([1]);
    expect(readFileSync(join(folder, 'sent.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('given a sent message out of turn, then it is refused: a number is never used twice', () => {
    const store = new FileSessionStore(folder);
    store.saveSent(sent(1));
    expect(() => store.saveSent(sent(1))).toThrow(/not the next outgoing number/);
  });

  it('given a corrupt line before the last, when opened, then it throws rather than resend the wrong messages', () => {
    writeFileSync(join(folder, 'seqnums.json'), JSON.stringify({ nextOutgoing: 4, nextIncoming: 1 }));
    writeFileSync(join(folder, 'sent.jsonl'), `${JSON.stringify(sent(1))}\nnot json\n${JSON.stringify(sent(3))}\n`);
    expect(() => new FileSessionStore(folder)).toThrow();
  });

  it('given a reset, when reopened, then both numbers start at 1 from the reset time, and the earlier messages are archived: listed, never resent', () => {
    const store = new FileSessionStore(folder);
    store.saveSent(sent(1));
    store.saveSent(sent(2));
    store.setNextIncoming(9);
    store.reset(new Date('2026-01-05T22:00:00.000Z'));
    store.saveSent(sent(1));

    const reopened = new FileSessionStore(folder);
    expect(reopened.sequenceNumbers()).toEqual({ nextOutgoing: 2, nextIncoming: 1, epochStartedAt: '2026-01-05T22:00:00.000Z' });
    expect(reopened.epochStartedAt()).toEqual(new Date('2026-01-05T22:00:00.000Z'));
    expect(reopened.allSent().map((message) => message.seqNum)).toEqual([1]);
    expect(reopened.sentBetween(1, 5).map((message) => message.body)).toEqual([[[11, 'order-1']]]);
    expect(reopened.archivedSent().map((message) => message.seqNum)).toEqual([1, 2]);
  });
});
