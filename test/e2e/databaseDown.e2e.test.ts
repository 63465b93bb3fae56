/**
 * R3, the database down under load: a gateway process on PostgreSQL through a fault proxy,
 * taking a steady stream of orders while its database link is cut silently (blackhole), then
 * while the database refuses it (every connection reset), each time restored; and once with the
 * answer to an order commit lost after the database took it. What must hold:
 * - every answer comes, and it is a 201 or a 503 problem+json with code database_unavailable;
 *   never a 2xx for an order that is not committed, never a 5xx of another kind;
 * - every 201'd order is in the database; every order in the database was answered 201, or its
 *   answer was lost in flight (503 for an order that did commit), and then it is found by its
 *   client_order_id (counted and reported);
 * - /api/v1/health/orders says 503/down while the link is cut;
 * - the gateway recovers by itself, with no restart.
 * The real PostgreSQL server keeps running: only this gateway's link to it is cut.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/http/auth.ts';
import { until } from '../support/buses.ts';
import { sharedSchemaUrl, startGatewayProcess, type GatewayProcess } from '../support/gatewayProcess.ts';
import { dropSchema, freshSchemaName, POSTGRES_URL, storesToTest } from '../support/postgres.ts';
import { TcpProxy } from '../support/tcpProxy.ts';

const SECRET = 'database-down-e2e-secret-long-enough-for-hs256!';
const STORES = (await storesToTest('databaseDown.e2e')).filter((store) => store === 'postgres');
const WORKERS = 6;
/**
 * Every answer within this: a book reload's connect timeout (5 s) then a commit's query deadline
 * (10 s), with margin. The blackhole lasts longer, so a request held for the whole outage fails.
 */
const ANSWER_WITHIN_MS = 16_000;
const OUTAGE_MS = { blackhole: ANSWER_WITHIN_MS + 1_000, refused: 4_000 } as const;

type Phase = 'up' | 'blackhole' | 'restored' | 'refused' | 'restored again' | 'answer lost';
interface Sent {
  readonly bearer: string;
  readonly clientOrderId: string;
  readonly phase: Phase;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly status: number;
  readonly contentType: string | null;
  readonly body: Record<string, any> | null;
  readonly error: string | null;
}

/** Order requests from a few concurrent clients (a trader each), one after another each, recording every answer. */
class Load {
  readonly sent: Sent[] = [];
  phase: Phase = 'up';
  private running = true;
  private readonly workers: Array<Promise<void>>;
  private n = 0;

