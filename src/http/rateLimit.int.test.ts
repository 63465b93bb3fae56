/**
 * The rate limit's windows in Redis, on the real server: two clients (as two instances) on one
 * prefix count in one window; prefixes keep deployments apart; a key never lives forever.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { BUS_URLS, busesToTest } from '../../test/support/buses.ts';
import { RedisWindows } from './rateLimit.ts';

const redisKinds = await busesToTest('rateLimit.test', ['redis']);

describe.each(redisKinds)('windows in %s', () => {
  const clients: Redis[] = [];
  const client = () => {
    const redis = new Redis(BUS_URLS.redis, { maxRetriesPerRequest: 1 });
    clients.push(redis);
    return redis;
  };
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit()));
  });

  it('given two instances on one prefix, then they count in one window; another prefix counts apart', async () => {
    const prefix = `og_test_${randomUUID().slice(0, 8)}:ratelimit:`;
    const [a, b, other] = [new RedisWindows(client(), prefix), new RedisWindows(client(), prefix), new RedisWindows(client(), `x${prefix}`)];
    const seen = [];
    for (let i = 0; i < 6; i += 1) seen.push((await (i % 2 === 0 ? a : b).incr('trader:t', 60_000)).current);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await other.incr('trader:t', 60_000)).current).toBe(1);
    const { ttlMs } = await a.incr('trader:t', 60_000);
    expect(ttlMs).toBeGreaterThan(50_000);
    expect(ttlMs).toBeLessThanOrEqual(60_000);
  });

  it('given a key left without an expiry, then counting gives it one', async () => {
    const prefix = `og_test_${randomUUID().slice(0, 8)}:ratelimit:`;
    const redis = client();
    await redis.set(`${prefix}trader:t`, '5');
    expect(await new RedisWindows(redis, prefix).incr('trader:t', 60_000)).toEqual({ current: 6, ttlMs: 60_000 });
    expect(await redis.pttl(`${prefix}trader:t`)).toBeGreaterThan(0);
  });
});
