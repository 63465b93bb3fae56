/**
 * Reads a dialect's numbered migration files (`0001_init.sql`, `0002_….sql`). Numbers must run
 * 1, 2, 3 … with no gap or duplicate, so a missing or misnamed file stops the start instead of
 * being skipped. Applying them is the adapter's job (raw driver, one transaction per file).
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export function readMigrations(folder: URL): Migration[] {
  const migrations = readdirSync(folder)
    .flatMap((file) => {
      const match = FILE.exec(file);
      if (!match) return [];
      return [{ version: Number(match[1]), name: match[2] as string, sql: readFileSync(new URL(file, folder), 'utf8') }];
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`migrations in ${folder.pathname} must be numbered 1, 2, 3 …; found ${migration.version} at position ${index + 1}`);
    }
  });
  return migrations;
}

/** The migrations not yet applied, given the versions already recorded in schema_migrations. */
export const pendingMigrations = (all: readonly Migration[], applied: readonly number[]): Migration[] =>
  all.filter((migration) => !applied.includes(migration.version));
