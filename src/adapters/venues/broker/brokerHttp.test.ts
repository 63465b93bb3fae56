/** The shared broker HTTP client against a real local server: answers, waits to honour, deadlines, and reasons with no secret. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Secret } from '../credentials.ts';
import { ManualTime } from '../sim/manualTime.ts';
import { BrokerHttp, unknownOutcome } from './brokerHttp.ts';

const TOKEN = new Secret('broker-token-a1b2c3');

describe('BrokerHttp', () => {
  let server: Server;
  let answer: (res: import('node:http').ServerResponse) => void;
  let seenHeaders: Record<string, unknown>;
  const time = new ManualTime('2026-01-05T14:30:00.000Z');
  const client = (baseUrl: string) => new BrokerHttp({
    broker: 'Testbroker', baseUrl, headers: () => ({ authorization: `token ${TOKEN.reveal()}` }), secrets: [TOKEN],
    schedule: time.schedule, clock: time, timeoutMs: 1_000, parse: (text) => JSON.parse(text), resetHeader: 'x-ratelimit-reset',
  });
  const url = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/prefix`;

  beforeEach(async () => {
    answer = (res) => res.end('{}');
    server = createServer((req, res) => {
      seenHeaders = req.headers;
      answer(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('given an answer, then its status and parsed body come back, the headers went out, and a body that is not JSON reads as null', async () => {
    answer = (res) => res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":"x"}');
    expect(await client(url()).request('POST', '/orders', { contentType: 'application/json', text: '{}' })).toEqual({ answered: true, status: 201, body: { id: 'x' }, retryAfterMs: null });
    expect(seenHeaders.authorization).toBe(`token ${TOKEN.reveal()}`);
    answer = (res) => res.writeHead(502).end('<html>bad gateway</html>');
    expect(await client(url()).request('GET', '/orders')).toMatchObject({ answered: true, status: 502, body: null });
  });

  it('given a wait to honour as seconds, as an HTTP date, or only as the reset header, then each is read in ms against the injected clock', async () => {
    answer = (res) => res.writeHead(429, { 'retry-after': '7' }).end();
    expect(await client(url()).request('GET', '/x')).toMatchObject({ retryAfterMs: 7_000 });
    answer = (res) => res.writeHead(429, { 'retry-after': new Date(time.now().getTime() + 3_000).toUTCString() }).end();
    expect(await client(url()).request('GET', '/x')).toMatchObject({ retryAfterMs: 3_000 });
    answer = (res) => res.writeHead(429, { 'x-ratelimit-reset': String(time.now().getTime() / 1000 + 12) }).end();
    const reset = await client(url()).request('GET', '/x');
    expect(reset).toMatchObject({ retryAfterMs: 12_000 });
    expect(unknownOutcome('rate limited', reset)).toEqual({ outcome: 'unknown', reason: 'rate limited', retryAfterMs: 12_000 });
  });

  it('given no answer by the deadline on the clock, or a refused connection, then it is unanswered with a reason that carries no secret', async () => {
    let arrived!: () => void;
    const held = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    answer = () => arrived();
    const pending = client(url()).request('GET', '/x');
    await held;
    time.advance(1_000);
    expect(await pending).toEqual({ answered: false, reason: 'no answer from Testbroker within 1000 ms' });
    const refused = await client(`http://127.0.0.1:1/${TOKEN.reveal()}`).request('GET', '/x');
    expect(refused).toMatchObject({ answered: false, reason: expect.stringMatching(/^no answer from Testbroker: /) });
    expect(JSON.stringify(refused)).not.toContain(TOKEN.reveal());
  });
});
