/**
 * The OrderStore contract: one suite that every store adapter must pass, run by each adapter's
 * *.int.test.ts against a real database. An adapter's test supplies `makeStore`, which opens a
 * fresh, empty, not yet migrated database and returns a StoreFixture; each test gets its own.
 * The suite covers every port method, the conflicts, atomicity, the append-only audit trail
 * enforced by the database, and the verifier against a "malicious DBA" who drops the triggers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MakeStore, StoreFixture } from './contract/context.ts';
import { describeAccountsContract } from './contract/accounts.ts';
import { describeAuditContract } from './contract/audit.ts';
import { describeCredentialsContract } from './contract/credentials.ts';
import { describeExecutionContract } from './contract/execution.ts';
import { describeOrdersContract } from './contract/orders.ts';
import { describeOutboxContract } from './contract/outbox.ts';
import { describeStreamContract } from './contract/streams.ts';

export type { MakeStore, StoreFixture } from './contract/context.ts';

export function describeOrderStoreContract(name: string, makeStore: MakeStore): void {
  describe(`OrderStore contract: ${name}`, () => {
    describe('migrate', () => {
      let fixture: StoreFixture | undefined;
      afterEach(async () => {
        await fixture?.dispose();
        fixture = undefined;
      });

      it('given a fresh database, when migrated twice, then the second run changes nothing', async () => {
        fixture = await makeStore();
        await fixture.store.migrate();
        await fixture.store.migrate();
        await fixture.store.ping();
        expect(await fixture.store.auditHead()).toEqual({ seq: 0, hash: '0'.repeat(64) });
      });

      it('given two instances starting at once, when both migrate, then both succeed and the schema works', async () => {
        fixture = await makeStore();
        const other = await fixture.openAnother();
        await Promise.all([fixture.store.migrate(), other.migrate(), fixture.store.migrate()]);
        expect(await other.countOrdersByStatus()).toMatchObject({ pending: 0, filled: 0 });
      });
    });

    describeOrdersContract(makeStore);
    describeStreamContract(makeStore);
    describeOutboxContract(makeStore);
    describeAuditContract(makeStore);
    describeAccountsContract(makeStore);
    describeExecutionContract(makeStore);
    describeCredentialsContract(makeStore);
  });
}
