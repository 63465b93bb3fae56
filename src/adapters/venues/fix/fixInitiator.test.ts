/**
 * Reconnect backoff of the FIX initiator over real localhost sockets, timed by a manual clock:
 * the dial is the one task due, and each connection's arrival is stamped with that clock.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualTime } from '../sim/manualTime.ts';
import { encodeMessage, FixFrameReader } from './fixCodec.ts';
import { FixInitiator } from './fixInitiator.ts';
import { fixTimestamp } from './fixProtocol.ts';
import { FixSession } from './fixSession.ts';
import { MemorySessionStore } from './sessionStore.ts';

const eventually = (assertion: () => void) => vi.waitFor(assertion, { timeout: 5_000, interval: 5 });

describe('FIX initiator', () => {
  let time: ManualTime;
  let server: Server;
  let connectedAt: number[];
  let disconnects: number;
  let answerLogonOnConnection: number;
  let initiator: FixInitiator;
  const start = new Date('2026-01-05T14:30:00.000Z').getTime();

  /** Drops every connection at once, except that connection number `answerLogonOnConnection` logs on first. */
  const serve = (socket: Socket) => {
    connectedAt.push(time.now().getTime() - start);
    socket.on('error', () => {});
    if (connectedAt.length !== answerLogonOnConnection) return socket.destroy();
    const reader = new FixFrameReader();
    socket.on('data', (chunk: Buffer) => {
      for (const frame of reader.push(chunk)) {
        if (!frame.ok || frame.message.msgType !== 'A') continue;
        socket.write(encodeMessage([[35, 'A'], [49, 'VENUE'], [56, 'GATEWAY'], [34, '1'], [52, fixTimestamp(time.now())], [98, '0'], [108, '30']]));
        socket.end();
      }
    });
  };

  beforeEach(async () => {
    time = new ManualTime(new Date(start));
    connectedAt = [];
    disconnects = 0;
    answerLogonOnConnection = 4;
    server = createServer(serve);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const session = new FixSession({ senderCompId: 'GATEWAY', targetCompId: 'VENUE', heartbeatIntervalSeconds: 30 }, new MemorySessionStore(), time, {
      onMessage: () => {},
      onLoggedOn: () => initiator.loggedOn(),
      onDisconnected: () => disconnects++,
      onProblem: () => {},
    });
    const port = (server.address() as { port: number }).port;
    initiator = new FixInitiator(session, time, { host: '127.0.0.1', port, reconnect: { initialDelayMs: 250, maxDelayMs: 600 } }, () => {});
  });

  afterEach(async () => {
    await initiator.stop();
    await new Promise<void>((done) => server.close(() => done()));
  });

  it('given connections that keep dropping, then it dials again after doubling delays up to the cap, and quickly again after a logon', async () => {
    initiator.start();
    for (const [connections, delay] of [[1, 250], [2, 500], [3, 600], [4, 250]] as const) {
      await eventually(() => expect(disconnects).toBe(connections));
      const waiting = time.pendingTasks();
      time.advance(delay - 1);
      expect(time.pendingTasks()).toBe(waiting);
      time.advance(1);
      expect(time.pendingTasks()).toBe(waiting - 1);
      await eventually(() => expect(connectedAt).toHaveLength(connections + 1));
    }
    expect(connectedAt).toEqual([0, 250, 750, 1350, 1600]);
  });

  it('given it was stopped, then it never dials again', async () => {
    initiator.start();
    await eventually(() => expect(disconnects).toBe(1));
    await initiator.stop();
    time.advance(60_000);
    expect(connectedAt).toHaveLength(1);
  });
});