  constructor(private readonly gateway: GatewayProcess, bearers: readonly string[], private readonly run: string) {
    this.workers = bearers.map((bearer) => this.worker(bearer));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  since(at: number, status?: number): Sent[] {
    return this.sent.filter((s) => s.startedAt >= at && (status === undefined || s.status === status));
  }

  private async worker(bearer: string): Promise<void> {
    while (this.running) {
      const clientOrderId = `r3-${this.run}-${(this.n += 1)}`;
      const phase = this.phase;
      const startedAt = Date.now();
      let answer: Pick<Sent, 'status' | 'contentType' | 'body' | 'error'>;
      try {
        const response = await fetch(`${this.gateway.url}/api/v1/orders`, {
          method: 'POST',
          headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
          body: JSON.stringify({ symbol: 'AAPL', side: 'buy', quantity: '1', type: 'market', client_order_id: clientOrderId }),
          signal: AbortSignal.timeout(45_000),
        });
        const text = await response.text();
        let body: Record<string, any> | null = null;
        try {
          body = JSON.parse(text) as Record<string, any>;
        } catch {
          body = null;
        }
        answer = { status: response.status, contentType: response.headers.get('content-type'), body, error: null };
        if (response.status === 503) answer = { ...answer, body: { ...body, retry_after: response.headers.get('retry-after') } };
      } catch (error) {
        answer = { status: 0, contentType: null, body: null, error: String(error) };
      }
      this.sent.push({ bearer, clientOrderId, phase, startedAt, endedAt: Date.now(), ...answer });
      // A client told to retry shortly does not hammer: a short pause, far below Retry-After.
      if (answer.status !== 201) await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

async function health(gateway: GatewayProcess): Promise<{ status: number; body: any }> {
  const response = await fetch(`${gateway.url}/api/v1/health/orders`, { signal: AbortSignal.timeout(20_000) });
  return { status: response.status, body: await response.json() };
}

describe.each(STORES)('R3: the database link cut under load (%s)', { timeout: 120_000 }, () => {
  let proxy: TcpProxy;
  let schema: string;
  let gateway: GatewayProcess;
  const run = randomUUID().slice(0, 8);
  const traders = Array.from({ length: WORKERS }, (_, i) => `r3-${run}-${i}`);

  beforeAll(async () => {
    schema = freshSchemaName();
    const direct = await sharedSchemaUrl(schema);
    const { hostname, port } = new URL(POSTGRES_URL);
    proxy = await TcpProxy.start({ host: hostname, port: Number(port || 5432) });
    // Reports the venue sent while the database was unreachable are recovered by reconciliation: run it often.
    gateway = await startGatewayProcess({ ORDERGATE_DATABASE_URL: proxy.via(direct), ORDERGATE_JWT_SECRET: SECRET, ORDERGATE_RECONCILE_INTERVAL_MS: '2000' });
    await until(async () => (await health(gateway)).body.status === 'ok', 'the gateway ready', 30_000);
  }, 60_000);
  afterAll(async () => {
    await gateway?.stop();
    await proxy?.close();
    if (schema) await dropSchema(schema);
  }, 60_000);

  it('answers 503 database_unavailable while the link is cut or refused, never a 2xx for an order not committed, and recovers by itself', async () => {
    const bearers = await Promise.all(traders.map((sub) => signToken(SECRET, { sub, roles: ['trader'] }, 3600)));
    const load = new Load(gateway, bearers, run);
    const recoveries: number[] = [];
    const outages: Array<{ phase: Phase; from: number; to: number }> = [];
    let healthMs = 0;
    try {
      await until(() => load.sent.filter((s) => s.status === 201).length >= 20, 'orders taken before the cut', 20_000);

      for (const [cut, phase, restored] of [
        [() => proxy.blackhole(), 'blackhole', 'restored'],
        [() => proxy.refuse(), 'refused', 'restored again'],
      ] as const) {
        const cutAt = Date.now();
        load.phase = phase;
        cut();
        await until(async () => {
          const asked = Date.now();
          const h = await health(gateway);
          healthMs = Math.max(healthMs, Date.now() - asked);
          return h.status === 503 && h.body.status === 'down' && h.body.dependencies.database === 'down';
        }, `health down (${phase})`, 30_000);
        await until(() => load.since(cutAt, 503).length >= WORKERS && Date.now() - cutAt >= OUTAGE_MS[phase], `503s from the order intake (${phase})`, 40_000);

        const restoredAt = Date.now();
        outages.push({ phase, from: cutAt, to: restoredAt });
        load.phase = restored;
        proxy.pass();
        await until(() => load.since(restoredAt, 201).length >= 5, `orders taken again after ${phase}`, 40_000);
        recoveries.push(Math.min(...load.since(restoredAt, 201).map((s) => s.endedAt)) - restoredAt);
        await until(async () => (await health(gateway)).status === 200, `health back after ${phase}`, 20_000);
      }

      // The database commits an order batch and the answer never comes back: the gateway cannot know, answers 503.
      load.phase = 'answer lost';
      // An order commit: its client order id goes out as a parameter (the statement itself is
      // prepared, so its text is sent once per connection), then its COMMIT.
      const trapped = proxy.loseAnswerAfter(`r3-${run}-`, 'COMMIT\0');
      await trapped;
      const firedAt = Date.now();
      await until(() => load.sent.some((s) => s.status === 503 && s.startedAt <= firedAt), 'the batch whose answer was lost answered', 30_000);
      await until(() => load.since(firedAt, 201).length >= 5, 'orders taken on the other connections meanwhile', 30_000);
    } finally {
      await load.stop();
    }

    // Every answer came, and is a 201 or a clear 503.
    const unanswered = load.sent.filter((s) => s.status === 0);
    expect(unanswered, 'requests without an answer').toEqual([]);
    const other = load.sent.filter((s) => s.status !== 201 && s.status !== 503);
    expect(other.map((s) => [s.status, s.body?.code]), 'answers other than 201 and 503').toEqual([]);
    const refused = load.sent.filter((s) => s.status === 503);
    for (const s of refused) {
      expect(s.contentType).toMatch(/^application\/problem\+json/);
      expect(s.body).toMatchObject({ status: 503, code: 'database_unavailable', retry_after: expect.stringMatching(/^[0-9]+$/), error_id: expect.any(String) });
      expect(s.body!['detail']).toMatch(/client_order_id/);
    }
    // While the link was cut nothing could commit: no request that lived wholly inside an outage was taken.
    for (const outage of outages) {
      const inside = load.sent.filter((s) => s.startedAt >= outage.from && s.endedAt <= outage.to);
      expect(inside.length, `requests wholly inside the ${outage.phase} outage`).toBeGreaterThan(0);
      expect(inside.filter((s) => s.status !== 503), `answers other than 503 inside the ${outage.phase} outage`).toEqual([]);
    }

    // The database, read directly: every 201 is there; nothing is there that was not answered 201, except answers lost in flight.
    const db = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path=${schema}` });
    await db.connect();
    let committed: Map<string, string>;
    try {
      const rows = (await db.query<{ id: string; client_order_id: string }>('SELECT id, client_order_id FROM orders WHERE trader_id = ANY($1)', [traders])).rows;
      committed = new Map(rows.map((row) => [row.client_order_id, row.id]));
    } finally {
      await db.end();
    }
    const taken = load.sent.filter((s) => s.status === 201);
    for (const s of taken) expect(committed.get(s.clientOrderId), `201'd order ${s.clientOrderId} in the database`).toBe(s.body!['id']);
    const sentIds = new Set(load.sent.map((s) => s.clientOrderId));
    expect([...committed.keys()].filter((cid) => !sentIds.has(cid)), 'orders nobody sent').toEqual([]);
    const lostInFlight = refused.filter((s) => committed.has(s.clientOrderId));
    expect(lostInFlight.length, 'orders committed whose answer was lost (the trap forces at least one)').toBeGreaterThan(0);
    for (const s of lostInFlight) {
      // The 503 itself names the order it may have recorded, so a client that sent no ids could find it too.
      expect(s.body, `503 for ${s.clientOrderId}, whose commit did happen`).toMatchObject({ order_id: committed.get(s.clientOrderId), client_order_id: s.clientOrderId });
      const found = await fetch(`${gateway.url}/api/v1/orders/by-client-id/${s.clientOrderId}`, { headers: { authorization: `Bearer ${s.bearer}` } });
      expect([found.status, ((await found.json()) as { id: string }).id]).toEqual([200, committed.get(s.clientOrderId)]);
    }
    expect(committed.size).toBe(taken.length + lostInFlight.length);

    // Market orders against the simulated book: every committed one ends filled, fills sent during the outage included.
    const working = async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path=${schema}` });
      await client.connect();
      try {
        return (await client.query<{ status: string; n: number }>(
          "SELECT status, count(*)::int AS n FROM orders WHERE trader_id = ANY($1) AND status <> 'filled' GROUP BY status", [traders])).rows;
      } finally {
        await client.end();
      }
    };
    await until(async () => (await working()).length === 0, 'every committed order filled', 30_000).catch(async (error: unknown) => {
      throw new Error(`${String(error)}: ${JSON.stringify(await working())}`);
    });

    const slowest = Math.max(...load.sent.map((s) => s.endedAt - s.startedAt));
    expect(slowest, 'the slowest answer').toBeLessThan(ANSWER_WITHIN_MS);
    expect(healthMs, 'the slowest health answer during an outage').toBeLessThan(3_000);

    // No restart: the same process served throughout.
    expect(() => process.kill(gateway.pid, 0)).not.toThrow();
    console.info(`R3: ${load.sent.length} order requests: ${taken.length} answered 201 (all in the database), ${refused.length} answered 503 database_unavailable `
      + `(${(['up', 'blackhole', 'restored', 'refused', 'restored again', 'answer lost'] as const).map((p) => `${p} ${refused.filter((s) => s.phase === p).length}`).join(', ')}; slowest ${slowest} ms), `
      + `${lostInFlight.length} of those committed after all (answer lost in flight, found by client_order_id), 0 other answers; health answered within ${healthMs} ms; `
      + `first 201 after restore: ${recoveries.map((ms) => `${ms} ms`).join(', ')}; every order filled afterwards`);
  });
});
