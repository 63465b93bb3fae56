/**
 * VenueSupervisor over fake adapters that log what happens to them, in order: which change
 * gets a new adapter, that the new one is started and in service before the old one closes,
 * and that a change that cannot run leaves the running adapter alone.
 */
import { describe, expect, it } from 'vitest';
import type { VenueConfig } from '../../ports/execution.ts';
import { silentLogger } from '../../ports/telemetry.ts';
import type { Venue } from '../../ports/venue.ts';
import { VenueSupervisor, type VenueSource } from './venueSupervisor.ts';

const config = (name: string, settings: Record<string, unknown> = {}, active = true, kind = 'alpaca'): VenueConfig =>
  ({ name, kind, settings, active, updatedAt: new Date('2026-12-01T00:00:00Z') });

function harness() {
  const events: string[] = [];
  let sources: VenueSource[] = [];
  let builds = 0;
  let refuse: ((c: VenueConfig) => 'build' | 'start' | 'unhealthy' | null) = () => null;
  const adapter = (c: VenueConfig, id: string): Venue => ({
    name: c.name,
    start: async () => {
      if (refuse(c) === 'start') throw new Error('no session');
      events.push(`start ${id}`);
    },
    close: async () => void events.push(`close ${id}`),
    submit: async () => ({ outcome: 'accepted', venueOrderId: 'V' }),
    cancel: async () => ({ outcome: 'requested' }),
    lookup: async () => null,
    onExecutionReport: () => () => {},
    healthy: () => refuse(c) !== 'unhealthy',
  });
  const supervisor = new VenueSupervisor({
    list: async () => sources,
    build: async (c) => {
      builds += 1;
      events.push(`build ${c.name}#${builds}`);
      if (refuse(c) === 'build') return null;
      return adapter(c, `${c.name}#${builds}`);
    },
    attach: (venue) => {
      events.push(`attach ${venue.name}`);
      return () => void events.push(`finish ${venue.name}`);
    },
    log: silentLogger,
    schedule: () => () => {},
    refreshMs: 5_000,
    fixed: ['sim'],
    exclusive: (c) => c.kind === 'fix',
  });
  return {
    supervisor, events, adapter,
    set: (next: VenueSource[]) => void (sources = next),
    refuseWith: (rule: (c: VenueConfig) => 'build' | 'start' | 'unhealthy' | null) => void (refuse = rule),
    builds: () => builds,
  };
}

