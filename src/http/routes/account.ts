/**
 * Accounts (API.md "Accounts, risk and the kill switch"): the caller's account and positions,
 * any trader's account for the risk desk, and cash adjustments by an admin. Another trader's
 * account answers 404 to a trader, exactly like one that does not exist.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Type } from '@sinclair/typebox';
import { accountView, positionsJson } from '../../app/accounts/accountView.ts';
import { isTraderId } from '../../domain/ids.ts';
import { D, decimalText } from '../../domain/money.ts';
import type { Principal } from '../auth.ts';
import type { HttpDeps } from '../deps.ts';
import { authenticated, sendJson } from '../guard.ts';
import { notFound, validationProblem } from '../problems.ts';
import { errorResponses } from '../schemas.ts';

const TraderParams = Type.Object({ trader_id: Type.String({ minLength: 1, maxLength: 128 }) });
const CashRequest = Type.Object({
  amount: Type.String({ pattern: '^-?(0|[1-9][0-9]{0,14})(\\.[0-9]{1,2})?$', description: 'Amount to credit, negative to debit, e.g. "25000.00"' }),
  reason: Type.String({ minLength: 1, maxLength: 500 }),
}, { additionalProperties: false });

/** A trader sees its own; the risk desk and admins see every trader. */
export const mayRead = (principal: Principal, traderId: string) =>
  principal.traderId === traderId || principal.roles.has('risk') || principal.roles.has('admin');

export const accountRoutes = (deps: HttpDeps) => fp(async (app: FastifyInstance) => {
  const { gate, controls } = deps.risk;
  const clock = deps.ctx.clock;

  app.get('/api/v1/account', {
    onRequest: authenticated(deps),
    schema: { summary: "The caller's account: cash, buying power, P&L, positions, limits", tags: ['accounts'], response: errorResponses(401) },
  }, async (request, reply) => sendJson(reply, 200, JSON.stringify(await accountView(gate, clock, request.principal.traderId))));

  app.get('/api/v1/accounts/:trader_id', {
    onRequest: authenticated(deps),
    schema: { summary: "A trader's account (risk, admin, or the trader itself)", tags: ['accounts'], params: TraderParams, response: errorResponses(401, 404) },
  }, async (request, reply) => {
    const { trader_id: traderId } = request.params as { trader_id: string };
    if (!isTraderId(traderId) || !mayRead(request.principal, traderId)) throw notFound(`Account ${traderId}`);
    return sendJson(reply, 200, JSON.stringify(await accountView(gate, clock, traderId)));
  });

  app.get('/api/v1/positions', {
    onRequest: authenticated(deps),
    schema: { summary: "The caller's positions", tags: ['accounts'], response: errorResponses(401) },
  }, async (request, reply) => {
    const traderId = request.principal.traderId;
    gate.invalidate(traderId);
    const book = await gate.book(traderId);
    return sendJson(reply, 200, JSON.stringify({ positions: positionsJson(gate, book.listPositions()) }));
  });

  app.post('/api/v1/admin/accounts/:trader_id/cash', {
    onRequest: authenticated(deps, 'admin'),
    schema: { summary: 'Credit (or debit) a trader\'s cash', tags: ['accounts'], params: TraderParams, body: CashRequest, response: errorResponses(400, 401, 403) },
  }, async (request, reply) => {
    const { trader_id: traderId } = request.params as { trader_id: string };
    if (!isTraderId(traderId)) throw validationProblem([{ field: 'trader_id', message: 'is not a valid trader id' }]);
    const body = request.body as { amount: string; reason: string };
    const amount = new D(body.amount);
    if (amount.isZero()) throw validationProblem([{ field: 'amount', message: 'must not be zero' }]);
    const account = await controls.creditCash(traderId, amount, request.principal.traderId, body.reason);
    return sendJson(reply, 200, JSON.stringify({ trader_id: traderId, cash: decimalText(account.cash), reserved: decimalText(account.reserved) }));
  });
});
