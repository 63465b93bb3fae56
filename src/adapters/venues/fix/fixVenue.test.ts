/**
 * The `fix` venue's answers to what the QuickFIX executor never says (a New report, a venue
 * reject, a duplicate id, cancel answers, status answers, silence), from a scripted acceptor
 * over a real localhost socket, with the venue's clock driven by hand.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { D } from '../../../domain/money.ts';
import type { ExecutionReport, VenueOrderRequest } from '../../../ports/venue.ts';
import { ManualTime } from '../sim/manualTime.ts';
import { encodeMessage, FixFrameReader, type FixField, type FixMessage } from './fixCodec.ts';
import { fixTimestamp } from './fixProtocol.ts';
import { FixVenue } from './fixVenue.ts';
import { MemorySessionStore } from './sessionStore.ts';
import { Secret } from '../credentials.ts';

type Reply = (msgType: string, body: readonly FixField[], extraHeader?: readonly FixField[]) => void;
type Script = (message: FixMessage, reply: Reply) => void;

/** A FIX acceptor that logs on, answers heartbeats and Logout, and answers the rest as the test says. */
class ScriptedAcceptor {
  readonly received: FixMessage[] = [];
  script: Script = () => {};
  #seqNum = 1;
  #socket: Socket | null = null;

  private constructor(readonly server: Server, readonly port: number) {}

  static async open(): Promise<ScriptedAcceptor> {
    let acceptor: ScriptedAcceptor | null = null;
    const server = createServer((socket) => acceptor?.serve(socket));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    acceptor = new ScriptedAcceptor(server, (server.address() as { port: number }).port);
    return acceptor;
  }

