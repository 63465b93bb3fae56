/**
 * Order updates a venue POSTs to the gateway (Kite Connect postbacks): POST
 * /api/v1/venues/{name}/postbacks. There is no bearer token: the venue authenticates each
 * body itself (a checksum with a shared secret), so the route hands the raw body, exactly as
 * received and whatever its content type, to the venue the name points at, and answers what
 * the venue decided: 200 taken, 403 bad checksum, 400 not a postback or one from an earlier
 * day (naming the field), 404 no such venue or one that takes no postbacks. A 200 promises
 * only that the venue will read the order at the broker: the body's own fields are not trusted
 * beyond what its checksum covers, and replays cost the broker a bounded number of reads.
 * Invariants: the body is never parsed here (a float would change a price, a re-encoding
 * the checksummed text); nothing in the body is logged.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { receivesPostbacks } from '../../ports/postbacks.ts';
import type { HttpDeps } from '../deps.ts';
import { sendJson } from '../guard.ts';
import { ApiProblem, notFound, validationProblem } from '../problems.ts';
import { errorResponses } from '../schemas.ts';

export const postbackRoutes = (deps: HttpDeps) => async (app: FastifyInstance) => {
  // This plugin's own parsers (fastify keeps them to this plugin): any content type, as text.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.post('/api/v1/venues/:name/postbacks', {
    schema: {
      summary: 'Order updates pushed by a venue (Kite Connect postbacks), authenticated by their checksum', tags: ['venues'],
      params: Type.Object({ name: Type.String({ pattern: '^[a-z][a-z0-9_-]{0,63}$' }) }),
      response: errorResponses(400, 403, 404),
    },
  }, async (request, reply) => {
    const { name } = request.params as { name: string };
    const venue = deps.execution?.guards.get(name)?.raw;
    if (!venue || !receivesPostbacks(venue)) throw notFound(`A venue named ${name} that takes postbacks`);
    const body = typeof request.body === 'string' ? request.body : '';
    const outcome = venue.receivePostback(body);
    if (outcome.ok) return sendJson(reply, 200, JSON.stringify({ status: 'ok' }));
    switch (outcome.reason) {
      case 'malformed':
        throw validationProblem([{ field: outcome.field, message: outcome.detail }]);
      case 'bad_checksum':
        throw new ApiProblem(403, 'invalid_checksum', 'Forbidden', `The postback's checksum does not match: ${outcome.detail}.`);
      case 'not_configured':
        throw new ApiProblem(404, 'postbacks_not_configured', 'Not found', `Venue ${name} takes no postbacks: ${outcome.detail}.`);
    }
  });
};
