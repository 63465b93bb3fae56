/**
 * Starts a real gateway (HTTP server, store, simulated exchange) on a free port with its own
 * data folder, and gives tests a small client. PostgreSQL runs use a fresh schema.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { signToken, type Role } from '../../src/http/auth.ts';
import { startGateway, type Gateway } from '../../src/main.ts';
import { dropSchema, freshSchemaName, POSTGRES_CREDENTIALS_KEY, POSTGRES_URL } from '../support/postgres.ts';

export const SECRET = 'e2e-secret-that-is-long-enough-for-hs256!';

export interface TestGateway {
  readonly gateway: Gateway;
  readonly url: string;
  token(sub: string, roles?: Role[]): Promise<string>;
  call(method: string, path: string, options?: { token?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<Reply>;
  stop(): Promise<void>;
}

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: any;
}

export type StoreKind = 'sqlite' | 'postgres';

export async function startTestGateway(env: Record<string, string> = {}, store: StoreKind = 'sqlite'): Promise<TestGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ordergate-e2e-'));
  const pgSchema = store === 'postgres' ? freshSchemaName() : undefined;
  const config = loadConfig({
    ...(store === 'postgres' ? { ORDERGATE_DATABASE_URL: POSTGRES_URL, ORDERGATE_CREDENTIALS_KEY: POSTGRES_CREDENTIALS_KEY } : {}),
    ORDERGATE_PORT: '0',
    ORDERGATE_DATA_DIR: dataDir,
    ORDERGATE_JWT_SECRET: SECRET,
    ORDERGATE_LOG_LEVEL: 'silent',
    ORDERGATE_SIM_TICK_MS: '0',
    ...env,
  });
  const gateway = await startGateway(config, pgSchema ? { pgSchema } : {});
  const tokens = new Map<string, string>();
  const harness: TestGateway = {
    gateway,
    url: gateway.url,
    async token(sub, roles = ['trader']) {
      const key = `${sub}:${roles.join(',')}`;
      if (!tokens.has(key)) tokens.set(key, await signToken(SECRET, { sub, roles }, 3600));
      return tokens.get(key)!;
    },
    async call(method, path, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      const token = options.token === undefined ? await harness.token('alice') : options.token;
      if (token !== null) headers['authorization'] = `Bearer ${token}`;
      let body: string | undefined = options.raw;
      if (options.body !== undefined) body = JSON.stringify(options.body);
      if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
      const response = await fetch(`${gateway.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await response.text();
      let json: unknown = null;
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
      return { status: response.status, headers: response.headers, text, json };
    },
    async stop() {
      await gateway.stop();
      rmSync(dataDir, { recursive: true, force: true });
      if (pgSchema) await dropSchema(pgSchema);
    },
  };
  return harness;
}

/** Polls until `check` returns a value, for state that settles asynchronously (venue acks). */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
