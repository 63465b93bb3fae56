/** The order endpoints of API.md "Orders": submit, list, read, look up, cancel, simulate fills. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { cancelOrder } from '../../app/cancelOrder.ts';
import { EXECUTION_AUDIT_KINDS } from '../../app/execution/intents.ts';
import { simulateFill } from '../../app/simulateFill.ts';
import { submitOrder } from '../../app/submitOrder.ts';
import { decimalText } from '../../domain/money.ts';
import { isClientOrderId, isOrderId } from '../../domain/ids.ts';
import type { Order } from '../../domain/order/order.ts';
import type { Dec } from '../../domain/money.ts';
import type { HttpDeps } from '../deps.ts';
import { authenticated, requireReady, sendJson } from '../guard.ts';
import { IdempotencyRace, type Answer } from '../idempotency.ts';
import { decimalField, parseOrderRequest, type OrderRequestBody } from '../orderInput.ts';
import { auditJson, fillJson, orderJson } from '../presenters.ts';
import { ApiProblem, notFound, validationProblem, type FieldProblem } from '../problems.ts';
import { riskProblem } from '../riskProblems.ts';
import {
  ClientOrderIdParams, errorResponses, OrderDetail, OrderIdParams, OrderList, OrderListQuery, OrderRequest, OrderResource,
  SimulateFillRequest,
} from '../schemas.ts';

const render = (order: Order) => JSON.stringify(orderJson(order));
const renderWith = (inDoubt: boolean) => (order: Order) => JSON.stringify(orderJson(order, inDoubt));
const idempotencyKey = (request: FastifyRequest) => request.headers['idempotency-key'] as string | undefined;
const path = (request: FastifyRequest) => request.url.split('?')[0]!;

export const orderRoutes = (deps: HttpDeps) => fp(async (app: FastifyInstance) => {
  const { ctx, dispatcher, reports, idempotency } = deps;
  const auth = authenticated(deps);

  async function detail(order: Order): Promise<string> {
    const [fills, audit, inDoubt] = await Promise.all([
      ctx.store.listFills(order.id), ctx.store.listAudit(order.id), ctx.store.execution.inDoubtOrderIds([order.id]),
    ]);
    // The order's lifecycle in `events`; each attempt to reach the venue in `execution`.
    const events = audit.filter((row) => !EXECUTION_AUDIT_KINDS.includes(row.kind));
    const execution = audit.filter((row) => EXECUTION_AUDIT_KINDS.includes(row.kind));
    return JSON.stringify({
      ...orderJson(order, inDoubt.has(order.id)), fills: fills.map(fillJson), events: events.map(auditJson), execution: execution.map(auditJson),
    });
  }

  app.post('/api/v1/orders', {
    onRequest: [auth, requireReady(deps)],
    schema: {
      summary: 'Submit an order', tags: ['orders'], body: OrderRequest,
      headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 255 } } },
      response: { 201: OrderResource, ...errorResponses(400, 401, 409, 413, 422, 503) },
    },
  }, async (request, reply) => {
    const traderId = request.principal.traderId;
    const input = parseOrderRequest(traderId, request.body as OrderRequestBody);
    const answer = await idempotency.run(traderId, idempotencyKey(request), { method: 'POST', path: path(request), body: request.body },
      async (remember): Promise<Answer> => {
        const result = await submitOrder(ctx, dispatcher, input, remember(201, render));
        if (result.ok) return { statusCode: 201, body: remember.rendered() ?? render(result.value) };
        const e = result.error;
        switch (e.code) {
          case 'idempotency_conflict':
            throw new IdempotencyRace();
          case 'duplicate_client_order_id':
            throw new ApiProblem(409, 'duplicate_client_order_id', 'Duplicate client order id',
              `client_order_id "${e.clientOrderId}" was already used for order ${e.existingOrderId}. Use a new client_order_id, or GET that order.`,
              { existing_order_id: e.existingOrderId });
          case 'venue_unavailable':
            throw new ApiProblem(422, 'venue_unavailable', 'Venue unavailable',
              `Venue "${e.venue}" is not available. Available venues: ${e.available.join(', ')}.`);
          case 'venue_reconciling':
            throw new ApiProblem(503, 'venue_reconciling', 'Venue reconciling',
              `Venue "${e.venue}" is being reconciled with this gateway after a start; nothing was stored. Retry shortly.`);
          case 'risk_denied':
            throw riskProblem(e.denial);
        }
      });
    return sendJson(reply, answer.statusCode, answer.body, answer.replayed);
  });

  app.get('/api/v1/orders', {
    onRequest: auth,
    schema: { summary: "List the caller's orders, newest first", tags: ['orders'], querystring: OrderListQuery, response: { 200: OrderList, ...errorResponses(400, 401) } },
  }, async (request, reply) => {
    const q = request.query as { status?: Order['status']; symbol?: string; limit?: string; offset?: string };
    const limit = q.limit === undefined ? 20 : Number(q.limit);
    const offset = q.offset === undefined ? 0 : Number(q.offset);
    if (limit < 1 || limit > 100) throw validationProblem([{ field: 'limit', message: 'must be from 1 to 100' }]);
    const page = await ctx.store.listTraderOrders(request.principal.traderId, {
      limit, offset, ...(q.status ? { status: q.status } : {}), ...(q.symbol ? { symbol: q.symbol } : {}),
    });
    const inDoubt = await ctx.store.execution.inDoubtOrderIds(page.orders.map((order) => order.id));
    const orders = page.orders.map((order) => orderJson(order, inDoubt.has(order.id)));
    return sendJson(reply, 200, JSON.stringify({ orders, limit, offset, total: page.total }));
  });

  app.get('/api/v1/orders/:id', {
    onRequest: auth,
    schema: { summary: 'Read an order with its fills and audit trail', tags: ['orders'], params: OrderIdParams, response: { 200: OrderDetail, ...errorResponses(401, 404) } },
  }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const order = isOrderId(id) ? await ctx.store.findTraderOrder(request.principal.traderId, id) : null;
    if (!order) throw notFound(`Order ${id}`);
    return sendJson(reply, 200, await detail(order));
  });

  app.get('/api/v1/orders/by-client-id/:client_order_id', {
    onRequest: auth,
    schema: { summary: 'Look an order up by your client order id', tags: ['orders'], params: ClientOrderIdParams, response: { 200: OrderDetail, ...errorResponses(401, 404) } },
  }, async (request, reply) => {
    const { client_order_id: clientOrderId } = request.params as { client_order_id: string };
    const order = isClientOrderId(clientOrderId)
      ? await ctx.store.findTraderOrderByClientId(request.principal.traderId, clientOrderId)
      : null;
    if (!order) throw notFound(`An order with client_order_id "${clientOrderId}"`);
    return sendJson(reply, 200, await detail(order));
  });

  app.post('/api/v1/orders/:id/cancel', {
    onRequest: auth,
    schema: { summary: 'Cancel a working order', tags: ['orders'], params: OrderIdParams, response: { 200: OrderResource, ...errorResponses(400, 401, 404, 409, 422) } },
  }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const traderId = request.principal.traderId;
    if (!isOrderId(id)) throw notFound(`Order ${id}`);
    const answer = await idempotency.run(traderId, idempotencyKey(request), { method: 'POST', path: path(request), body: request.body ?? null },
      async (remember): Promise<Answer> => {
        const rendered = renderWith((await ctx.store.execution.inDoubtOrderIds([id])).has(id));
        const result = await cancelOrder(ctx, dispatcher, traderId, id, remember(200, rendered));
        if (result.ok) return { statusCode: 200, body: remember.rendered() ?? rendered(result.value) };
        if (result.error.code === 'order_not_found') throw notFound(`Order ${id}`);
        const status = result.error.status;
        throw new ApiProblem(400, 'order_not_cancelable', 'Order not cancelable',
          `Cannot cancel order in ${status.toUpperCase()} status. Only working orders can be cancelled.`, { order_status: status });
      });
    return sendJson(reply, answer.statusCode, answer.body, answer.replayed);
  });

  app.post('/api/v1/orders/:id/simulate_fill', {
    onRequest: auth,
    schema: { summary: 'Fill an order at the simulated exchange', tags: ['orders'], params: OrderIdParams, body: SimulateFillRequest, response: { 200: OrderResource, ...errorResponses(400, 401, 404, 409) } },
  }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const traderId = request.principal.traderId;
    if (!isOrderId(id)) throw notFound(`Order ${id}`);
    const body = request.body as { fills: { fill_price: string; fill_qty: string | number }[] };
    const errors: FieldProblem[] = [];
    const fills = body.fills.map((f, i) => ({
      price: decimalField(errors, `fills.${i}.fill_price`, f.fill_price, false),
      quantity: decimalField(errors, `fills.${i}.fill_qty`, f.fill_qty, true),
    }));
    if (errors.length > 0) throw validationProblem(errors);
    const parsed = fills as { price: Dec; quantity: Dec }[];
    const answer = await idempotency.run(traderId, idempotencyKey(request), { method: 'POST', path: path(request), body: request.body },
      async (remember): Promise<Answer> => {
        const result = await simulateFill(ctx, reports, traderId, id, parsed, remember(200, render));
        if (result.ok) return { statusCode: 200, body: remember.rendered() ?? render(result.value) };
        const e = result.error;
        switch (e.code) {
          case 'order_not_found':
            throw notFound(`Order ${id}`);
          case 'venue_not_simulated':
            throw new ApiProblem(400, 'venue_not_simulated', 'Not a simulated venue', `Order ${id} is routed to "${e.venue}"; only orders at the simulated exchange can be filled this way.`);
          case 'overfill':
            throw new ApiProblem(400, 'overfill', 'Overfill',
              `The fills total ${decimalText(e.requested)} but only ${decimalText(e.leaves)} remain on the order.`,
              { leaves_quantity: e.leaves.toFixed(), requested: e.requested.toFixed() });
          case 'order_not_at_venue':
            throw new ApiProblem(409, e.code, 'Order not at the venue yet', `${e.message} Retry in a moment.`);
          case 'order_not_working':
            throw new ApiProblem(400, e.code, 'Order not working', e.message);
        }
      });
    return sendJson(reply, answer.statusCode, answer.body, answer.replayed);
  });
});
