/**
 * Idempotency-Key handling (API.md "Idempotency"). Scope is (trader, key). The answer to the
 * first request is stored in the same transaction as the change it made, so a replay returns
 * the same status and byte-identical body and nothing is done twice. A key in flight in this
 * process answers 409; across processes the database's primary key decides who was first.
 */
import { createHash } from 'node:crypto';
import type { Order } from '../domain/order/order.ts';
import type { Clock } from '../ports/clock.ts';
import type { IdempotencyRecord, OrderStore } from '../ports/store.ts';
import { ApiProblem, validationProblem } from './problems.ts';

export interface Answer {
  readonly statusCode: number;
  readonly body: string;
  readonly replayed?: boolean;
}

export interface Remember {
  /** Builds the record written with the change; render sees the order as committed. */
  (statusCode: number, render: (order: Order) => string): ((order: Order) => IdempotencyRecord) | null;
  /** The body rendered for the record, so the first answer is byte-identical to replays. */
  rendered(): string | null;
}

const KEY = /^[\x21-\x7e]{1,255}$/;

/** Thrown by work when the store reports another request committed the same key first. */
export class IdempotencyRace extends Error {}

export class IdempotencyGuard {
  private readonly inFlight = new Set<string>();

  constructor(private readonly store: OrderStore, private readonly clock: Clock, private readonly ttlHours: number) {}

  async run(
    traderId: string,
    key: string | undefined,
    request: { method: string; path: string; body: unknown },
    work: (remember: Remember) => Promise<Answer>,
  ): Promise<Answer> {
    if (key === undefined) return work(noMemory());
    if (!KEY.test(key)) {
      throw validationProblem([{ field: 'Idempotency-Key', message: 'must be 1–255 visible ASCII characters' }]);
    }
    const slot = `${traderId}\u0000${key}`;
    if (this.inFlight.has(slot)) throw inUse();
    this.inFlight.add(slot);
    try {
      const requestHash = hashRequest(request);
      const replay = await this.replayIfKnown(traderId, key, requestHash);
      if (replay) return replay;
      try {
        return await work(this.memory(traderId, key, requestHash));
      } catch (error) {
        if (!(error instanceof IdempotencyRace)) throw error;
        return (await this.replayIfKnown(traderId, key, requestHash)) ?? Promise.reject(inUse());
      }
    } finally {
      this.inFlight.delete(slot);
    }
  }

  private async replayIfKnown(traderId: string, key: string, requestHash: string): Promise<Answer | null> {
    const known = await this.store.findIdempotency(traderId, key);
    if (!known) return null;
    if (known.expiresAt <= this.clock.now()) {
      await this.store.deleteExpiredIdempotency(this.clock.now());
      return null;
    }
    if (known.requestHash !== requestHash) {
      throw new ApiProblem(422, 'idempotency_key_reused', 'Idempotency key reused',
        'This Idempotency-Key was already used with a different request. Use a new key for a new request.');
    }
    return { statusCode: known.statusCode, body: known.body, replayed: true };
  }

  private memory(traderId: string, key: string, requestHash: string): Remember {
    let body: string | null = null;
    const remember = ((statusCode: number, render: (order: Order) => string) => (order: Order) => {
      body = render(order);
      const createdAt = this.clock.now();
      return {
        traderId, key, requestHash, statusCode, body, createdAt,
        expiresAt: new Date(createdAt.getTime() + this.ttlHours * 3_600_000),
      };
    }) as Remember;
    remember.rendered = () => body;
    return remember;
  }
}

function noMemory(): Remember {
  const remember = (() => null) as unknown as Remember;
  remember.rendered = () => null;
  return remember;
}

const inUse = () => new ApiProblem(409, 'idempotency_key_in_use', 'Request in progress',
  'A request with this Idempotency-Key is still being processed. Retry after it finishes to get its answer.');

function hashRequest(request: { method: string; path: string; body: unknown }): string {
  return createHash('sha256').update(`${request.method} ${request.path}\n${canonicalJson(request.body)}`).digest('hex');
}

/** JSON with object keys sorted, so key order and whitespace do not make a different request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
