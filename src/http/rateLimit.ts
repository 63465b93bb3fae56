/**
 * The API rate limit (API.md): each trader may send `perMinute` order requests (POST under
 * /api/v1/orders: submits, cancels, simulated fills) a minute; past it 429 with Retry-After
 * and X-RateLimit-Limit/-Remaining/-Reset. Counted per trader id, after authentication, so a
 * trader's bots share one budget whatever their address. It is apart from the risk throttle
 * (orders per second), which counts accepted orders.
 * - With a Redis URL the count is one fixed window per trader in Redis (INCR and its expiry in
 *   one script), so every instance draws on the same budget; keys are under the deployment's
 *   bus namespace, so deployments (or test runs) sharing a Redis never share budgets.
 * - While Redis cannot be reached (refused, or no answer within REDIS_COMMAND_TIMEOUT_MS) each
 *   instance counts on its own: an order is never refused because the limiter's store is down,
 *   and a runaway client is still held to the limit per instance (so to at most N times it
 *   across N instances) until Redis answers again. Each switch is logged once.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { Redis } from 'ioredis';
import { ApiProblem } from './problems.ts';

const ORDER_REQUEST = /^\/api\/v1\/orders(\/[^/?]+\/(cancel|simulate_fill))?(\?|$)/;
const WINDOW_MS = 60_000;
/** Longer than a Redis round trip on any sane network; short enough not to hold an order up. */
export const REDIS_COMMAND_TIMEOUT_MS = 500;

export const isOrderRequest = (request: FastifyRequest) => request.method === 'POST' && ORDER_REQUEST.test(request.url);

/** A count of requests in the current fixed window of a key, and the time left in it. */
export interface WindowCounter {
  incr(key: string, windowMs: number): Promise<{ current: number; ttlMs: number }>;
}

/** Windows in this process's memory, for one instance alone or while Redis is unreachable. */
export class LocalWindows implements WindowCounter {
  private readonly windows = new Map<string, { count: number; endsAtMs: number }>();

  constructor(private readonly nowMs: () => number = Date.now, private readonly capacity = 100_000) {}

  async incr(key: string, windowMs: number): Promise<{ current: number; ttlMs: number }> {
    const now = this.nowMs();
    let window = this.windows.get(key);
    if (!window || window.endsAtMs <= now) {
      this.windows.delete(key);
      if (this.windows.size >= this.capacity) this.sweep(now);
      window = { count: 0, endsAtMs: now + windowMs };
      this.windows.set(key, window);
    }
    window.count += 1;
    return { current: window.count, ttlMs: window.endsAtMs - now };
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (window.endsAtMs <= now) this.windows.delete(key);
    // Still full of live windows: drop the oldest, which only forgets a count (fails open).
    for (const key of this.windows.keys()) {
      if (this.windows.size < this.capacity) break;
      this.windows.delete(key);
    }
  }
}

// A key left without an expiry (written by hand, say) would count forever: give it one.
const INCREMENT = `
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}`;

type CountingRedis = Redis & { ordergateRateLimit(key: string, windowMs: number): Promise<[number, number]> };

/** Windows in Redis, shared by every instance that uses the same Redis and prefix. */
export class RedisWindows implements WindowCounter {
  private readonly redis: CountingRedis;

  constructor(redis: Redis, private readonly prefix: string) {
    redis.defineCommand('ordergateRateLimit', { numberOfKeys: 1, lua: INCREMENT });
    this.redis = redis as CountingRedis;
  }

  async incr(key: string, windowMs: number): Promise<{ current: number; ttlMs: number }> {
    const [current, ttlMs] = await this.redis.ordergateRateLimit(this.prefix + key, windowMs);
    return { current: Number(current), ttlMs: Number(ttlMs) };
  }
}

/** The shared count while it answers; this instance's own while it does not. */
export class FailoverWindows implements WindowCounter {
  private failing = false;

  constructor(
    private readonly shared: WindowCounter,
    private readonly local: WindowCounter,
    private readonly onSwitch: (failing: boolean, error: unknown) => void,
  ) {}

  async incr(key: string, windowMs: number): Promise<{ current: number; ttlMs: number }> {
    try {
      const counted = await this.shared.incr(key, windowMs);
      if (this.failing) this.switchTo(false, null);
      return counted;
    } catch (error) {
      if (!this.failing) this.switchTo(true, error);
      return this.local.incr(key, windowMs);
    }
  }

  private switchTo(failing: boolean, error: unknown): void {
    this.failing = failing;
    this.onSwitch(failing, error);
  }
}

export interface RateLimitOptions {
  readonly perMinute: number;
  readonly redisUrl: string | null;
  /** The deployment's bus namespace: Redis keys are `<namespace>:ratelimit:…`. */
  readonly namespace?: string;
}

export async function registerRateLimit(app: FastifyInstance, options: RateLimitOptions): Promise<void> {
  const redis = options.redisUrl
    ? new Redis(options.redisUrl, {
      maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000, commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    })
    : null;
  const local = new LocalWindows();
  let counter: WindowCounter = local;
  if (redis) {
    // ioredis reports every failed reconnect; the switch below says what it means for orders.
    redis.on('error', (error) => app.log.debug({ err: String(error) }, 'rate limit: Redis error'));
    app.addHook('onClose', async () => void (await redis.quit().catch(() => redis.disconnect())));
    counter = new FailoverWindows(new RedisWindows(redis, `${options.namespace ?? 'ordergate'}:ratelimit:`), local, (failing, error) => {
      if (failing) app.log.warn({ err: String(error) }, 'rate limit: Redis unreachable; each instance counts on its own until it answers');
      else app.log.info('rate limit: Redis answers again; the count is shared between instances');
    });
  }
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    max: options.perMinute,
    timeWindow: WINDOW_MS,
    store: windowStore(counter),
    keyGenerator: (request) => (request.principal ? `trader:${request.principal.traderId}` : `ip:${request.ip}`),
    allowList: (request) => !isOrderRequest(request),
    errorResponseBuilder: (_request, context) => new ApiProblem(429, 'rate_limited', 'Too many requests',
      `You may send ${context.max} order requests a minute; retry in ${context.after}.`),
  });
}

/** The plugin's store interface over a WindowCounter; its per-route children count in the same windows. */
function windowStore(counter: WindowCounter) {
  return class WindowStore {
    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number = WINDOW_MS): void {
      counter.incr(key, timeWindow).then(
        ({ current, ttlMs }) => callback(null, { current, ttl: ttlMs }),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    }

    child(): WindowStore {
      return this;
    }
  };
}
