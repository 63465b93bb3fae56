/**
 * Admin endpoints of the execution core (role admin): reconciliation (the last run of each
 * venue, its drift, and the orders in doubt), running a pass on demand, venue configurations
 * and routing rules. A venue configuration or credentials change applies at once on this
 * instance (its adapter is started or replaced before the answer, `connected` says whether it
 * runs) and within seconds on the others.
 * Venue credentials are write-only: PUT seals them (the answer and every GET name the fields
 * set, never a value), DELETE removes them.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ReconciliationRun, VenueSessionLease } from '../../ports/execution.ts';
import { servesHere, type Venue } from '../../ports/venue.ts';
import type { CredentialsDescription } from '../../ports/venueCredentials.ts';
import type { HttpDeps } from '../deps.ts';
import { authenticated, sendJson } from '../guard.ts';
import { ApiProblem, notFound, validationProblem } from '../problems.ts';
import { errorResponses } from '../schemas.ts';

const VenueName = Type.String({ pattern: '^[a-z][a-z0-9_-]{0,63}$' });

const VenueBody = Type.Object({
  kind: Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$', description: 'Adapter kind: sim, sim_http, alpaca, zerodha or fix' }),
  settings: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Adapter settings (URLs, session ids, timeouts); never secrets' })),
  active: Type.Boolean({ description: 'Inactive: orders routed to it are refused with 422 venue_unavailable' }),
}, { additionalProperties: false });

const CredentialsBody = Type.Record(
  Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$' }),
  Type.String({ minLength: 1, maxLength: 4096 }),
  { maxProperties: 16, description: 'The kind\'s credential fields, e.g. {"key_id","secret_key"} for alpaca, {"api_key","access_token","api_secret"} for zerodha, {"username","password"} for fix' },
);

const RulesBody = Type.Object({
  rules: Type.Array(Type.Object({
    priority: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
    symbol: Type.Union([Type.String({ minLength: 1, maxLength: 16 }), Type.Null()]),
    trader_id: Type.Union([Type.String({ minLength: 1, maxLength: 128 }), Type.Null()]),
    venue: VenueName,
  }, { additionalProperties: false }), { maxItems: 1_000 }),
}, { additionalProperties: false });

function runJson(run: ReconciliationRun | null): Record<string, unknown> | null {
  if (!run) return null;
  return {
    id: run.id, trigger: run.trigger, status: run.status, started_at: run.startedAt.toISOString(), finished_at: run.finishedAt.toISOString(),
    examined: run.examined, drift: run.drift, details: run.details.map((d) => ({ kind: d.kind, client_order_id: d.clientOrderId, detail: d.detail })),
    fills_cursor: run.fillsCursor, error: run.error,
  };
}

function credentialsJson(described: CredentialsDescription | null): Record<string, unknown> | null {
  return described && { fields: described.fields, updated_at: described.updatedAt.toISOString(), updated_by: described.updatedBy };
}

export const adminRoutes = (deps: HttpDeps) => fp(async (app: FastifyInstance) => {
  const execution = deps.execution;
  if (!execution) return;
  const admin = authenticated(deps, 'admin');
  const store = deps.ctx.store.execution;
  const administration = () => {
    const wired = execution.venues.administration;
    if (!wired) throw new ApiProblem(503, 'venue_administration_unavailable', 'Service unavailable', 'This instance cannot check venue configurations or hold credentials.');
    return wired;
  };

  app.get('/api/v1/admin/reconciliation', {
    onRequest: admin,
    schema: { summary: 'The last reconciliation of each venue, its drift, and the orders in doubt', tags: ['admin'], response: errorResponses(401, 403) },
  }, async (_request, reply) => {
    const stored = new Map((await store.lastReconciliationRuns()).map((run) => [run.venue, run]));
    const venues = execution.venues.names().map((venue) => ({
      venue,
      reconciled: execution.reconciler.isReconciled(venue),
      circuit: execution.guards.get(venue)?.breakerState() ?? 'closed',
      last_run: runJson(execution.reconciler.lastRun(venue) ?? stored.get(venue) ?? null),
    }));
    const inDoubt = await store.listDispatchIntents({ inDoubt: true, limit: 100 });
    return sendJson(reply, 200, JSON.stringify({
      venues,
      drift: venues.reduce((sum, v) => sum + ((v.last_run?.drift as number | undefined) ?? 0), 0),
      in_doubt: {
        count: await store.countInDoubt(),
        orders: inDoubt.map((i) => ({
          order_id: i.orderId, venue: i.venue, attempts: i.attempts, last_error: i.lastError,
          next_check_at: i.nextAttemptAt.toISOString(), since: i.createdAt.toISOString(),
        })),
      },
    }));
  });

  app.post('/api/v1/admin/reconciliation/:venue', {
    onRequest: admin,
    schema: { summary: 'Reconcile one venue now', tags: ['admin'], params: Type.Object({ venue: VenueName }), response: errorResponses(401, 403, 404, 409) },
  }, async (request, reply) => {
    const { venue } = request.params as { venue: string };
    const adapter = execution.venues.get(venue);
    if (!adapter) throw notFound(`Venue ${venue}`);
    const run = await execution.reconciler.run(venue, 'periodic');
    if (run === null) {
      throw new ApiProblem(409, 'venue_session_elsewhere', 'Venue session runs on another instance',
        `The ${venue} session runs on another gateway instance, which reconciles it; send this request to that instance (GET /api/v1/admin/venues names it).`);
    }
    return sendJson(reply, 200, JSON.stringify(runJson(run)));
  });

  app.get('/api/v1/admin/venues', {
    onRequest: admin,
    schema: { summary: 'Venue configurations and their state here', tags: ['admin'], response: errorResponses(401, 403) },
  }, async (_request, reply) => {
    await execution.venues.refresh();
    const configs = execution.venues.configs();
    const credentials = execution.venues.administration?.credentials;
    const described = await Promise.all(configs.map((c) => credentials?.describe(c.name) ?? null));
    const sessions = new Map((await store.listVenueSessions()).map((lease) => [lease.venue, lease]));
    const now = deps.ctx.clock.now().getTime();
    return sendJson(reply, 200, JSON.stringify({
      venues: configs.map((c, index) => ({
        name: c.name, kind: c.kind, settings: c.settings, active: c.active, updated_at: c.updatedAt.toISOString(),
        connected: execution.venues.get(c.name) !== undefined, reconciled: execution.reconciler.isReconciled(c.name),
        credentials: credentialsJson(described[index] ?? null),
        session: sessionJson(sessions.get(c.name), execution.venues.get(c.name), now),
      })),
      default_venue: execution.venues.defaultVenue,
    }));
  });

  app.put('/api/v1/admin/venues/:name', {
    onRequest: admin,
    schema: { summary: 'Create or change a venue configuration', tags: ['admin'], params: Type.Object({ name: VenueName }), body: VenueBody, response: errorResponses(400, 401, 403) },
  }, async (request, reply) => {
    const { name } = request.params as { name: string };
    const body = request.body as { kind: string; settings?: Record<string, unknown>; active: boolean };
    const problems = administration().checkSettings(body.kind, body.settings ?? {});
    if (problems.length > 0) throw validationProblem(problems);
    await store.putVenueConfig({ name, kind: body.kind, settings: body.settings ?? {}, active: body.active, updatedAt: deps.ctx.clock.now() });
    await execution.venues.refresh();
    await execution.adapters?.sync();
    request.log.info({ venue: name, active: body.active, by: request.principal.traderId }, 'venue configuration changed');
    return sendJson(reply, 200, JSON.stringify({ name, kind: body.kind, settings: body.settings ?? {}, active: body.active, connected: execution.venues.get(name) !== undefined }));
  });

  app.put('/api/v1/admin/venues/:name/credentials', {
    onRequest: admin,
    schema: {
      summary: 'Set a venue\'s credentials (write-only: sealed at rest, never returned)', tags: ['admin'],
      params: Type.Object({ name: VenueName }), body: CredentialsBody, response: errorResponses(400, 401, 403, 404),
    },
  }, async (request, reply) => {
    const { name } = request.params as { name: string };
    const fields = request.body as Record<string, string>;
    const problems = await administration().checkCredentials(name, fields);
    if (problems === null) throw notFound(`Venue ${name}`);
    if (problems.length > 0) throw validationProblem(problems);
    const described = await administration().credentials.set(name, fields, request.principal.traderId);
    request.log.info({ venue: name, fields: described.fields, by: request.principal.traderId }, 'venue credentials set');
    await execution.adapters?.sync();
    return sendJson(reply, 200, JSON.stringify({ venue: name, ...credentialsJson(described), connected: execution.venues.get(name) !== undefined }));
  });

  app.get('/api/v1/admin/venues/:name/credentials', {
    onRequest: admin,
    schema: { summary: 'Which credential fields a venue has, and when they were set (never their values)', tags: ['admin'], params: Type.Object({ name: VenueName }), response: errorResponses(401, 403, 404) },
  }, async (request, reply) => {
    const { name } = request.params as { name: string };
    const described = await administration().credentials.describe(name);
    if (!described) throw notFound(`Credentials of venue ${name}`);
    return sendJson(reply, 200, JSON.stringify({ venue: name, ...credentialsJson(described) }));
  });

  app.delete('/api/v1/admin/venues/:name/credentials', {
    onRequest: admin,
    schema: { summary: 'Remove a venue\'s credentials', tags: ['admin'], params: Type.Object({ name: VenueName }), response: errorResponses(401, 403, 404) },
  }, async (request, reply) => {
    const { name } = request.params as { name: string };
    if (!(await administration().credentials.remove(name))) throw notFound(`Credentials of venue ${name}`);
    request.log.info({ venue: name, by: request.principal.traderId }, 'venue credentials removed');
    await execution.adapters?.sync();
    return reply.code(204).send();
  });

  app.get('/api/v1/admin/routing-rules', {
    onRequest: admin,
    schema: { summary: 'Routing rules', tags: ['admin'], response: errorResponses(401, 403) },
  }, async (_request, reply) => {
    const rules = await store.listRoutingRules();
    return sendJson(reply, 200, JSON.stringify({ rules: rules.map((r) => ({ id: r.id, priority: r.priority, symbol: r.symbol, trader_id: r.traderId, venue: r.venue })) }));
  });

  app.put('/api/v1/admin/routing-rules', {
    onRequest: admin,
    schema: { summary: 'Replace the routing rules', tags: ['admin'], body: RulesBody, response: errorResponses(400, 401, 403) },
  }, async (request, reply) => {
    const body = request.body as { rules: Array<{ priority: number; symbol: string | null; trader_id: string | null; venue: string }> };
    const known = new Set([...(await store.listVenueConfigs()).map((c) => c.name), ...execution.venues.names()]);
    const unknown = body.rules.flatMap((rule, index) => (known.has(rule.venue) ? [] : [{ field: `rules.${index}.venue`, message: `no venue named "${rule.venue}" is configured` }]));
    if (unknown.length > 0) throw validationProblem(unknown);
    const rules = body.rules.map((rule) => ({ id: deps.ctx.ids.next(), priority: rule.priority, symbol: rule.symbol, traderId: rule.trader_id, venue: rule.venue }));
    await store.replaceRoutingRules(rules);
    await execution.venues.refresh();
    request.log.info({ rules: rules.length, by: request.principal.traderId }, 'routing rules replaced');
    return sendJson(reply, 200, JSON.stringify({ rules: rules.map((r) => ({ id: r.id, priority: r.priority, symbol: r.symbol, trader_id: r.traderId, venue: r.venue })) }));
  });
});

/**
 * Who runs a single-session venue's session (a FIX session runs on one instance at a time),
 * and whether it is this instance; null for venues that run on every instance.
 */
function sessionJson(lease: VenueSessionLease | undefined, adapter: Venue | undefined, now: number): Record<string, unknown> | null {
  if (adapter?.serving === undefined) return null;
  const live = lease !== undefined && lease.expiresAt.getTime() > now;
  return {
    runs_here: servesHere(adapter),
    owner: live ? lease.owner : null,
    since: live ? lease.acquiredAt.toISOString() : null,
    lease_expires_at: live ? lease.expiresAt.toISOString() : null,
  };
}
