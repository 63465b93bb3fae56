/**
 * GET /api/v1/events: the stream over plain HTTP for clients that cannot hold a WebSocket.
 * With wait_ms it long-polls: when nothing is newer than `since`, it waits for the next event.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { HttpDeps } from '../deps.ts';
import { authenticated, sendJson } from '../guard.ts';
import { validationProblem } from '../problems.ts';
import { errorResponses, EventList, EventsQuery } from '../schemas.ts';

const MAX_WAIT_MS = 30_000;

export const eventRoutes = (deps: HttpDeps) => fp(async (app: FastifyInstance) => {
  app.get('/api/v1/events', {
    onRequest: authenticated(deps),
    schema: { summary: "The caller's order events after `since`", tags: ['events'], querystring: EventsQuery, response: { 200: EventList, ...errorResponses(400, 401) } },
  }, async (request, reply) => {
    const q = request.query as { since?: string; limit?: string; wait_ms?: string };
    const since = Number(q.since ?? 0);
    const limit = Number(q.limit ?? 100);
    const waitMs = Number(q.wait_ms ?? 0);
    if (limit < 1 || limit > 1000) throw validationProblem([{ field: 'limit', message: 'must be from 1 to 1000' }]);
    if (waitMs > MAX_WAIT_MS) throw validationProblem([{ field: 'wait_ms', message: `must be at most ${MAX_WAIT_MS}` }]);
    const traderId = request.principal.traderId;

    let events = await deps.ctx.store.streamSince(traderId, since, limit);
    if (events.length === 0 && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, waitMs);
        const unsubscribe = deps.bus.subscribe(traderId, (e) => e.seq > since && done());
        request.raw.once('close', done);
        function done() {
          clearTimeout(timer);
          unsubscribe();
          resolve();
        }
      });
      events = await deps.ctx.store.streamSince(traderId, since, limit);
    }
    const next = events.length > 0 ? events[events.length - 1]!.seq : since;
    return sendJson(reply, 200, `{"events":[${events.map((e) => e.payload).join(',')}],"next_since":${next}}`);
  });
});
