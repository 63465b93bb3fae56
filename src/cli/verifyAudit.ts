/**
 * `npm run verify-audit`: checks the audit trail's hash chain in the configured store
 * (ORDERGATE_DATABASE_URL, else SQLite in ORDERGATE_DATA_DIR) and prints a one-line verdict.
 * Exit 0: the chain verifies. 1: it is broken (the line names the first broken row).
 * 2: it could not be checked (store unreachable, not migrated).
 */
import { describeStore, openStore, storeOptionsFromEnv } from '../adapters/store/openStore.ts';
import { verifyAuditChain } from '../adapters/store/verifyAuditChain.ts';

const options = storeOptionsFromEnv(process.env);
const where = describeStore(options);
try {
  const store = await openStore(options);
  try {
    const verdict = await verifyAuditChain(store);
    if (verdict.ok) {
      console.log(`audit chain OK: ${verdict.rows} rows verified (${where})`);
    } else {
      const row = verdict.id === null ? `seq ${verdict.seq}` : `seq ${verdict.seq} (id ${verdict.id})`;
      console.log(`audit chain BROKEN at ${row}: ${verdict.problem} (${where})`);
      process.exitCode = 1;
    }
  } finally {
    await store.close();
  }
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  const hint = /no such table|does not exist/.test(message) ? ' (is the store migrated? npm run migrate)' : '';
  console.error(`audit chain NOT VERIFIED: ${message}${hint} (${where})`);
  process.exitCode = 2;
}
