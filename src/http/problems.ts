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
