/**
 * What a FIX session must remember across reconnects and restarts: the next sequence number
 * to send, the next one expected, and every application message sent (to answer the
 * counterparty's ResendRequest, and as the record of which orders this session ever sent).
 * A sequence reset (ResetSeqNumFlag on logon, or the daily session reset) starts a new epoch:
 * both numbers go back to 1 and the messages sent so far are archived, no longer resent (their
 * numbers are reused) but still the record of which orders were sent.
 * Invariants: an outgoing number is saved before the message carrying it is written, so a
 * restart never reuses one within an epoch; the incoming number is saved only after the
 * message was handled, so a crash redelivers rather than loses; a saved message is never
 * changed. The file store writes the numbers by rename (never a torn file), appends messages
 * one JSON line each, and archives an epoch's messages by rename before its numbers restart.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FixField } from './fixCodec.ts';

export interface SequenceNumbers {
  readonly nextOutgoing: number;
  readonly nextIncoming: number;
  /** When the numbers last started at 1 (a reset); null for a session that never reset. */
  readonly epochStartedAt?: string | null;
}

/** An application message as sent: enough to resend it with PossDupFlag under the same number. */
export interface SentMessage {
  readonly seqNum: number;
  readonly msgType: string;
  /** The SendingTime (52) of the first transmission, for OrigSendingTime (122) on a resend. */
  readonly sendingTime: string;
  /** The body after the standard header. */
  readonly body: readonly FixField[];
}

export interface SessionStore {
  sequenceNumbers(): SequenceNumbers;
  setNextOutgoing(seqNum: number): void;
  setNextIncoming(seqNum: number): void;
  /** Saves the message and advances the outgoing number past it, in that order. */
  saveSent(message: SentMessage): void;
  /** Sent application messages of this epoch with begin ≤ seqNum ≤ end, in order. */
  sentBetween(begin: number, end: number): SentMessage[];
  /** This epoch's sent messages. */
  allSent(): readonly SentMessage[];
  /** Earlier epochs' sent messages, oldest epoch first: the record of what was sent, never resent. */
  archivedSent(): readonly SentMessage[];
  /** Starts a new epoch at `at`: both numbers back to 1, this epoch's messages archived. */
  reset(at: Date): void;
  /** When the current epoch started, or null if the session never reset. */
  epochStartedAt(): Date | null;
}

const FIRST: SequenceNumbers = { nextOutgoing: 1, nextIncoming: 1 };

export class MemorySessionStore implements SessionStore {
  protected numbers: SequenceNumbers;
  protected sent: SentMessage[] = [];
  protected archived: SentMessage[] = [];

  constructor(numbers: SequenceNumbers = FIRST) {
    this.numbers = numbers;
  }

  sequenceNumbers(): SequenceNumbers {
    return this.numbers;
  }

  setNextOutgoing(seqNum: number): void {
    this.numbers = { ...this.numbers, nextOutgoing: positive(seqNum) };
  }

  setNextIncoming(seqNum: number): void {
    this.numbers = { ...this.numbers, nextIncoming: positive(seqNum) };
  }

  saveSent(message: SentMessage): void {
    if (message.seqNum !== this.numbers.nextOutgoing) {
      throw new Error(`sent message ${message.seqNum} is not the next outgoing number ${this.numbers.nextOutgoing}`);
    }
    this.sent.push(message);
    this.setNextOutgoing(message.seqNum + 1);
  }

  sentBetween(begin: number, end: number): SentMessage[] {
    return this.sent.filter((message) => message.seqNum >= begin && message.seqNum <= end);
  }

  allSent(): readonly SentMessage[] {
    return this.sent;
  }

  archivedSent(): readonly SentMessage[] {
    return this.archived;
  }

  reset(at: Date): void {
    this.archived = [...this.archived, ...this.sent];
    this.sent = [];
    this.numbers = { nextOutgoing: 1, nextIncoming: 1, epochStartedAt: at.toISOString() };
  }

