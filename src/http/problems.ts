/**
 * RFC 9457 problem details. Every error answer has a stable `code`, a `detail` a person can
 * act on, and an `error_id` that is also logged so support can find the failure.
 */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

export class ApiProblem extends Error {
  override readonly name = 'ApiProblem';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(detail);
  }
}

export const validationProblem = (errors: readonly FieldProblem[]) =>
  new ApiProblem(400, 'validation_failed', 'Invalid request', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });

export const notFound = (what: string) => new ApiProblem(404, 'not_found', 'Not found', `${what} was not found.`);

/**
 * The database cannot be reached (StoreUnavailable). Not "nothing was recorded": a commit whose
 * link failed after the database took it did commit, and the client must be able to find out.
 */
export const databaseUnavailable = (order?: { readonly id: string; readonly clientOrderId: string }) => new ApiProblem(503, 'database_unavailable', 'Database unavailable',
  'The order database cannot be reached. Retry shortly with the same client_order_id or Idempotency-Key: a retry never creates a second order. '
  + 'An order answered this way was normally not recorded; if the link failed while it was committing, it may have been, '
  + 'and GET /api/v1/orders/by-client-id/{client_order_id} shows it.',
  // A new order's ids: the client may have sent no client_order_id, and must still be able to look it up.
  order ? { order_id: order.id, client_order_id: order.clientOrderId } : {});

export function problemBody(problem: ApiProblem, errorId: string, instance: string): Record<string, unknown> {
  return {
    type: `urn:ordergate:problem:${problem.code}`,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    code: problem.code,
    error_id: errorId,
    instance,
    ...problem.extra,
  };
}
