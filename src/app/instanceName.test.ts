/**
 * InstanceNameHold over the SQLite store on a hand-moved clock: a name left by a crashed run is
 * taken once it goes stale, a name a live process keeps marking seen is refused, and a holder
 * whose name was taken while it was paused is told.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../adapters/store/openStore.ts';
import { ManualTime } from '../adapters/venues/sim/manualTime.ts';
import type { OrderStore } from '../ports/store.ts';
import { silentLogger } from '../ports/telemetry.ts';
import { InstanceNameHold, InstanceNameInUse } from './instanceName.ts';

const settle = async () => {
  for (let i = 0; i < 10; i += 1) await new Promise((resolve) => setImmediate(resolve));
};

describe('InstanceNameHold', () => {
  let store: OrderStore;
  let time: ManualTime;
  beforeEach(async () => {
    store = await openStore({ dataDir: '.', sqliteFile: ':memory:' });
    await store.migrate();
    time = new ManualTime();
  });
  afterEach(async () => store.close());

  const claim = (token: string, onLost: () => void = () => {}) =>
    InstanceNameHold.claim(store.execution, 'gw-a', token, time, time.schedule, silentLogger, onLost, { staleMs: 6_000, heartbeatMs: 2_000 });

  /** Runs the clock until `promise` settles (or `ms` pass), letting the store answer between steps. */
  const runUntil = async <T>(promise: Promise<T>, ms: number): Promise<{ value?: T; error?: unknown }> => {
    let outcome: { value?: T; error?: unknown } | null = null;
    promise.then((value) => void (outcome = { value }), (error: unknown) => void (outcome = { error }));
    for (let passed = 0; passed <= ms && outcome === null; passed += 100) {
      await settle();
      time.advance(100);
    }
    await settle();
    if (outcome === null) throw new Error(`still waiting after ${ms} ms`);
    return outcome;
  };

  it('given a name left by a run that crashed, then a start waits until it goes stale and takes it', async () => {
    await store.execution.claimInstanceName({ name: 'gw-a', token: 'crashed', now: time.now(), staleBefore: new Date(0) });
    const started = time.now().getTime();
    const { value } = await runUntil(claim('restart'), 10_000);
    expect(value).toBeInstanceOf(InstanceNameHold);
    expect(time.now().getTime() - started).toBeGreaterThanOrEqual(6_000);
    await value!.release();
  });

  it('given a live process holding the name, then a second start is refused, naming the variable', async () => {
    const live = await claim('first');
    const { error } = await runUntil(claim('second'), 20_000);
    expect(error).toBeInstanceOf(InstanceNameInUse);
    expect((error as Error).message).toMatch(/^ORDERGATE_INSTANCE_ID=gw-a is in use by another running gateway instance/);
    await live.release();
    const { value } = await runUntil(claim('second'), 1_000);
    expect(value).toBeInstanceOf(InstanceNameHold);
    await value!.release();
  });

  it('given a holder whose name another process took while it was paused, then it is told once', async () => {
    let lost = 0;
    const hold = await claim('paused', () => (lost += 1));
    await store.execution.claimInstanceName({ name: 'gw-a', token: 'newcomer', now: time.now(), staleBefore: new Date(time.now().getTime() + 1) });
    for (let i = 0; i < 30; i += 1) {
      time.advance(500);
      await settle();
    }
    expect(lost).toBe(1);
    await hold.release();
    expect(await store.execution.claimInstanceName({ name: 'gw-a', token: 'x', now: time.now(), staleBefore: new Date(0) })).toMatchObject({ token: 'newcomer' });
  });
});
