/**
 * Risk limits and trading states (API.md "Accounts, risk and the kill switch"). Only the risk
 * role changes them (a trader gets 403); a trader may read its own limits, and another
 * trader's answer 404. `_firm` is the firm-wide scope. Every change is in the audit trail.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Type } from '@sinclair/typebox';
import { limitsFromJson, limitsToJson } from '../../app/risk/limitsCodec.ts';
import { isTraderId } from '../../domain/ids.ts';
import { FIRM_SCOPE, TRADING_STATES, type TradingState } from '../../domain/risk/limits.ts';
import { forbidden } from '../auth.ts';
import type { HttpDeps } from '../deps.ts';
import { authenticated, sendJson } from '../guard.ts';
import { notFound, validationProblem } from '../problems.ts';
import { errorResponses } from '../schemas.ts';
import { mayRead } from './account.ts';

const Scope = Type.Object({ trader_id: Type.String({ minLength: 1, maxLength: 128 }) });
const amount = Type.Unsafe<string | number | null>({ type: ['string', 'integer', 'null'], description: 'a decimal string such as "5000", or null for no limit' });
const LimitsRequest = Type.Object({
  max_order_quantity: Type.Optional(amount),
  max_order_notional: Type.Optional(amount),
  price_collar_pct: Type.Optional(amount),
  max_position: Type.Optional(amount),
  daily_loss_limit: Type.Optional(amount),
  orders_per_second: Type.Optional(Type.Unsafe<number | null>({ type: ['integer', 'null'] })),
  duplicate_window_ms: Type.Optional(Type.Unsafe<number | null>({ type: ['integer', 'null'] })),
  restricted_symbols: Type.Optional(Type.Array(Type.String(), { maxItems: 1000 })),
  allow_short: Type.Optional(Type.Boolean()),
  reason: Type.Optional(Type.String({ maxLength: 500 })),
}, { additionalProperties: false });
const StateRequest = Type.Object({
  trading_state: Type.Unsafe<TradingState>({ type: 'string', enum: [...TRADING_STATES] }),
  reason: Type.Optional(Type.String({ maxLength: 500 })),
}, { additionalProperties: false });

export function checkScope(scope: string): void {
  if (scope !== FIRM_SCOPE && !isTraderId(scope)) throw validationProblem([{ field: 'trader_id', message: 'must be a trader id or _firm' }]);
}

export const riskRoutes = (deps: HttpDeps) => fp(async (app: FastifyInstance) => {
  const { gate, controls } = deps.risk;
  const render = (scope: string) => JSON.stringify(scope === FIRM_SCOPE
    ? { trader_id: FIRM_SCOPE, ...limitsToJson(gate.limitsFor(FIRM_SCOPE)) }
    : { trader_id: scope, ...limitsToJson(gate.limitsFor(scope)), firm_restricted_symbols: gate.limitsFor(scope).firmRestrictedSymbols });

  app.get('/api/v1/risk/limits/:trader_id', {
    onRequest: authenticated(deps),
    schema: { summary: 'Effective risk limits of a trader, or the firm-wide defaults (_firm)', tags: ['risk'], params: Scope, response: errorResponses(401, 403, 404) },
  }, async (request, reply) => {
    const { trader_id: scope } = request.params as { trader_id: string };
    const desk = request.principal.roles.has('risk') || request.principal.roles.has('admin');
    if (scope === FIRM_SCOPE && !desk) throw forbidden('Firm-wide limits are for the risk desk.');
    if (scope !== FIRM_SCOPE && (!isTraderId(scope) || !mayRead(request.principal, scope))) throw notFound(`Limits of ${scope}`);
    return sendJson(reply, 200, render(scope));
  });

  app.put('/api/v1/risk/limits/:trader_id', {
    onRequest: authenticated(deps, 'risk'),
    schema: { summary: 'Change risk limits (partial update; null means no limit)', tags: ['risk'], params: Scope, body: LimitsRequest, response: errorResponses(400, 401, 403) },
  }, async (request, reply) => {
    const { trader_id: scope } = request.params as { trader_id: string };
    checkScope(scope);
    const { reason, ...fields } = request.body as Record<string, unknown> & { reason?: string };
    const parsed = limitsFromJson(fields);
    if (!parsed.ok) throw validationProblem(parsed.errors);
    await controls.setLimits(scope, parsed.value, request.principal.traderId, reason ?? null);
    return sendJson(reply, 200, render(scope));
  });

  app.put('/api/v1/risk/state/:trader_id', {
    onRequest: authenticated(deps, 'risk'),
    schema: { summary: 'Set a trading state: active, reducing (only orders that shrink a position) or halted', tags: ['risk'], params: Scope, body: StateRequest, response: errorResponses(400, 401, 403) },
  }, async (request, reply) => {
    const { trader_id: scope } = request.params as { trader_id: string };
    checkScope(scope);
    const body = request.body as { trading_state: TradingState; reason?: string };
    const before = await controls.setState(scope, body.trading_state, request.principal.traderId, body.reason ?? null);
    return sendJson(reply, 200, JSON.stringify({ trader_id: scope, trading_state: body.trading_state, previous: before ?? 'active' }));
  });
});
