/**
 * A WebSocket client that stops reading is sent nothing more and, once backed up for longer
 * than the grace period, closed with 4008 naming the seq to reconnect from, instead of holding
 * the server's memory or slowing the trader's other clients. The
 * kernel absorbs megabytes for a socket that is not read, so the flood is written straight
 * into the gateway's store (the outbox, as published) and its Redis channel as large
 * contiguous events: quick to produce, and the gateway cannot tell them from its own, also when
 * a client that fell behind for a moment catches up from the store.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUS_URLS, busesToTest, freshNamespace } from '../support/buses.ts';
import { EventClient } from '../support/eventClient.ts';
import { startTestGateway, type TestGateway } from './harness.ts';

const reachable = (await busesToTest('slowConsumer.e2e', ['redis'])).length > 0;
const FLOOD = 200;
const PADDING = 'x'.repeat(32 * 1024);

describe.skipIf(!reachable)('a slow WebSocket consumer', () => {
  const namespace = freshNamespace();
  let gw: TestGateway;
  let redis: Redis;
  beforeAll(async () => {
    gw = await startTestGateway({ ORDERGATE_BUS_URL: BUS_URLS.redis, ORDERGATE_BUS_NAMESPACE: namespace, ORDERGATE_WS_MAX_BUFFER_KIB: '64', ORDERGATE_WS_SLOW_CONSUMER_MS: '300' });
    redis = new Redis(BUS_URLS.redis);
  });
  afterAll(async () => {
    redis?.disconnect();
    await gw?.stop();
  });

  it('given a client that stops reading during a flood, then it is closed with 4008 and where to resume, while another client of the trader gets every event', async () => {
    const bearer = await gw.token('flooded');
    const slow = await EventClient.connect(gw.url, bearer);
    const fast = await EventClient.connect(gw.url, bearer);
    const placed = await gw.call('POST', '/api/v1/orders', { token: bearer, body: { symbol: 'AAPL', side: 'buy', quantity: '1', type: 'market' } });
    expect(placed.status).toBe(201);
    await slow.until((c) => c.messages.length >= 3, 'the order’s events on the client about to stall');
    await fast.until((c) => c.messages.length >= 3, 'the order’s events');

    slow.tcp()!.pause();
    const payloads = Array.from({ length: FLOOD }, (_, i) => JSON.stringify({ seq: 4 + i, event: 'order.acked', trader_id: 'flooded', padding: PADDING }));
    storeAsPublished(join(gw.gateway.config.dataDir, 'ordergate.db'), 'flooded', 4, payloads);
    const channel = `${namespace}:events:flooded`;
    const pipeline = redis.pipeline();
    for (const payload of payloads) pipeline.publish(channel, payload);
    await pipeline.exec();
    await fast.until((c) => c.messages.length >= 3 + FLOOD, 'every flooded event on the client that reads');
    expect(fast.seqs()).toEqual(Array.from({ length: 3 + FLOOD }, (_, i) => i + 1));

    // Backed up for longer than the grace period (300 ms here), the stalled client is closed.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    slow.tcp()!.resume();
    const closed = await slow.closed;
    expect(closed.code).toBe(4008);
    const resumeFrom = Number(/since=(\d+)/.exec(closed.reason)?.[1]);
    expect(resumeFrom).toBeLessThan(3 + FLOOD);
    expect(slow.seqs()).toEqual(Array.from({ length: resumeFrom }, (_, i) => i + 1));
  });
});

/** Appends events to a trader's stream in the gateway's SQLite file, as committed and published. */
function storeAsPublished(file: string, traderId: string, firstSeq: number, payloads: readonly string[]): void {
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 5000');
    const at = new Date().toISOString();
    const insert = db.prepare('INSERT INTO outbox (trader_id, seq, event_id, payload, created_at, published_at) VALUES (?, ?, ?, ?, ?, ?)');
    db.transaction(() => {
      payloads.forEach((payload, i) => insert.run(traderId, firstSeq + i, randomUUID(), payload, at, at));
      db.prepare('UPDATE trader_streams SET last_seq = ? WHERE trader_id = ?').run(firstSeq + payloads.length - 1, traderId);
    })();
  } finally {
    db.close();
  }
}
