/**
 * Several gateway processes on one PostgreSQL schema and one bus (Redis, then NATS), each a
 * server of the test's own so that it can be killed. Black box: orders over HTTP, events over
 * WebSocket, processes killed with SIGKILL. What must hold everywhere: a client sees every one
 * of its trader's events exactly once, seq 1, 2, 3 … with no gap, whichever instance
 * committed them and whatever happened to the bus or the committing instance meanwhile.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/http/auth.ts';
import { busBinariesToTest, ownServer, until, type BusKind, type OwnServer } from '../support/buses.ts';
import { EventClient } from '../support/eventClient.ts';
import { sharedSchemaUrl, startGatewayProcess, type GatewayProcess } from '../support/gatewayProcess.ts';
import { dropSchema, freshSchemaName, storesToTest } from '../support/postgres.ts';

const SECRET = 'multi-instance-secret-long-enough-for-hs256!';
const postgres = (await storesToTest('multiInstance.e2e')).includes('postgres');
const KINDS = postgres ? busBinariesToTest('multiInstance.e2e') : [];
const MARKET = JSON.stringify({ symbol: 'AAPL', side: 'buy', quantity: '1', type: 'market' });

const token = (trader: string) => signToken(SECRET, { sub: trader, roles: ['trader'] }, 3600);

/** Places a market order; retries only while the instance is still starting (503 starting). */
async function placeOrder(gateway: GatewayProcess, bearer: string): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const response = await fetch(`${gateway.url}/api/v1/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: MARKET,
    });
    const body = await response.json() as { id?: string; code?: string };
    if (response.status === 201) return body.id!;
    if (response.status !== 503 || body.code !== 'starting' || Date.now() > deadline) {
      throw new Error(`order answered ${response.status} ${JSON.stringify(body)}\n${gateway.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The trader's last stored seq, read over HTTP from any instance. */
async function lastStoredSeq(gateway: GatewayProcess, bearer: string): Promise<number> {
  let since = 0;
  for (;;) {
    const response = await fetch(`${gateway.url}/api/v1/events?since=${since}&limit=1000`, { headers: { authorization: `Bearer ${bearer}` } });
    const body = await response.json() as { next_since: number; events: unknown[] };
    if (body.events.length === 0) return since;
    since = body.next_since;
  }
}

/** Exactly seq 1 … n, once each, in order. */
const expectGapFree = (client: EventClient, n: number) => expect(client.seqs()).toEqual(Array.from({ length: n }, (_, i) => i + 1));

// Processes start in seconds, more on a loaded machine: generous, bounded timeouts.
describe.each(KINDS)('gateway instances sharing PostgreSQL and a %s bus', { timeout: 90_000 }, (kind: BusKind) => {
  let bus: OwnServer;
  let schema: string;
  let env: Record<string, string>;
  let a: GatewayProcess;
  let b: GatewayProcess;
  const extra: GatewayProcess[] = [];

  beforeAll(async () => {
    bus = await ownServer(kind);
    schema = freshSchemaName();
    env = {
      ORDERGATE_DATABASE_URL: await sharedSchemaUrl(schema),
      ORDERGATE_BUS_URL: bus.url,
      ORDERGATE_JWT_SECRET: SECRET,
    };
    [a, b] = await Promise.all([startGatewayProcess(env), startGatewayProcess(env)]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a, b, ...extra].filter(Boolean).map((gateway) => gateway.stop()));
    await bus?.dispose();
    if (schema) await dropSchema(schema);
  }, 60_000);

  it('given orders through A, when watched on B, then every event arrives in order, none missing, none twice', async () => {
    const bearer = await token(`${kind}-across`);
    const onB = await EventClient.connect(b.url, bearer);
    const ids = [];
    for (let i = 0; i < 20; i += 1) ids.push(await placeOrder(a, bearer));
    await onB.until((c) => c.messages.length >= 60, 'sixty events on B');
    expectGapFree(onB, 60);
    // Either instance's executor may send an order, so fills need not follow submission order;
    // each order is filled exactly once.
    expect(onB.messages.filter((m) => m.event === 'order.filled').map((m) => m.order_id).sort()).toEqual([...ids].sort());
    onB.close();
  });

  it('given a client that left, when it reconnects with since, then it gets exactly what it missed and then live events', async () => {
    const bearer = await token(`${kind}-reconnect`);
    const first = await EventClient.connect(b.url, bearer);
    await placeOrder(a, bearer);
    await first.until((c) => c.messages.length >= 3, 'the first order’s events');
    first.close();
    await first.closed;
    for (let i = 0; i < 3; i += 1) await placeOrder(a, bearer);
    const again = await EventClient.connect(b.url, bearer, 3);
    await again.until((c) => c.messages.length >= 9, 'the missed events');
    await placeOrder(b, bearer);
    await again.until((c) => c.messages.length >= 12, 'a live order after the replay');
    expect(again.seqs()).toEqual(Array.from({ length: 12 }, (_, i) => i + 4));
    again.close();
  });

  it('given a long poll waiting on B, when an order goes through A, then the poll answers with its events long before its wait ends', async () => {
    const bearer = await token(`${kind}-poll`);
    const started = Date.now();
    const poll = fetch(`${b.url}/api/v1/events?since=0&wait_ms=20000`, { headers: { authorization: `Bearer ${bearer}` } })
      .then((response) => response.json() as Promise<{ events: Array<{ seq: number; event: string }> }>);
    await placeOrder(a, bearer);
    const answer = await poll;
    expect(answer.events[0]).toMatchObject({ seq: 1, event: 'order.submitted' });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('given a stream of orders, when the bus is killed and restarted mid-stream, then every order is accepted and clients on both instances see every event once, in order', async () => {
    const bearer = await token(`${kind}-outage`);
    const onA = await EventClient.connect(a.url, bearer);
    const onB = await EventClient.connect(b.url, bearer);
    let placed = 0;
    let streaming = true;
    let failure: unknown = null;
    const stream = (async () => {
      for (let i = 0; streaming; i += 1) {
        await placeOrder(i % 3 === 0 ? b : a, bearer);
        placed += 1;
      }
    })().catch((error: unknown) => void (failure = error));
    const placedAtLeast = (count: number, what: string) => until(() => {
      if (failure) throw failure;
      return placed >= count;
    }, what);
    await onB.until((c) => c.messages.length >= 15, 'events before the outage');
    await bus.kill();
    const atKill = placed;
    await placedAtLeast(atKill + 10, 'ten orders accepted while the bus is down');
    await bus.start();
    const atRestart = placed;
    await placedAtLeast(atRestart + 10, 'ten orders after the restart');
    streaming = false;
    await stream;
    expect(failure).toBeNull();

    const events = placed * 3;
    await onA.until((c) => c.messages.length >= events, `all ${events} events on A`);
    await onB.until((c) => c.messages.length >= events, `all ${events} events on B`);
    expect(await lastStoredSeq(b, bearer)).toBe(events);
    expectGapFree(onA, events);
    expectGapFree(onB, events);
    onA.close();
    onB.close();
  });

  it('given an instance that cannot reach the bus and is then killed, then its accepted orders reach clients of the others through their relay', async () => {
    const cut = await startGatewayProcess({ ...env, ORDERGATE_BUS_URL: `${kind}://127.0.0.1:1` });
    extra.push(cut);
    const bearer = await token(`${kind}-relayed`);
    const onB = await EventClient.connect(b.url, bearer);
    const ids = [];
    for (let i = 0; i < 5; i += 1) ids.push(await placeOrder(cut, bearer));
    await cut.kill();

    const stored = await lastStoredSeq(b, bearer);
    await onB.until((c) => c.messages.length >= stored, `the ${stored} events the cut-off instance committed`);
    const submitted = onB.messages.filter((m) => m.event === 'order.submitted').map((m) => m.order_id);
    expect(submitted).toEqual(ids);

    // The live instances may also take over what the dead one left unfinished, adding events:
    // the client must end up with exactly what the store holds.
    const later = await placeOrder(a, bearer);
    await onB.until((c) => c.messages.some((m) => m.order_id === later && m.event === 'order.filled'), 'a later order through a live instance');
    await until(async () => (await lastStoredSeq(b, bearer)) === onB.messages.length, 'the client holding every stored event');
    expectGapFree(onB, onB.messages.length);
    onB.close();
  });
});
