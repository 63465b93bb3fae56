/**
 * A gateway that can be stopped and started again on the same store (SQLite folder or
 * PostgreSQL schema), with a small authenticated client. For tests of what survives a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { signToken, type Role } from '../../src/http/auth.ts';
import { startGateway, type Gateway } from '../../src/main.ts';
import { dropSchema, freshSchemaName, POSTGRES_CREDENTIALS_KEY, POSTGRES_URL } from '../support/postgres.ts';
import { SECRET, type Reply, type StoreKind } from './harness.ts';

export interface Restartable {
  readonly gateway: Gateway;
  call(method: string, path: string, options?: { as?: string; roles?: Role[]; body?: unknown }): Promise<Reply>;
  restart(env?: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
  dispose(): Promise<void>;
}

export async function restartableGateway(store: StoreKind, env: Record<string, string>): Promise<Restartable> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ordergate-restart-'));
  const pgSchema = store === 'postgres' ? freshSchemaName() : undefined;
  const boot = (extra: Record<string, string> = {}) => startGateway(loadConfig({
    ...(store === 'postgres' ? { ORDERGATE_DATABASE_URL: POSTGRES_URL, ORDERGATE_CREDENTIALS_KEY: POSTGRES_CREDENTIALS_KEY } : {}),
    ORDERGATE_PORT: '0', ORDERGATE_DATA_DIR: dataDir, ORDERGATE_JWT_SECRET: SECRET, ORDERGATE_LOG_LEVEL: 'silent',
    ORDERGATE_SIM_TICK_MS: '0', ...env, ...extra,
  }), pgSchema ? { pgSchema } : {});
  let gateway: Gateway | null = await boot();
  const self: Restartable = {
    get gateway() {
      if (!gateway) throw new Error('the gateway is stopped');
      return gateway;
    },
    async call(method, path, options = {}) {
      const token = await signToken(SECRET, { sub: options.as ?? 'alice', roles: options.roles ?? ['trader'] }, 3600);
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${self.gateway.url}${path}`, {
        method, headers, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      });
      const text = await response.text();
      let json: unknown = null;
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
      return { status: response.status, headers: response.headers, text, json };
    },
    async restart(extra) {
      await self.stop();
      gateway = await boot(extra);
    },
    async stop() {
      await gateway?.stop();
      gateway = null;
    },
    async dispose() {
      await self.stop();
      rmSync(dataDir, { recursive: true, force: true });
      if (pgSchema) await dropSchema(pgSchema);
    },
  };
  return self;
}
