/** FIX framing: checksum and BodyLength by bytes, round trips, and garbage refused whole while the stream goes on. */
import { describe, expect, it } from 'vitest';
import { checksum, encodeMessage, FixFrameReader, SOH, type FixField } from './fixCodec.ts';

const wire = (text: string) => Buffer.from(text.replaceAll('|', SOH), 'utf8');

/** A Heartbeat as the QuickFIX executor framed it, answering a TestRequest. */
const HEARTBEAT = '8=FIX.4.4|9=68|35=0|34=6|49=EXECUTOR|52=20261121-20:53:48.708|56=ORDERGATE|112=tr1|10=216|';

describe('FIX framing', () => {
  it('given bytes, when summed, then the checksum is their sum mod 256 in three digits', () => {
    expect(checksum(Buffer.from([1, 2, 3]))).toBe('006');
    expect(checksum(Buffer.from([200, 100]))).toBe('044');
    expect(checksum(wire(HEARTBEAT.slice(0, HEARTBEAT.indexOf('10='))))).toBe('216');
  });

  it('given fields, when encoded, then BodyLength counts the bytes between it and CheckSum, and CheckSum closes the frame', () => {
    const bytes = encodeMessage([[35, '0'], [34, '6'], [49, 'EXECUTOR'], [52, '20261121-20:53:48.708'], [56, 'ORDERGATE'], [112, 'tr1']]);
    expect(bytes.toString('utf8').replaceAll(SOH, '|')).toBe(HEARTBEAT);
  });

  it('given a value with multi-byte characters, when encoded, then BodyLength counts bytes, not characters', () => {
    const bytes = encodeMessage([[35, '3'], [58, 'prix refusé']]);
    expect(bytes.toString('utf8')).toContain(`9=${'35=3|58=prix refusé|'.length + 1}${SOH}`);
    const [frame] = new FixFrameReader().push(bytes);
    expect(frame).toMatchObject({ ok: true });
    expect(frame?.ok && frame.message.get(58)).toBe('prix refusé');
  });

  it('given an encoded message, when read back, then every field comes back in order, with its BeginString', () => {
    const fields: FixField[] = [[35, 'D'], [49, 'A'], [56, 'B'], [34, '12'], [11, 'id-1'], [44, '150.25'], [38, '100']];
    const [frame] = new FixFrameReader().push(encodeMessage(fields));
    expect(frame?.ok).toBe(true);
    if (!frame?.ok) return;
    expect(frame.message.fields).toEqual(fields);
    expect(frame.message.beginString).toBe('FIX.4.4');
    expect(frame.message.msgType).toBe('D');
    expect(frame.message.get(44)).toBe('150.25');
    expect(frame.message.get(99)).toBeUndefined();
  });

  it('given frames split and joined arbitrarily across reads, when read, then each comes out whole, once', () => {
    const stream = Buffer.concat([encodeMessage([[35, '0'], [34, '1']]), encodeMessage([[35, '1'], [34, '2'], [112, 'T']]), encodeMessage([[35, '0'], [34, '3']])]);
    for (const cut of [1, 2, 5, 7, 13, 31]) {
      const reader = new FixFrameReader();
      const results = [];
      for (let offset = 0; offset < stream.length; offset += cut) results.push(...reader.push(stream.subarray(offset, offset + cut)));
      expect(results.map((result) => result.ok && result.message.get(34))).toEqual(['1', '2', '3']);
    }
  });

  it('given a frame with a wrong checksum, when read, then it is refused whole and the next frame is still read', () => {
    const bad = wire(HEARTBEAT.replace('10=216', '10=217'));
    const results = new FixFrameReader().push(Buffer.concat([bad, encodeMessage([[35, '0'], [34, '7']])]));
    expect(results).toEqual([
      { ok: false, error: 'CheckSum 217 is not 216', garbage: expect.stringContaining('35=0') },
      { ok: true, message: expect.objectContaining({ fields: [[35, '0'], [34, '7']] }) },
    ]);
  });

  it('given a frame whose BodyLength is wrong, when read, then it is refused and reading resumes at the next frame', () => {
    const bad = wire(HEARTBEAT.replace('9=68', '9=66'));
    const results = new FixFrameReader().push(Buffer.concat([bad, encodeMessage([[35, '0'], [34, '8']])]));
    expect(results.filter((result) => result.ok).map((result) => result.ok && result.message.get(34))).toEqual(['8']);
    expect(results[0]).toMatchObject({ ok: false, error: 'BodyLength does not end at the CheckSum field' });
  });

  it('given bytes that are not FIX before a frame, when read, then they are reported as garbage and the frame is read', () => {
    const results = new FixFrameReader().push(Buffer.concat([Buffer.from('GET / HTTP/1.1\r\n'), encodeMessage([[35, '0'], [34, '9']])]));
    expect(results[0]).toEqual({ ok: false, error: 'bytes outside a FIX frame', garbage: 'GET / HTTP/1.1\r\n' });
    expect(results[1]).toMatchObject({ ok: true });
  });

  it.each([
    ['a field without "="', '35=0|34|'],
    ['a non-numeric tag', '35=0|x4=1|'],
    ['an empty value', '35=0|34=|'],
    ['MsgType not first', '34=1|35=0|'],
  ])('given a well-framed body with %s, when read, then the frame is refused', (_, body) => {
    const head = `8=FIX.4.4${SOH}9=${body.length}${SOH}${body.replaceAll('|', SOH)}`;
    const frame = Buffer.concat([Buffer.from(head), Buffer.from(`10=${checksum(Buffer.from(head))}${SOH}`)]);
    const results = new FixFrameReader().push(frame);
    expect(results).toHaveLength(1);
    expect(results[0]?.ok).toBe(false);
  });

  it('given a BodyLength beyond any sane message, when read, then it is refused without waiting for the bytes', () => {
    const results = new FixFrameReader().push(wire('8=FIX.4.4|9=999999|35=0|'));
    expect(results[0]).toMatchObject({ ok: false, error: expect.stringMatching(/exceeds/) });
  });

  it.each([
    ['an empty value', [[35, '0'], [58, '']]],
    ['a value holding SOH', [[35, '0'], [58, `a${SOH}b`]]],
    ['a framing tag', [[35, '0'], [10, '000']]],
    ['MsgType not first', [[34, '1'], [35, '0']]],
  ] as [string, FixField[]][])('given %s, when encoded, then it throws: a peer could not read it', (_, fields) => {
    expect(() => encodeMessage(fields)).toThrow();
  });
});
