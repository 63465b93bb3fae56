/**
 * Access to the real PostgreSQL server for tests. When it cannot be reached the tests that
 * need it skip with a loud line, except under CI=true, where they must run: a missing server
 * fails CI rather than passing silently.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';

export const POSTGRES_URL = process.env.ORDERGATE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** ORDERGATE_CREDENTIALS_KEY for gateways on the test server, which require one on PostgreSQL (config.ts); it seals no real secret. */
export const POSTGRES_CREDENTIALS_KEY = Buffer.from('ordergate-test-credentials-key!!').toString('base64');

export async function postgresUnreachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return error instanceof Error ? error.message || error.name : String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The stores a suite should run on: SQLite always, PostgreSQL when reachable (always under CI). */
export async function storesToTest(suite: string): Promise<Array<'sqlite' | 'postgres'>> {
  const why = await postgresUnreachable();
  if (why === null) return ['sqlite', 'postgres'];
  if (process.env.CI === 'true') {
    throw new Error(`${suite}: PostgreSQL at ${POSTGRES_URL} is unreachable (${why}) and CI=true requires it`);
  }
  console.warn(`\n!!! ${suite}: SKIPPING the PostgreSQL run: ${POSTGRES_URL} is unreachable (${why}). Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n`);
  return ['sqlite'];
}

export const freshSchemaName = () => `og_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
