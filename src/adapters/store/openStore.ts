/**
 * Chooses the store: PostgreSQL when a database URL is given, otherwise the embedded SQLite
 * file `ordergate.db` in the data folder (folder and file created if missing). Opening does not
 * migrate; the caller runs migrate() (main at start, or `npm run migrate`).
 */
import { join } from 'node:path';
import type { OrderStore } from '../../ports/store.ts';
import { openPostgresStore } from './postgres/postgresStore.ts';
import { openSqliteStore } from './sqlite/sqliteStore.ts';

export interface OpenStoreOptions {
  /** `postgres://…` or `postgresql://…`; unset means SQLite. */
  readonly databaseUrl?: string;
  readonly dataDir: string;
  /** PostgreSQL only: keep every table in this schema (tests give each run its own). */
  readonly pgSchema?: string;
  /** SQLite only: a file to use instead of `${dataDir}/ordergate.db`, e.g. ':memory:' in tests. */
  readonly sqliteFile?: string;
}

export async function openStore(options: OpenStoreOptions): Promise<OrderStore> {
  if (options.databaseUrl) {
    if (!/^postgres(ql)?:\/\//.test(options.databaseUrl)) {
      throw new Error('ORDERGATE_DATABASE_URL must start with postgres:// or postgresql://');
    }
    return openPostgresStore({
      connectionString: options.databaseUrl,
      ...(options.pgSchema ? { schema: options.pgSchema } : {}),
    });
  }
  return openSqliteStore({ file: options.sqliteFile ?? join(options.dataDir, 'ordergate.db') });
}

/** The store the command-line tools use: the same variables, and defaults, as the server. */
export function storeOptionsFromEnv(env: NodeJS.ProcessEnv): OpenStoreOptions {
  return {
    ...(env.ORDERGATE_DATABASE_URL ? { databaseUrl: env.ORDERGATE_DATABASE_URL } : {}),
    dataDir: env.ORDERGATE_DATA_DIR || './data',
  };
}

/** Where the store lives, for messages; never prints a password from the URL. */
export function describeStore(options: OpenStoreOptions): string {
  if (!options.databaseUrl) return `SQLite ${options.sqliteFile ?? join(options.dataDir, 'ordergate.db')}`;
  try {
    const url = new URL(options.databaseUrl);
    return `PostgreSQL ${url.hostname}:${url.port || '5432'}${url.pathname}`;
  } catch {
    return 'PostgreSQL (unparsable URL)';
  }
}
