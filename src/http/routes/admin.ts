/**
 * Admin endpoints of the execution core (role admin): reconciliation (the last run of each
 * venue, its drift, and the orders in doubt), running a pass on demand, venue configurations
 * and routing rules. A venue configuration change (active or not) applies to routing at once
 * on this instance and within seconds on the others; a venue of a new kind needs a restart to
 * get its adapter, and reports `connected: false` until then.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ReconciliationRun } from '../../ports/execution.ts';
import type { HttpDeps } from '../deps.ts';
import { authenticated, sendJson } from '../guard.ts';
import { notFound, validationProblem } from '../problems.ts';
import { errorResponses } from '../schemas.ts';

const VenueName = Type.String({ pattern: '^[a-z][a-z0-9_-]{0,63}$' });

const VenueBody = Type.Object({
  kind: Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$', description: 'Adapter kind: sim, sim_http, or a broker connector' }),
  settings: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Adapter settings; never secrets' })),
  active: Type.Boolean({ description: 'Inactive: orders routed to it are refused with 422 venue_unavailable' }),
}, { additionalProperties: false });

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

export const adminRoutes = (deps: HttpDeps) => fp(async (app: FastifyInstance) => {
  const execution = deps.execution;
  if (!execution) return;
  const admin = authenticated(deps, 'admin');
  const store = deps.ctx.store.execution;

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
    schema: { summary: 'Reconcile one venue now', tags: ['admin'], params: Type.Object({ venue: VenueName }), response: errorResponses(401, 403, 404) },
  }, async (request, reply) => {
    const { venue } = request.params as { venue: string };
    if (!execution.venues.get(venue)) throw notFound(`Venue ${venue}`);
    return sendJson(reply, 200, JSON.stringify(runJson(await execution.reconciler.run(venue, 'periodic'))));
  });

  app.get('/api/v1/admin/venues', {
    onRequest: admin,
    schema: { summary: 'Venue configurations and their state here', tags: ['admin'], response: errorResponses(401, 403) },
  }, async (_request, reply) => {
    await execution.venues.refresh();
    const configs = execution.venues.configs();
    return sendJson(reply, 200, JSON.stringify({
      venues: configs.map((c) => ({
        name: c.name, kind: c.kind, settings: c.settings, active: c.active, updated_at: c.updatedAt.toISOString(),
        connected: execution.venues.get(c.name) !== undefined, reconciled: execution.reconciler.isReconciled(c.name),
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
    await store.putVenueConfig({ name, kind: body.kind, settings: body.settings ?? {}, active: body.active, updatedAt: deps.ctx.clock.now() });
    await execution.venues.refresh();
    request.log.info({ venue: name, active: body.active, by: request.principal.traderId }, 'venue configuration changed');
    return sendJson(reply, 200, JSON.stringify({ name, kind: body.kind, settings: body.settings ?? {}, active: body.active, connected: execution.venues.get(name) !== undefined }));
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