describe('VenueSupervisor', () => {
  it('given a venue configured while the gateway runs, then its adapter is started, then put in service; an unchanged one is left alone', async () => {
    const h = harness();
    h.set([{ config: config('paper'), credentialsVersion: 'c1' }]);
    await h.supervisor.sync();
    expect(h.events).toEqual(['build paper#1', 'start paper#1', 'attach paper', 'finish paper']);
    await h.supervisor.sync();
    expect(h.builds()).toBe(1);
  });

  it('given new credentials or settings, then a new adapter is started and in service before the old one closes, and its listener goes last', async () => {
    const h = harness();
    const started = h.adapter(config('paper'), 'paper#boot');
    h.supervisor.adopt([{ config: config('paper'), credentialsVersion: 'c1' }], [started]);
    h.set([{ config: config('paper'), credentialsVersion: 'c2' }]);
    await h.supervisor.sync();
    expect(h.events).toEqual(['build paper#1', 'start paper#1', 'attach paper', 'close paper#boot', 'finish paper']);
    h.set([{ config: config('paper', { baseUrl: 'https://elsewhere.example' }), credentialsVersion: 'c2' }]);
    await h.supervisor.sync();
    expect(h.events.slice(5)).toEqual(['build paper#2', 'start paper#2', 'attach paper', 'close paper#1', 'finish paper']);
  });

  it('given only the active flag changed, then no adapter is started or stopped: routing alone follows it', async () => {
    const h = harness();
    h.supervisor.adopt([{ config: config('paper'), credentialsVersion: 'c1' }], [h.adapter(config('paper'), 'paper#boot')]);
    h.set([{ config: config('paper', {}, false), credentialsVersion: 'c1' }]);
    await h.supervisor.sync();
    expect(h.events).toEqual([]);
  });

  it('given a change that cannot be built or started, then the running adapter is kept, and the same change is not tried again', async () => {
    const h = harness();
    h.supervisor.adopt([{ config: config('paper'), credentialsVersion: 'c1' }], [h.adapter(config('paper'), 'paper#boot')]);
    h.refuseWith(() => 'build');
    h.set([{ config: config('paper'), credentialsVersion: null }]);
    await h.supervisor.sync();
    await h.supervisor.sync();
    expect(h.builds()).toBe(1);
    h.refuseWith(() => 'start');
    h.set([{ config: config('paper'), credentialsVersion: 'c2' }]);
    await h.supervisor.sync();
    h.refuseWith(() => 'unhealthy');
    h.set([{ config: config('paper'), credentialsVersion: 'c3' }]);
    await h.supervisor.sync();
    expect(h.events).toEqual(['build paper#1', 'build paper#2', 'close paper#2', 'build paper#3', 'start paper#3', 'close paper#3']);
    h.refuseWith(() => null);
    h.set([{ config: config('paper'), credentialsVersion: 'c4' }]);
    await h.supervisor.sync();
    expect(h.events.slice(6)).toEqual(['build paper#4', 'start paper#4', 'attach paper', 'close paper#boot', 'finish paper']);
  });

  it('given a venue that failed to build at start, then it is built once its configuration or credentials change', async () => {
    const h = harness();
    h.supervisor.adopt([{ config: config('paper'), credentialsVersion: null }], []);
    h.set([{ config: config('paper'), credentialsVersion: null }]);
    await h.supervisor.sync();
    expect(h.builds()).toBe(0);
    h.set([{ config: config('paper'), credentialsVersion: 'c1' }]);
    await h.supervisor.sync();
    expect(h.events).toEqual(['build paper#1', 'start paper#1', 'attach paper', 'finish paper']);
  });

  it('given a FIX venue (two adapters must never run at once), then the old adapter closes before the new one is built; one that cannot run brings the old configuration back', async () => {
    const h = harness();
    const fix = (host: string) => config('fix', { host }, true, 'fix');
    h.supervisor.adopt([{ config: fix('a.example'), credentialsVersion: null }], [h.adapter(fix('a.example'), 'fix#boot')]);
    h.set([{ config: fix('b.example'), credentialsVersion: null }]);
    await h.supervisor.sync();
    expect(h.events).toEqual(['close fix#boot', 'build fix#1', 'start fix#1', 'attach fix', 'finish fix']);
    h.refuseWith((c) => (c.settings.host === 'c.example' ? 'unhealthy' : null));
    h.set([{ config: fix('c.example'), credentialsVersion: null }]);
    await h.supervisor.sync();
    expect(h.events.slice(5)).toEqual(['close fix#1', 'build fix#2', 'start fix#2', 'close fix#2', 'build fix#3', 'start fix#3', 'attach fix', 'finish fix']);
    await h.supervisor.sync();
    expect(h.builds()).toBe(3);
  });

  it('never rebuilds a fixed venue (the built-in sim), and runs passes one after the other', async () => {
    const h = harness();
    h.set([{ config: config('sim', { seed: 9 }, true, 'sim'), credentialsVersion: null }, { config: config('paper'), credentialsVersion: 'c1' }]);
    await Promise.all([h.supervisor.sync(), h.supervisor.sync(), h.supervisor.sync()]);
    expect(h.builds()).toBe(1);
    expect(h.events).toEqual(['build paper#1', 'start paper#1', 'attach paper', 'finish paper']);
    await h.supervisor.close();
    expect(h.events.at(-1)).toBe('close paper#1');
  });
});