  async close(): Promise<void> {
    this.#socket?.destroy();
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  private serve(socket: Socket): void {
    this.#socket = socket;
    const reader = new FixFrameReader();
    const reply: Reply = (msgType, body, extraHeader = []) => {
      const header: FixField[] = [[35, msgType], [49, 'VENUE'], [56, 'GATEWAY'], [34, String(this.#seqNum++)], [52, fixTimestamp(new Date())]];
      socket.write(encodeMessage([...header, ...extraHeader, ...body]));
    };
    socket.on('data', (chunk: Buffer) => {
      for (const frame of reader.push(chunk)) {
        if (!frame.ok) throw new Error(frame.error);
        this.received.push(frame.message);
        // A Logon numbered 1 begins a new session (a daily reset): this side starts over too.
        if (frame.message.msgType === 'A' && frame.message.get(34) === '1') this.#seqNum = 1;
        if (frame.message.msgType === 'A') reply('A', [[98, '0'], [108, '30']]);
        else if (frame.message.msgType === '5') reply('5', []);
        else if (frame.message.msgType !== '0') this.script(frame.message, reply);
      }
    });
    socket.on('error', () => {});
  }
}

const limitOrder = (clientOrderId: string): VenueOrderRequest => ({
  clientOrderId, account: 'alice', symbol: 'MSFT', side: 'buy', type: 'limit', timeInForce: 'gtc',
  quantity: new D(10), limitPrice: new D('400.5'), stopPrice: null,
});

/** An ExecutionReport answering `message`; `extra` fields replace the defaults of the same tag. */
const executionReport = (message: FixMessage, execType: string, ordStatus: string, extra: FixField[] = []): FixField[] => [
  ...([
    [37, 'V-1'], [11, message.get(11)!], [17, `E-${execType}`], [150, execType], [39, ordStatus], [54, '1'], [55, 'MSFT'],
    [151, '10'], [14, '0'], [6, '0'],
  ] as FixField[]).filter(([tag]) => !extra.some(([replaced]) => replaced === tag)),
  ...extra,
];

const eventually = (assertion: () => void) => vi.waitFor(assertion, { timeout: 5_000, interval: 5 });

describe('fix venue', () => {
  let acceptor: ScriptedAcceptor;
  let time: ManualTime;
  let venue: FixVenue;
  let reports: ExecutionReport[];
  let requestIds: number;

  beforeEach(async () => {
    acceptor = await ScriptedAcceptor.open();
    time = new ManualTime();
    reports = [];
    requestIds = 0;
    venue = new FixVenue({
      host: '127.0.0.1', port: acceptor.port, senderCompId: 'GATEWAY', targetCompId: 'VENUE', store: new MemorySessionStore(),
      timers: time, requestTimeoutMs: 1_000, newRequestId: () => `request-${++requestIds}`,
    });
    venue.onExecutionReport((report) => reports.push(report));
    await venue.start();
  });

  afterEach(async () => {
    await venue.close();
    await acceptor.close();
  });

  it('given a New report, when submitted, then the order is accepted and acked; a fill resent under PossResend reaches the stream once', async () => {
    acceptor.script = (message, reply) => {
      if (message.msgType !== 'D') return;
      reply('8', executionReport(message, '0', '0'));
      const fill = executionReport(message, 'F', '1', [[32, '4'], [31, '400.5'], [14, '4'], [151, '6']]);
      reply('8', fill);
      reply('8', fill, [[97, 'Y']]);
    };
    expect(await venue.submit(limitOrder('order-1'))).toEqual({ outcome: 'accepted', venueOrderId: 'V-1' });
    await eventually(() => expect(acceptor.received.filter((m) => m.msgType === 'D')).toHaveLength(1));
    await eventually(() => expect(reports.map((report) => report.kind)).toEqual(['ack', 'fill']));
    expect(reports[1]).toMatchObject({ venueFillId: 'order-1/E-F', quantity: new D(4), price: new D('400.5') });
    expect(await venue.submit(limitOrder('order-1'))).toEqual({ outcome: 'accepted', venueOrderId: 'V-1' });
    expect(acceptor.received.filter((m) => m.msgType === 'D')).toHaveLength(1);
  });

  it('given a venue reject, when submitted, then it is rejected with the venue text, on the stream too', async () => {
    acceptor.script = (message, reply) => reply('8', executionReport(message, '8', '8', [[103, '1'], [58, 'unknown symbol MSFT']]));
    expect(await venue.submit(limitOrder('order-2'))).toEqual({ outcome: 'rejected', reason: 'unknown symbol MSFT' });
    expect(reports).toEqual([expect.objectContaining({ kind: 'rejected', clientOrderId: 'order-2', reason: 'unknown symbol MSFT' })]);
  });

  it('given a duplicate-id reject, when submitted, then the outcome is unknown (to be looked up) and nothing is reported', async () => {
    acceptor.script = (message, reply) => reply('8', executionReport(message, '8', '8', [[103, '6'], [58, 'duplicate order']]));
    expect(await venue.submit(limitOrder('order-3'))).toMatchObject({ outcome: 'unknown', reason: expect.stringMatching(/already has an order/) });
    expect(reports).toEqual([]);
  });

  it('given no answer, when the request timeout passes on the venue clock, then the outcome is unknown', async () => {
    const outcome = venue.submit(limitOrder('order-4'));
    await eventually(() => expect(acceptor.received.some((m) => m.msgType === 'D')).toBe(true));
    time.advance(1_000);
    expect(await outcome).toEqual({ outcome: 'unknown', reason: 'no answer from the venue in time' });
  });

  it('given a working order, when cancelled, then a Pending Cancel answers requested; a cancel reject for an unknown order says so', async () => {
    acceptor.script = (message, reply) => {
      if (message.msgType === 'D') reply('8', executionReport(message, '0', '0'));
      if (message.msgType === 'F' && message.get(11) === 'request-1') reply('8', [...executionReport(message, '6', '6'), [41, message.get(41)!]]);
      if (message.msgType === 'F' && message.get(11) === 'request-2') {
        reply('9', [[37, 'NONE'], [11, message.get(11)!], [41, message.get(41)!], [39, '8'], [434, '1'], [102, '1']]);
      }
    };
    await venue.submit(limitOrder('order-5'));
    expect(await venue.cancel('order-5')).toEqual({ outcome: 'requested' });
    const cancel = acceptor.received.find((m) => m.msgType === 'F')!;
    expect([cancel.get(11), cancel.get(41), cancel.get(55), cancel.get(54), cancel.get(38)]).toEqual(['request-1', 'order-5', 'MSFT', '1', '10']);
    expect(await venue.cancel('order-5')).toEqual({ outcome: 'rejected', reason: 'unknown order' });
    expect(reports.at(-1)).toMatchObject({ kind: 'cancel_rejected', clientOrderId: 'order-5', venueOrderId: null, reason: 'unknown order' });
  });

  it('given a status answer, when looked up, then the view has the venue status and filled quantity; an unknown-order answer is null', async () => {
    acceptor.script = (message, reply) => {
      if (message.msgType === 'D') reply('8', executionReport(message, '0', '0'));
      if (message.msgType === 'H' && message.get(11) === 'order-6') {
        reply('8', executionReport(message, 'I', '1', [[14, '3'], [151, '7'], [790, message.get(790)!]]));
      }
      if (message.msgType === 'H' && message.get(11) === 'order-7') reply('8', executionReport(message, 'I', '8', [[103, '5']]));
    };
    await venue.submit(limitOrder('order-6'));
    await venue.submit(limitOrder('order-7'));
    const view = await venue.lookup('order-6');
    expect(view).toMatchObject({ clientOrderId: 'order-6', venueOrderId: 'V-1', status: 'working', fills: [], reason: null });
    expect([view?.filledQuantity.toFixed(), view?.quantity.toFixed()]).toEqual(['3', '10']);
    expect(await venue.lookup('order-7')).toBeNull();
    expect(await venue.lookup('never-sent')).toBeNull();
  });

  it('given a business reject naming an unknown id, then the lookup is null; given silence, it throws rather than guess', async () => {
    acceptor.script = (message, reply) => {
      if (message.msgType === 'H' && message.get(11) === 'order-8') reply('j', [[45, message.get(34)!], [372, 'H'], [380, '1']]);
    };
    void venue.submit(limitOrder('order-8'));
    void venue.submit(limitOrder('order-9'));
    await eventually(() => expect(acceptor.received.filter((m) => m.msgType === 'D')).toHaveLength(2));
    expect(await venue.lookup('order-8')).toBeNull();
    const silent = venue.lookup('order-9');
    await eventually(() => expect(acceptor.received.filter((m) => m.msgType === 'H')).toHaveLength(2));
    time.advance(1_000);
    await expect(silent).rejects.toThrow(/no answer/);
  });

  it('given the session is not logged on, then a submit is not sent and is retryable, never rejected; a lookup of a sent order throws rather than say null', async () => {
    acceptor.script = (message, reply) => reply('8', executionReport(message, '0', '0'));
    await venue.submit(limitOrder('order-10'));
    await venue.close();
    expect(venue.healthy()).toBe(false);
    expect(await venue.submit(limitOrder('order-11'))).toEqual({ outcome: 'not_sent', reason: 'not sent: venue fix is not connected', retryAfterMs: 1_000 });
    await expect(venue.lookup('order-10')).rejects.toThrow('venue fix is not connected');
    // Never sent by this session: the lookup before the retry finds nothing, so it is sent again.
    expect(await venue.lookup('order-11')).toBeNull();
    expect(reports.filter((report) => report.clientOrderId === 'order-11')).toEqual([]);
    expect(acceptor.received.filter((m) => m.msgType === 'D').map((m) => m.get(11))).toEqual(['order-10']);
  });

  it('given the session is not logged on, then a cancel of a sent order is unknown (not sent, retried later), never a rejection', async () => {
    acceptor.script = (message, reply) => reply('8', executionReport(message, '0', '0'));
    await venue.submit(limitOrder('order-12'));
    await venue.close();
    expect(await venue.cancel('order-12')).toEqual({ outcome: 'unknown', reason: 'not sent: venue fix is not connected', retryAfterMs: 1_000 });
    expect(acceptor.received.filter((m) => m.msgType === 'F')).toEqual([]);
  });

  it('given a session that moved here from another instance, then an order this session never sent but the gateway routed here is asked about and cancelled with the gateway\'s terms', async () => {
    await venue.close();
    const shared = new Map([['order-elsewhere', { symbol: 'MSFT', side: '2', quantity: new D(5) }]]);
    venue = new FixVenue({
      host: '127.0.0.1', port: acceptor.port, senderCompId: 'GATEWAY', targetCompId: 'VENUE', store: new MemorySessionStore(),
      timers: time, requestTimeoutMs: 1_000, newRequestId: () => `request-${++requestIds}`,
      sharedOrder: async (id) => shared.get(id) ?? null,
    });
    await venue.start();
    acceptor.script = (message, reply) => {
      if (message.msgType === 'H') reply('8', executionReport(message, 'I', '0', [[37, 'V-9'], [54, '2'], [151, '5'], [790, message.get(790)!]]));
      if (message.msgType === 'F') reply('8', [...executionReport(message, '6', '6', [[37, 'V-9'], [54, '2']]), [41, message.get(41)!]]);
    };
    expect(await venue.lookup('order-elsewhere')).toMatchObject({ clientOrderId: 'order-elsewhere', venueOrderId: 'V-9', status: 'working' });
    const status = acceptor.received.find((m) => m.msgType === 'H')!;
    expect([status.get(11), status.get(55), status.get(54)]).toEqual(['order-elsewhere', 'MSFT', '2']);
    expect(await venue.cancel('order-elsewhere')).toEqual({ outcome: 'requested' });
    const cancel = acceptor.received.find((m) => m.msgType === 'F')!;
    expect([cancel.get(41), cancel.get(55), cancel.get(54), cancel.get(38)]).toEqual(['order-elsewhere', 'MSFT', '2', '5']);
    // Unknown to this session and to the gateway: not at the venue, and nothing is asked.
    expect(await venue.lookup('nobody-sent')).toBeNull();
    expect(acceptor.received.filter((m) => m.msgType === 'H')).toHaveLength(1);
  });

  it('given a session that moved here, when the venue answers no status requests for an order another instance sent, then the lookup throws rather than say it is absent', async () => {
    await venue.close();
    venue = new FixVenue({
      host: '127.0.0.1', port: acceptor.port, senderCompId: 'GATEWAY', targetCompId: 'VENUE', store: new MemorySessionStore(),
      timers: time, requestTimeoutMs: 1_000, newRequestId: () => `request-${++requestIds}`,
      sharedOrder: async () => ({ symbol: 'MSFT', side: '1', quantity: new D(10) }),
    });
    await venue.start();
    acceptor.script = (message, reply) => {
      if (message.msgType === 'H') reply('j', [[45, message.get(34)!], [372, 'H'], [380, '3']]);
    };
    await expect(venue.lookup('order-elsewhere')).rejects.toThrow(/did not answer the status request/);
  });

  it('given the daily session reset under way, when an order is submitted, then it is not sent and not rejected; once logged on again, it is sent', async () => {
    await venue.close();
    venue = new FixVenue({
      host: '127.0.0.1', port: acceptor.port, senderCompId: 'GATEWAY', targetCompId: 'VENUE', store: new MemorySessionStore(),
      timers: time, requestTimeoutMs: 1_000, newRequestId: () => `request-${++requestIds}`, sessionReset: { time: '14:31', timeZone: 'UTC' },
    });
    venue.onExecutionReport((report) => reports.push(report));
    acceptor.script = (message, reply) => {
      if (message.msgType === 'D') reply('8', executionReport(message, '0', '0'));
    };
    await venue.start();
    time.advance(60_000);
    expect(venue.healthy()).toBe(false);
    expect(await venue.submit(limitOrder('order-14'))).toMatchObject({ outcome: 'not_sent', retryAfterMs: 1_000 });

    await eventually(() => expect(venue.healthy()).toBe(true));
    expect(await venue.lookup('order-14')).toBeNull();
    expect(await venue.submit(limitOrder('order-14'))).toEqual({ outcome: 'accepted', venueOrderId: 'V-1' });
    expect(reports.filter((report) => report.clientOrderId === 'order-14').map((report) => report.kind)).toEqual(['ack']);
  });

  it('given a daily session reset time, when it comes, then the session logs out, logs on again numbered from 1, and says its stream is back', async () => {
    await venue.close();
    const store = new MemorySessionStore();
    venue = new FixVenue({
      host: '127.0.0.1', port: acceptor.port, senderCompId: 'GATEWAY', targetCompId: 'VENUE', store,
      timers: time, requestTimeoutMs: 1_000, newRequestId: () => `request-${++requestIds}`,
      sessionReset: { time: '14:31', timeZone: 'UTC' },
      logon: { username: new Secret('gateway-user'), password: new Secret('gateway-password') },
    });
    let restored = 0;
    venue.onStreamRestored(() => restored++);
    venue.onExecutionReport((report) => reports.push(report));
    acceptor.script = (message, reply) => {
      if (message.msgType === 'D') reply('8', executionReport(message, '0', '0'));
    };
    await venue.start();
    expect(store.epochStartedAt()).toEqual(time.now());
    const logons = () => acceptor.received.filter((m) => m.msgType === 'A');
    expect(logons().at(-1)!.fields).toEqual(expect.arrayContaining([[34, '1'], [553, 'gateway-user'], [554, 'gateway-password']]));
    expect(await venue.submit(limitOrder('order-12'))).toMatchObject({ outcome: 'accepted' });
    const before = logons().length;

    time.advance(60_000);
    await eventually(() => expect(logons()).toHaveLength(before + 1));
    await eventually(() => expect(venue.healthy()).toBe(true));
    expect(acceptor.received.some((m) => m.msgType === '5')).toBe(true);
    expect(logons().at(-1)!.get(34)).toBe('1');
    expect(store.epochStartedAt()).toEqual(new Date('2026-01-05T14:31:00.000Z'));
    expect(restored).toBe(1);
    expect(await venue.submit(limitOrder('order-13'))).toMatchObject({ outcome: 'accepted' });
    expect(acceptor.received.filter((m) => m.msgType === 'D').at(-1)!.get(34)).toBe('2');
    // The order sent before the reset is still known: it can be cancelled or looked up.
    expect(store.archivedSent().map((message) => message.body.find(([tag]) => tag === 11)?.[1])).toEqual(['order-12']);
  });

  it('given a reset time that passed while the gateway was down, when it starts, then it starts the numbers over before logging on', async () => {
    await venue.close();
    const store = new MemorySessionStore({ nextOutgoing: 50, nextIncoming: 60, epochStartedAt: '2026-01-03T14:00:00.000Z' });
    venue = new FixVenue({
      host: '127.0.0.1', port: acceptor.port, senderCompId: 'GATEWAY', targetCompId: 'VENUE', store, timers: time,
      sessionReset: { time: '09:00', timeZone: 'Europe/London' },
    });
    await venue.start();
    expect(acceptor.received.filter((m) => m.msgType === 'A').at(-1)!.get(34)).toBe('1');
    expect(store.epochStartedAt()).toEqual(time.now());
    expect(venue.healthy()).toBe(true);
  });
});
