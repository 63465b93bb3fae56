/**
 * The page's HTTP client for the public API: the bearer token on every call, JSON in and out,
 * and every failure as a value the page can show. A 401 also tells the page its token is no
 * longer good. A request that got no answer is a NoAnswer, never taken as a refusal: the
 * gateway may have acted on it (the page resends an order with the same Idempotency-Key).
 */
import type { FieldError, Problem } from './types.ts';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }

  get status(): number {
    return this.problem.status;
  }

  get code(): string {
    return this.problem.code;
  }

  get fieldErrors(): FieldError[] {
    return this.problem.errors ?? [];
  }
}

export class NoAnswer extends Error {
  override readonly name = 'NoAnswer';
  constructor(cause: unknown) {
    super(`No answer from the gateway (${cause instanceof Error ? cause.message : String(cause)}).`);
  }
}

export interface Answer<T> {
  readonly data: T;
  /** The gateway answered an Idempotency-Key it had seen: nothing was done twice. */
  readonly replayed: boolean;
}

export interface RequestOptions {
  readonly idempotencyKey?: string;
  readonly signal?: AbortSignal;
}

export class ApiClient {
  constructor(readonly token: string, private readonly onUnauthorized: (problem: Problem) => void = () => {}) {}

  async get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return (await this.request<T>('GET', path, undefined, options)).data;
  }

  post<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<Answer<T>> {
    return this.request<T>('POST', path, body, options);
  }

  async request<T>(method: string, path: string, body: unknown, options: RequestOptions): Promise<Answer<T>> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    let response: Response;
    try {
      response = await fetch(path, {
        method, headers, cache: 'no-store',
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new NoAnswer(error);
    }
    const text = await response.text().catch((error: unknown) => {
      throw new NoAnswer(error);
    });
    if (!response.ok) {
      const problem = problemOf(response, text);
      if (response.status === 401) this.onUnauthorized(problem);
      throw new ApiError(problem);
    }
    return { data: (text === '' ? null : JSON.parse(text)) as T, replayed: response.headers.get('idempotency-replayed') === 'true' };
  }
}

/** The problem+json body, or one made up from the status when something in between answered instead. */
function problemOf(response: Response, text: string): Problem {
  try {
    const body = JSON.parse(text) as Partial<Problem>;
    if (typeof body.detail === 'string' && typeof body.code === 'string') {
      return { ...body, status: response.status, code: body.code, title: body.title ?? response.statusText, detail: body.detail };
    }
  } catch {
    // Not JSON: a proxy or the browser answered, not the gateway.
  }
  return {
    status: response.status,
    code: `http_${response.status}`,
    title: response.statusText,
    detail: `The gateway answered ${response.status} ${response.statusText}.`,
  };
}

/** A fresh Idempotency-Key: 128 random bits. (crypto.randomUUID exists only on https or localhost.) */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `web-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
