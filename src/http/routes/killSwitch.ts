/**
 * The kill switch (API.md): POST trips it for a trader or the whole firm (risk or admin; a
 * trader may trip its own), halting new orders and cancelling every working order in scope;
 * DELETE with the same scope releases it (risk or admin only).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Type } from '@sinclair/typebox';
import { FIRM_SCOPE } from '../../domain/risk/limits.ts';
import { forbidden } from '../auth.ts';
import type { HttpDeps } from '../deps.ts';
import { authenticated, sendJson } from '../guard.ts';
import { notFound, validationProblem } from '../problems.ts';
import { errorResponses } from '../schemas.ts';
import { checkScope } from './risk.ts';

const KillSwitchRequest = Type.Object({
  scope: Type.Unsafe<'trader' | 'firm'>({ type: 'string', enum: ['trader', 'firm'] }),
  trader_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  reason: Type.Optional(Type.String({ maxLength: 500 })),
}, { additionalProperties: false });

type Body = { scope: 'trader' | 'firm'; trader_id?: string; reason?: string };

/** The scope key a request names, after checking the caller may act on it. */
function scopeOf(request: FastifyRequest, desk: boolean): string {
  const body = request.body as Body;
  if (body.scope === 'firm') {
    if (!desk) throw forbidden('Only the risk desk can act on the firm-wide kill switch.');
    return FIRM_SCOPE;
  }
  const traderId = body.trader_id ?? request.principal.traderId;
  checkScope(traderId);
  if (traderId === FIRM_SCOPE) throw validationProblem([{ field: 'trader_id', message: 'use scope "firm" for the firm' }]);
  if (!desk && traderId !== request.principal.traderId) throw notFound(`Trader ${traderId}`);
  return traderId;
}

const isDesk = (request: FastifyRequest) => request.principal.roles.has('risk') || request.principal.roles.has('admin');

export const killSwitchRoutes = (deps: HttpDeps) => fp(async (app: FastifyInstance) => {
  const { controls } = deps.risk;

  app.post('/api/v1/kill-switch', {
    onRequest: authenticated(deps),
    schema: { summary: 'Trip the kill switch: halt new orders and cancel every working order in scope', tags: ['risk'], body: KillSwitchRequest, response: errorResponses(400, 401, 403, 404) },
  }, async (request, reply) => {
    const scope = scopeOf(request, isDesk(request));
    const outcome = await controls.tripKillSwitch(scope, request.principal.traderId, (request.body as Body).reason ?? null);
    return sendJson(reply, 200, JSON.stringify({
      scope: scope === FIRM_SCOPE ? 'firm' : 'trader', trader_id: scope === FIRM_SCOPE ? null : scope, trading_state: 'halted',
      cancel_requested: outcome.cancelRequested, elapsed_ms: Math.round(outcome.elapsedMs),
    }));
  });

  app.delete('/api/v1/kill-switch', {
    onRequest: authenticated(deps, 'risk', 'admin'),
    schema: { summary: 'Release the kill switch for the same scope', tags: ['risk'], body: KillSwitchRequest, response: errorResponses(400, 401, 403) },
  }, async (request, reply) => {
    const scope = scopeOf(request, true);
    await controls.releaseKillSwitch(scope, request.principal.traderId, (request.body as Body).reason ?? null);
    return sendJson(reply, 200, JSON.stringify({ scope: scope === FIRM_SCOPE ? 'firm' : 'trader', trader_id: scope === FIRM_SCOPE ? null : scope, trading_state: 'active' }));
  });
});
