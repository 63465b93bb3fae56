/**
 * What a FIX session must remember across reconnects and restarts: the next sequence number
 * to send, the next one expected, and every application message sent (to answer the
 * counterparty's ResendRequest, and as the record of which orders this session ever sent).
 * Invariants: an outgoing number is saved before the message carrying it is written, so a
 * restart never reuses one; the incoming number is saved only after the message was handled,
 * so a crash redelivers rather than loses; a saved message is never changed. The file store
 * writes the numbers by rename (never a torn file) and appends messages one JSON line each.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FixField } from './fixCodec.ts';

export interface SequenceNumbers {
  readonly nextOutgoing: number;
  readonly nextIncoming: number;
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
  /** Sent application messages with begin ≤ seqNum ≤ end, in order. */
  sentBetween(begin: number, end: number): SentMessage[];
  allSent(): readonly SentMessage[];
}

const FIRST: SequenceNumbers = { nextOutgoing: 1, nextIncoming: 1 };

export class MemorySessionStore implements SessionStore {
  protected numbers: SequenceNumbers;
  protected readonly sent: SentMessage[] = [];

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
}

/** One folder per session (e.g. `FIX.4.4-ORDERGATE-EXECUTOR`), holding `seqnums.json` and `sent.jsonl`. */
export class FileSessionStore extends MemorySessionStore {
  readonly #numbersPath: string;
  readonly #sentPath: string;

  constructor(folder: string) {
    super();
    mkdirSync(folder, { recursive: true });
    this.#numbersPath = join(folder, 'seqnums.json');
    this.#sentPath = join(folder, 'sent.jsonl');
    if (existsSync(this.#numbersPath)) this.numbers = parseNumbers(readFileSync(this.#numbersPath, 'utf8'));
    if (existsSync(this.#sentPath)) this.#loadSent();
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
  return { nextOutgoing: positive(Number(parsed.nextOutgoing)), nextIncoming: positive(Number(parsed.nextIncoming)) };
}
