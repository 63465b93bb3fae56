/**
 * FIX tag=value framing: encodes a message with its BodyLength (9) and CheckSum (10), and cuts
 * a TCP byte stream back into messages.
 * Invariants: BodyLength counts bytes (UTF-8), from the byte after "9=…<SOH>" to the SOH before
 * "10="; CheckSum is the byte sum mod 256 of everything before "10=", three digits. A frame
 * that fails either check, or whose fields are not tag=value with a numeric tag and a
 * non-empty value, is refused whole and reported as garbage, never half-read; the reader then
 * resynchronises on the next "8=FIX". Encoding a field a peer could not parse is a bug: it throws.
 */
import { BEGIN_STRING, Tag } from './fixProtocol.ts';

export const SOH = '\x01';
const SOH_BYTE = 0x01;
const MAX_BODY_LENGTH = 64 * 1024;
const TRAILER_LENGTH = '10=000\x01'.length;
const FRAME_START = Buffer.from(`8=FIX`, 'latin1');

export type FixField = readonly [tag: number, value: string];

/** One decoded message: its fields after BodyLength and before CheckSum, in wire order. */
export class FixMessage {
  constructor(
    readonly fields: readonly FixField[],
    readonly beginString: string = BEGIN_STRING,
  ) {}

  get msgType(): string {
    return this.get(Tag.MsgType) ?? '';
  }

  /** The first value of `tag`, or undefined. */
  get(tag: number): string | undefined {
    for (const [t, value] of this.fields) if (t === tag) return value;
    return undefined;
  }

  has(tag: number): boolean {
    return this.get(tag) !== undefined;
  }

  /** The message as a log line, SOH shown as '|'. */
  toString(): string {
    return this.fields.map(([tag, value]) => `${tag}=${value}`).join('|');
  }
}

export function checksum(bytes: Uint8Array): string {
  let sum = 0;
  for (const byte of bytes) sum += byte;
  return String(sum % 256).padStart(3, '0');
}

/** Encodes `fields` (MsgType first, then header and body) into one complete frame. */
export function encodeMessage(fields: readonly FixField[], beginString: string = BEGIN_STRING): Buffer {
  if (fields[0]?.[0] !== Tag.MsgType) throw new Error('a FIX message starts with MsgType (35)');
  let body = '';
  for (const [tag, value] of fields) {
    if (!Number.isSafeInteger(tag) || tag <= 0) throw new Error(`bad FIX tag ${tag}`);
    if (tag === Tag.BeginString || tag === Tag.BodyLength || tag === Tag.CheckSum) throw new Error(`tag ${tag} is framing, not content`);
    if (value === '' || value.includes(SOH)) throw new Error(`tag ${tag} has an empty value or one containing SOH`);
    body += `${tag}=${value}${SOH}`;
  }
  const head = Buffer.from(`8=${beginString}${SOH}9=${Buffer.byteLength(body, 'utf8')}${SOH}${body}`, 'utf8');
  return Buffer.concat([head, Buffer.from(`10=${checksum(head)}${SOH}`, 'latin1')]);
}

export type FrameResult =
  | { readonly ok: true; readonly message: FixMessage }
  | { readonly ok: false; readonly error: string; readonly garbage: string };

type HeaderScan =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'bad'; readonly error: string }
  | { readonly kind: 'header'; readonly beginString: string; readonly bodyStart: number; readonly bodyLength: number };

/** Accumulates bytes from a socket and returns every complete frame, good or refused. */
export class FixFrameReader {
  #pending: Buffer = Buffer.alloc(0);