  epochStartedAt(): Date | null {
    return this.numbers.epochStartedAt ? new Date(this.numbers.epochStartedAt) : null;
  }
}

/** One folder per session (e.g. `FIX.4.4-ORDERGATE-EXECUTOR`), holding `seqnums.json` and `sent.jsonl`. */
export class FileSessionStore extends MemorySessionStore {
  readonly #folder: string;
  readonly #numbersPath: string;
  readonly #sentPath: string;

  constructor(folder: string) {
    super();
    this.#folder = folder;
    mkdirSync(folder, { recursive: true });
    this.#numbersPath = join(folder, 'seqnums.json');
    this.#sentPath = join(folder, 'sent.jsonl');
    if (existsSync(this.#numbersPath)) this.numbers = parseNumbers(readFileSync(this.#numbersPath, 'utf8'));
    if (existsSync(this.#sentPath)) this.#loadSent();
    for (const file of readdirSync(folder).filter((name) => /^sent-.+\.jsonl$/.test(name)).sort()) {
      this.archived.push(...readFileSync(join(folder, file), 'utf8').split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as SentMessage));
    }
  }

  /** Archive first, numbers second: a crash between leaves an empty epoch with old numbers, which the next reset starts over. */
  override reset(at: Date): void {
    if (existsSync(this.#sentPath)) renameSync(this.#sentPath, join(this.#folder, `sent-${at.toISOString().replace(/[:.]/g, '')}.jsonl`));
    super.reset(at);
    this.#writeNumbers();
  }

  override setNextOutgoing(seqNum: number): void {
    super.setNextOutgoing(seqNum);
    this.#writeNumbers();
  }

  override setNextIncoming(seqNum: number): void {
    super.setNextIncoming(seqNum);
    this.#writeNumbers();
  }

  override saveSent(message: SentMessage): void {
    if (message.seqNum !== this.numbers.nextOutgoing) {
      throw new Error(`sent message ${message.seqNum} is not the next outgoing number ${this.numbers.nextOutgoing}`);
    }
    appendFileSync(this.#sentPath, `${JSON.stringify(message)}\n`);
    super.saveSent(message);
  }

  /**
   * A crash between the append and the number update leaves a torn last line, or a whole line
   * whose number was never saved and whose message was never written to the socket: both are
   * dropped, so the number is used again for a message that really goes out.
   */
  #loadSent(): void {
    const lines = readFileSync(this.#sentPath, 'utf8').split('\n').filter((line) => line.trim() !== '');
    const kept: SentMessage[] = [];
    lines.forEach((line, index) => {
      let message: SentMessage;
      try {
        message = JSON.parse(line) as SentMessage;
      } catch (error) {
        if (index < lines.length - 1) throw error;
        return;
      }
      if (message.seqNum < this.numbers.nextOutgoing) kept.push(message);
    });
    this.sent.push(...kept);
    if (kept.length !== lines.length) writeFileSync(this.#sentPath, kept.map((message) => `${JSON.stringify(message)}\n`).join(''));
  }

  #writeNumbers(): void {
    const temporary = `${this.#numbersPath}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.numbers));
    renameSync(temporary, this.#numbersPath);
  }
}

function positive(seqNum: number): number {
  if (!Number.isSafeInteger(seqNum) || seqNum < 1) throw new RangeError(`a sequence number is a whole number ≥ 1, got ${seqNum}`);
  return seqNum;
}

function parseNumbers(text: string): SequenceNumbers {
  const parsed = JSON.parse(text) as Partial<SequenceNumbers>;
  return {
    nextOutgoing: positive(Number(parsed.nextOutgoing)), nextIncoming: positive(Number(parsed.nextIncoming)),
    ...(typeof parsed.epochStartedAt === 'string' ? { epochStartedAt: parsed.epochStartedAt } : {}),
  };
}
