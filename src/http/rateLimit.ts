/**
 * The API rate limit (API.md): each trader may send `perMinute` order requests (POST under
 * /api/v1/orders: submits, cancels, simulated fills) a minute; past it 429 with Retry-After
 * and X-RateLimit-Limit/-Remaining/-Reset. Counted per trader id, after authentication, so a
 * trader's bots share one budget whatever their address. With a Redis URL the counters live
 * in Redis and every instance draws on the same budget; otherwise in this process. While Redis
 * is unreachable the limit is not enforced rather than refusing orders.
 * It is apart from the risk throttle (orders per second), which counts accepted orders.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { Redis } from 'ioredis';
import { ApiProblem } from './problems.ts';

const ORDER_REQUEST = /^\/api\/v1\/orders(\/[^/?]+\/(cancel|simulate_fill))?(\?|$)/;

export const isOrderRequest = (request: FastifyRequest) => request.method === 'POST' && ORDER_REQUEST.test(request.url);

export async function registerRateLimit(app: FastifyInstance, options: { perMinute: number; redisUrl: string | null }): Promise<void> {
  const redis = options.redisUrl ? new Redis(options.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 }) : null;
  if (redis) {
    redis.on('error', (error) => app.log.warn({ err: String(error) }, 'rate limit: Redis error'));
    app.addHook('onClose', async () => void (await redis.quit().catch(() => redis.disconnect())));
  }
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    max: options.perMinute,
    timeWindow: 60_000,
    nameSpace: 'ordergate:ratelimit:',
    // Redis unreachable: orders are still taken (fail open), as the bus being down must not stop intake.
    ...(redis ? { redis, skipOnError: true } : {}),
    keyGenerator: (request) => (request.principal ? `trader:${request.principal.traderId}` : `ip:${request.ip}`),
    allowList: (request) => !isOrderRequest(request),
    errorResponseBuilder: (_request, context) => new ApiProblem(429, 'rate_limited', 'Too many requests',
      `You may send ${context.max} order requests a minute; retry in ${context.after}.`),
  });
}
