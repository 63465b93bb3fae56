/** Route guards: who is calling (bearer token) and whether their role may do this. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { forbidden, type Principal, type Role } from './auth.ts';
import type { HttpDeps } from './deps.ts';
import { ApiProblem } from './problems.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

export function authenticated(deps: HttpDeps, ...roles: Role[]) {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const principal = await deps.auth.authenticate(request.headers.authorization);
    if (roles.length > 0 && !roles.some((r) => principal.roles.has(r))) {
      throw forbidden(`This needs one of the roles: ${roles.join(', ')}.`);
    }
    request.principal = principal;
  };
}

export function requireReady(deps: HttpDeps) {
  return async () => {
    if (!deps.ready()) {
      throw new ApiProblem(503, 'starting', 'Starting up', 'The gateway is reconciling with its venues before it takes orders. Retry shortly.');
    }
  };
}

export function sendJson(reply: FastifyReply, statusCode: number, body: string, replayed = false): FastifyReply {
  if (replayed) reply.header('Idempotency-Replayed', 'true');
  return reply.code(statusCode).type('application/json; charset=utf-8').send(body);
}
