/**
 * `npm run migrate`: applies the pending numbered migrations to the configured store
 * (ORDERGATE_DATABASE_URL, else SQLite in ORDERGATE_DATA_DIR) and prints one line.
 * Safe to run while other instances start: PostgreSQL migrations run under an advisory lock,
 * SQLite ones under the database write lock. Exit 0 done, 1 failed.
 */
import { describeStore, openStore, storeOptionsFromEnv } from '../adapters/store/openStore.ts';

const options = storeOptionsFromEnv(process.env);
const where = describeStore(options);
try {
  const store = await openStore(options);
  try {
    await store.migrate();
    console.log(`migrate: ${where} is up to date`);
  } finally {
    await store.close();
  }
} catch (error) {
  console.error(`migrate: failed on ${where}: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
