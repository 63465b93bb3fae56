/** Operations endpoints: liveness, dependency health, Prometheus metrics (behind ORDERGATE_METRICS_TOKEN when set). */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { unauthorized } from '../auth.ts';
import type { HttpDeps } from '../deps.ts';
import { sendJson } from '../guard.ts';

export const opsRoutes = (deps: HttpDeps) => fp(async (app: FastifyInstance) => {
  app.get('/health', { schema: { summary: 'Liveness', tags: ['operations'], security: [] } }, async (_request, reply) =>
    sendJson(reply, 200, '{"status":"ok"}'));

  app.get('/api/v1/health/orders', { schema: { summary: 'Health of the order path and its dependencies', tags: ['operations'], security: [] } }, async (_request, reply) => {
    const database = await deps.ctx.store.ping().then(() => 'ok', () => 'down');
    const venues = deps.ctx.venues.names().map((name) => deps.ctx.venues.get(name)!);
    const exchange = venues.every((v) => v.healthy()) ? 'ok' : 'down';
    const bus = deps.bus.healthy() ? 'ok' : 'down';
    const status = database === 'down' ? 'down' : exchange === 'ok' && bus === 'ok' && deps.ready() ? 'ok' : 'degraded';
    return sendJson(reply, database === 'down' ? 503 : 200, JSON.stringify({ status, dependencies: { database, exchange, bus } }));
  });

  const allowed = metricsAccess(deps.metricsToken ?? null);
  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['operations'], security: [] } }, async (request, reply) => {
    if (!allowed(request)) {
      reply.header('www-authenticate', 'Bearer realm="metrics"');
      throw unauthorized('GET /metrics needs "Authorization: Bearer <the ORDERGATE_METRICS_TOKEN this gateway was started with>".');
    }
    const body = await deps.metrics.metrics();
    return reply.code(200).type(deps.metrics.contentType).send(body);
  });
});

/**
 * Everyone when no token is configured (API.md: Prometheus scrapes without one); otherwise
 * only that bearer token. Compared as digests of equal length, in constant time, so the
 * answer's timing tells nothing of how much of a guess was right.
 */
function metricsAccess(token: string | null): (request: FastifyRequest) => boolean {
  if (token === null) return () => true;
  const expected = createHash('sha256').update(`Bearer ${token}`).digest();
  return (request) => {
    const header = request.headers.authorization;
    return header !== undefined && timingSafeEqual(createHash('sha256').update(header).digest(), expected);
  };
}
