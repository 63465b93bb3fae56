/** Operations endpoints: liveness, dependency health, Prometheus metrics. */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
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

  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['operations'], security: [] } }, async (_request, reply) => {
    const body = await deps.metrics.metrics();
    return reply.code(200).type(deps.metrics.contentType).send(body);
  });
});
