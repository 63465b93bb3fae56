/**
 * The HTTP server: fastify with JSON bodies ≤ 64 KiB, schema validation without type
 * coercion, unknown fields refused, and every error answered as problem+json with an
 * error_id that is also logged. Routes live in routes/; this file owns the cross-cutting parts.
 */
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Logger as PinoLogger } from 'pino';
import { Histogram } from 'prom-client';
import { v7 as uuidv7 } from 'uuid';
import { StoreUnavailable } from '../ports/store.ts';
import { SubmitUnavailable } from '../app/submitOrder.ts';
import { ApiProblem, databaseUnavailable, problemBody, validationProblem, type FieldProblem } from './problems.ts';
import type { HttpDeps } from './deps.ts';
import { adminRoutes } from './routes/admin.ts';
import { postbackRoutes } from './routes/postbacks.ts';
import { orderRoutes } from './routes/orders.ts';
import { eventRoutes } from './routes/events.ts';
import { opsRoutes } from './routes/ops.ts';
import { websocketRoutes } from './websocket.ts';
import { registerRateLimit } from './rateLimit.ts';
import { accountRoutes } from './routes/account.ts';
import { instrumentRoutes } from './routes/instruments.ts';
import { killSwitchRoutes } from './routes/killSwitch.ts';
import { riskRoutes } from './routes/risk.ts';
import { webPageRoutes } from './webPage.ts';

export const BODY_LIMIT = 64 * 1024;

export async function buildServer(deps: HttpDeps, logger: PinoLogger): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: BODY_LIMIT,
    genReqId: () => uuidv7(),
    // No log line per request: errors are logged with their error_id (sendError); request counts and latency are metrics.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { coerceTypes: false, allowUnionTypes: true, allErrors: true, removeAdditional: false, useDefaults: false } },
    routerOptions: { ignoreTrailingSlash: true },
  });

  // JSON only: any other content type is a 415, not a string the schema then calls "not an object".
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(new ApiProblem(400, 'invalid_json', 'Invalid JSON', 'The body is empty; send a JSON object.'));
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(new ApiProblem(400, 'invalid_json', 'Invalid JSON', `The body is not valid JSON: ${(error as Error).message}.`));
    }
  });

  app.setErrorHandler((error: FastifyError, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendError(new ApiProblem(404, 'not_found', 'Not found', `No route ${request.method} ${request.url.split('?')[0]}.`), request, reply));

  await app.register(swagger, {
    openapi: {
      info: { title: 'ordergate', version: '1.0.0', description: 'Order execution gateway: the HTTP contract of API.md.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(websocket, { options: { maxPayload: 4096 } });

  await registerRateLimit(app as unknown as FastifyInstance, deps.rateLimit);
  await app.register(opsRoutes(deps));
  await app.register(orderRoutes(deps));
  await app.register(adminRoutes(deps));
  await app.register(postbackRoutes(deps));
  await app.register(eventRoutes(deps));
  await app.register(websocketRoutes(deps));
  await app.register(accountRoutes(deps));
  await app.register(riskRoutes(deps));
  await app.register(killSwitchRoutes(deps));
  await app.register(instrumentRoutes(deps));
  await app.register(webPageRoutes());
  const instance = app as unknown as FastifyInstance;
  observeRequests(instance, deps);
  return instance;
}

function observeRequests(app: FastifyInstance, deps: HttpDeps): void {
  const histogram = new Histogram({
    name: 'ordergate_http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [deps.metrics],
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    histogram.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
}

export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const problem = toProblem(error);
  const errorId = uuidv7();
  const logFields = { errorId, code: problem.code, status: problem.status, method: request.method, url: request.url };
  if (problem.status >= 500) request.log.error({ ...logFields, err: error }, problem.detail);
  else request.log.info(logFields, problem.detail);
  if (problem.status === 503) reply.header('Retry-After', '5');
  return reply
    .code(problem.status)
    .type('application/problem+json; charset=utf-8')
    .send(JSON.stringify(problemBody(problem, errorId, request.url.split('?')[0]!)));
}

function toProblem(error: unknown): ApiProblem {
  if (error instanceof ApiProblem) return error;
  if (error instanceof SubmitUnavailable) return databaseUnavailable({ id: error.orderId, clientOrderId: error.clientOrderId });
  if (error instanceof StoreUnavailable) return databaseUnavailable();
  const e = error as FastifyError & { validation?: AjvError[]; validationContext?: string };
  if (e.validation) return validationProblem(e.validation.map((v) => fieldProblem(v, e.validationContext ?? 'body')));
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiProblem(413, 'body_too_large', 'Body too large', `The body is larger than ${BODY_LIMIT / 1024} KiB.`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiProblem(415, 'unsupported_media_type', 'Unsupported media type', 'Send the body as application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiProblem(400, 'invalid_json', 'Invalid JSON', 'The body is empty; send a JSON object.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiProblem(400, 'invalid_content_length', 'Bad request', 'Content-Length does not match the body.');
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new ApiProblem(e.statusCode, 'bad_request', 'Bad request', e.message);
  }
  return new ApiProblem(500, 'internal_error', 'Internal error', 'Something went wrong on our side; quote the error_id to support.');
}

interface AjvError {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

function fieldProblem(v: AjvError, context: string): FieldProblem {
  const path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (context === 'headers') return { field: headerName(path || String(v.params['missingProperty'] ?? '')), message: v.message ?? 'is invalid' };
  const prefix = context === 'body' ? '' : `${context}.`;
  if (v.keyword === 'additionalProperties') {
    const name = String(v.params['additionalProperty']);
    return { field: `${prefix}${path ? `${path}.` : ''}${name}`, message: 'is not a known field; remove it or check its spelling' };
  }
  if (v.keyword === 'required') {
    return { field: `${prefix}${path ? `${path}.` : ''}${String(v.params['missingProperty'])}`, message: 'is required' };
  }
  if (v.keyword === 'enum') {
    return { field: `${prefix}${path}`, message: `must be one of ${(v.params['allowedValues'] as unknown[]).join(', ')}` };
  }
  if (v.keyword === 'type' && context === 'body' && path === '') return { field: '(body)', message: 'must be a JSON object' };
  return { field: `${prefix}${path || '(root)'}`, message: v.message ?? 'is invalid' };
}

/** "idempotency-key" → "Idempotency-Key", as clients write it. */
const headerName = (name: string) => name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
