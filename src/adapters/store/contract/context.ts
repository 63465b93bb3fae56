/**
 * What every contract section shares: the fixture an adapter's test supplies, and the per-test
 * lifecycle (a fresh database, migrated before and disposed after each test).
 */
import { afterEach, beforeEach } from 'vitest';
import type { OrderStore } from '../../../ports/store.ts';

export interface StoreFixture {
  /** A store on a fresh, empty database; not yet migrated. */
  readonly store: OrderStore;
  /** Another store on the same database, as a second gateway instance would open it. */
  openAnother(): Promise<OrderStore>;
  /** Runs SQL on its own connection as the database owner, outside the store (the DBA's console). */
  sql(text: string): Promise<void>;
  /** Closes every store and connection and removes the database. */
  dispose(): Promise<void>;
}

export type MakeStore = () => Promise<StoreFixture>;

/** What a contract section sees: the current test's fixture, migrated. */
export interface ContractContext {
  readonly fixture: StoreFixture;
  readonly store: OrderStore;
}

/** Registers per-test setup in the calling describe and returns live accessors to it. */
export function useMigratedStore(makeStore: MakeStore): ContractContext {
  let current: StoreFixture | undefined;
  beforeEach(async () => {
    current = await makeStore();
    await current.store.migrate();
  });
  afterEach(async () => {
    await current?.dispose();
    current = undefined;
  });
  const fixture = () => {
    if (!current) throw new Error('the contract fixture is used outside a test');
    return current;
  };
  return {
    get fixture() {
      return fixture();
    },
    get store() {
      return fixture().store;
    },
  };
}
