/**
 * The order rate limit shared between gateway instances through Redis (API.md "API rate
 * limit"): two gateway processes on one PostgreSQL schema and a Redis of the test's own, with
 * a small ORDERGATE_RATE_LIMIT_PER_MIN. One trader's order requests spread over both instances
 * draw on one budget; past it every instance answers 429 with Retry-After and X-RateLimit-*,
 * and nothing is stored; another trader is unaffected. With Redis down orders are still taken,
 * each instance counting on its own; when Redis is back the count is shared again.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/http/auth.ts';
import { busBinariesToTest, freshNamespace, ownServer, until, type OwnServer } from '../support/buses.ts';
import { sharedSchemaUrl, startGatewayProcess, type GatewayProcess } from '../support/gatewayProcess.ts';
import { dropSchema, freshSchemaName, storesToTest } from '../support/postgres.ts';

const SECRET = 'rate-limit-e2e-secret-long-enough-for-hs256!';
const LIMIT = 10;
const postgres = (await storesToTest('rateLimit.e2e')).includes('postgres');
const KINDS = postgres ? busBinariesToTest('rateLimit.e2e', ['redis']) : [];
const run = randomUUID().slice(0, 8);
const trader = (name: string) => signToken(SECRET, { sub: `rl-${run}-${name}`, roles: ['trader'] }, 3600);

interface Answer { readonly status: number; readonly headers: Headers; readonly body: Record<string, unknown> }

async function call(gateway: GatewayProcess, bearer: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, headers: response.headers, body: await response.json() as Record<string, unknown> };
}

const order = (gateway: GatewayProcess, bearer: string) =>
  call(gateway, bearer, 'POST', '/api/v1/orders', { symbol: 'AAPL', side: 'buy', quantity: '1', type: 'limit', limit_price: '100', time_in_force: 'gtc' });

const header = (answer: Answer, name: string) => answer.headers.get(name);

function expectRefused(answer: Answer): void {
  expect(answer.status).toBe(429);
  expect(header(answer, 'content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.body).toMatchObject({ status: 429, code: 'rate_limited', detail: expect.stringContaining(`${LIMIT} order requests a minute`) });
  for (const name of ['retry-after', 'x-ratelimit-reset']) {
    const seconds = Number(header(answer, name));
    expect(Number.isInteger(seconds) && seconds >= 1 && seconds <= 60, `${name}: ${header(answer, name)}`).toBe(true);
  }
  expect([header(answer, 'x-ratelimit-limit'), header(answer, 'x-ratelimit-remaining')]).toEqual([String(LIMIT), '0']);
}

describe.each(KINDS)('the order rate limit across two instances sharing %s', { timeout: 90_000 }, () => {
  let redisServer: OwnServer;
  let schema: string;
  let namespace: string;
  let a: GatewayProcess;
  let b: GatewayProcess;

  beforeAll(async () => {
    redisServer = await ownServer('redis');
    schema = freshSchemaName();
    namespace = freshNamespace();
    const env = {
      ORDERGATE_DATABASE_URL: await sharedSchemaUrl(schema),
      ORDERGATE_BUS_URL: redisServer.url,
      ORDERGATE_BUS_NAMESPACE: namespace,
      ORDERGATE_JWT_SECRET: SECRET,
      ORDERGATE_RATE_LIMIT_PER_MIN: String(LIMIT),
    };
    [a, b] = await Promise.all([startGatewayProcess(env), startGatewayProcess(env)]);
    // Orders answer 503 until start-up reconciliation has run: wait for both to take them.
    for (const gateway of [a, b]) {
      await until(async () => (await fetch(`${gateway.url}/api/v1/health/orders`).then((r) => r.json()) as { status: string }).status === 'ok',
        `${gateway.url} ready`, 30_000);
    }
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a, b].filter(Boolean).map((gateway) => gateway.stop()));
    await redisServer?.dispose();
    if (schema) await dropSchema(schema);
  }, 60_000);

  it('given one trader’s order requests spread over both instances, then past the combined limit each answers 429 and stores nothing; another trader is unaffected', async () => {
    const alice = await trader('alice');
    const taken: Answer[] = [];
    for (let i = 0; i < LIMIT; i += 1) taken.push(await order(i % 2 === 0 ? a : b, alice));
    expect(taken.map((t) => t.status)).toEqual(Array(LIMIT).fill(201));
    // One budget: what is left counts down across both instances.
    expect(taken.map((t) => header(t, 'x-ratelimit-remaining'))).toEqual(Array.from({ length: LIMIT }, (_, i) => String(LIMIT - 1 - i)));
    expect(new Set(taken.map((t) => header(t, 'x-ratelimit-limit')))).toEqual(new Set([String(LIMIT)]));

    const refused = [await order(a, alice), await order(b, alice), await call(b, alice, 'POST', `/api/v1/orders/${String(taken[0]!.body['id'])}/cancel`)];
    refused.forEach(expectRefused);

    // Reads are not order requests; and the refused ones stored nothing.
    const listed = await call(a, alice, 'GET', '/api/v1/orders?limit=100');
    expect(listed.status).toBe(200);
    expect(listed.body['total']).toBe(LIMIT);
    expect((await call(b, alice, 'GET', `/api/v1/orders/${String(taken[0]!.body['id'])}`)).body['status']).not.toMatch(/cancel/);

    const bob = await trader('bob');
    const other = [await order(b, bob), await order(a, bob)];
    expect(other.map((t) => [t.status, header(t, 'x-ratelimit-remaining')])).toEqual([[201, String(LIMIT - 1)], [201, String(LIMIT - 2)]]);
  });

  it('given Redis down, then orders are still taken, each instance counting on its own; when it is back, the count is shared again', async () => {
    await redisServer.kill();
    const carol = await trader('carol');
    const alone: number[] = [];
    for (let i = 0; i < LIMIT; i += 1) alone.push((await order(a, carol)).status);
    expect(alone).toEqual(Array(LIMIT).fill(201));
    expectRefused(await order(a, carol));
    // B never saw carol's requests: its own count lets her through.
    const onB = await order(b, carol);
    expect([onB.status, header(onB, 'x-ratelimit-remaining')]).toEqual([201, String(LIMIT - 1)]);

    await redisServer.start();
    const redis = new Redis(redisServer.url);
    try {
      // Each instance reconnects on its own schedule: a fresh probe trader's request shows in Redis once it counts there.
      let probes = 0;
      for (const gateway of [a, b]) {
        await until(async () => {
          probes += 1;
          const probe = `rl-${run}-probe-${probes}`;
          await order(gateway, await signToken(SECRET, { sub: probe, roles: ['trader'] }, 3600));
          return (await redis.exists(`${namespace}:ratelimit:trader:${probe}`)) === 1;
        }, `${gateway.url} counting in Redis again`, 20_000);
      }
    } finally {
      redis.disconnect();
    }
    const dave = await trader('dave');
    const shared: Answer[] = [];
    for (let i = 0; i < LIMIT; i += 1) shared.push(await order(i % 2 === 0 ? b : a, dave));
    expect(shared.map((t) => header(t, 'x-ratelimit-remaining'))).toEqual(Array.from({ length: LIMIT }, (_, i) => String(LIMIT - 1 - i)));
    expectRefused(await order(a, dave));
  });
});
