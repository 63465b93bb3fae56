/**
 * GET /api/v1/events: the stream over plain HTTP for clients that cannot hold a WebSocket.
 * With wait_ms it long-polls: when nothing is newer than `since`, it waits for the next event.
 * It subscribes before it first reads the store, and reads again on every bus event past
 * `since` and every bus resync, so an event committed at any moment of the wait ends it.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { OutboxEvent } from '../../ports/bus.ts';
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

    const events = waitMs > 0
      ? await longPoll(deps, traderId, since, limit, waitMs, reply.raw)
      : await deps.ctx.store.streamSince(traderId, since, limit);
    const next = events.length > 0 ? events[events.length - 1]!.seq : since;
    return sendJson(reply, 200, `{"events":[${events.map((e) => e.payload).join(',')}],"next_since":${next}}`);
  });
});

async function longPoll(deps: HttpDeps, traderId: string, since: number, limit: number, waitMs: number, response: ServerResponse): Promise<OutboxEvent[]> {
  const deadline = Date.now() + waitMs;
  let woken = false;
  let gone = false;
  let wake = () => {};
  const signal = () => {
    woken = true;
    wake();
  };
  const left = () => {
    gone = true;
    wake();
  };
  const unsubscribe = deps.bus.subscribe(traderId, { event: (event) => event.seq > since && signal(), resync: signal });
  response.once('close', left);
  try {
    for (;;) {
      woken = false;
      const events = await deps.ctx.store.streamSince(traderId, since, limit);
      const remainingMs = deadline - Date.now();
      if (events.length > 0 || remainingMs <= 0 || gone) return events;
      if (woken) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remainingMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = () => {};
    }
  } finally {
    unsubscribe();
    response.off('close', left);
  }
}