  push(chunk: Uint8Array): FrameResult[] {
    this.#pending = this.#pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#pending, chunk]);
    const results: FrameResult[] = [];
    for (;;) {
      const skipped = this.#skipToFrameStart();
      if (skipped) results.push({ ok: false, error: 'bytes outside a FIX frame', garbage: skipped });
      const scan = scanHeader(this.#pending);
      if (scan.kind === 'incomplete') return results;
      if (scan.kind === 'bad') {
        results.push(this.#refuse(1, scan.error));
        continue;
      }
      const trailerStart = scan.bodyStart + scan.bodyLength;
      const frameLength = trailerStart + TRAILER_LENGTH;
      if (this.#pending.length < frameLength) return results;
      const trailer = this.#pending.subarray(trailerStart, frameLength).toString('latin1');
      if (!/^10=\d{3}\x01$/.test(trailer)) {
        results.push(this.#refuse(1, 'BodyLength does not end at the CheckSum field'));
        continue;
      }
      const expected = checksum(this.#pending.subarray(0, trailerStart));
      if (trailer.slice(3, 6) !== expected) {
        results.push(this.#refuse(frameLength, `CheckSum ${trailer.slice(3, 6)} is not ${expected}`));
        continue;
      }
      const fields = parseFields(this.#pending.subarray(scan.bodyStart, trailerStart));
      if (typeof fields === 'string') {
        results.push(this.#refuse(frameLength, fields));
        continue;
      }
      this.#pending = this.#pending.subarray(frameLength);
      results.push({ ok: true, message: new FixMessage(fields, scan.beginString) });
    }
  }

  /** Drops `length` bytes as garbage; the next frame is looked for after them. */
  #refuse(length: number, error: string): FrameResult {
    const garbage = this.#pending.subarray(0, length).toString('latin1');
    this.#pending = this.#pending.subarray(length);
    return { ok: false, error, garbage };
  }

  /** Discards everything before the next "8=FIX"; returns what was discarded. */
  #skipToFrameStart(): string {
    const start = this.#pending.indexOf(FRAME_START);
    // Keep a tail that could be the beginning of "8=FIX" split across two reads.
    const cut = start >= 0 ? start : Math.max(0, this.#pending.length - (FRAME_START.length - 1));
    if (cut === 0) return '';
    const skipped = this.#pending.subarray(0, cut).toString('latin1');
    this.#pending = this.#pending.subarray(cut);
    return skipped;
  }
}

function scanHeader(bytes: Buffer): HeaderScan {
  const firstEnd = bytes.indexOf(SOH_BYTE);
  if (firstEnd < 0) return bytes.length > 32 ? { kind: 'bad', error: 'BeginString is not terminated' } : { kind: 'incomplete' };
  const secondEnd = bytes.indexOf(SOH_BYTE, firstEnd + 1);
  if (secondEnd < 0) return bytes.length - firstEnd > 16 ? { kind: 'bad', error: 'BodyLength is not terminated' } : { kind: 'incomplete' };
  const lengthField = bytes.subarray(firstEnd + 1, secondEnd).toString('latin1');
  const match = /^9=(0|[1-9]\d{0,5})$/.exec(lengthField);
  if (!match) return { kind: 'bad', error: `the second field is not a BodyLength: ${lengthField}` };
  const bodyLength = Number(match[1]);
  if (bodyLength > MAX_BODY_LENGTH) return { kind: 'bad', error: `BodyLength ${bodyLength} exceeds ${MAX_BODY_LENGTH}` };
  return { kind: 'header', beginString: bytes.subarray(2, firstEnd).toString('latin1'), bodyStart: secondEnd + 1, bodyLength };
}

/** The body's fields, or a description of why it is not a well-formed FIX body. */
function parseFields(body: Buffer): FixField[] | string {
  const text = body.toString('utf8');
  if (!text.endsWith(SOH)) return 'the body does not end with SOH';
  const fields: FixField[] = [];
  for (const part of text.slice(0, -1).split(SOH)) {
    const equals = part.indexOf('=');
    const tagText = part.slice(0, Math.max(0, equals));
    if (equals <= 0 || !/^[1-9]\d{0,8}$/.test(tagText)) return `malformed field "${part}"`;
    if (equals === part.length - 1) return `tag ${tagText} has no value`;
    fields.push([Number(tagText), part.slice(equals + 1)]);
  }
  if (fields[0]?.[0] !== Tag.MsgType) return 'MsgType (35) is not the first body field';
  return fields;
}
