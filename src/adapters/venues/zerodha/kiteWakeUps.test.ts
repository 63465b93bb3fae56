/** Reads woken by postbacks: coalesced per order, one at a time, paced on the clock, retried a bounded number of times. */
import { describe, expect, it } from 'vitest';
import { capturingLogger } from '../broker/brokerFixtures.ts';
import { ManualTime } from '../sim/manualTime.ts';
import { WakeUps } from './kiteWakeUps.ts';

const SPACING_MS = 500;

/** WakeUps over a read that the test answers by hand, recording which reads ran and how many at once. */
function rig(limits: { attempts?: number; capacity?: number } = {}) {
  const time = new ManualTime();
  const logLines: string[] = [];
  const reads: string[] = [];
  const pending: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  let inFlight = 0;
  let mostInFlight = 0;
  let closed = false;
  const wakeUps = new WakeUps((orderId) => {
    reads.push(orderId);
    mostInFlight = Math.max(mostInFlight, ++inFlight);
    return new Promise<void>((resolve, reject) => pending.push({ resolve, reject })).finally(() => inFlight--);
  }, time.schedule, { spacingMs: SPACING_MS, attempts: limits.attempts ?? 3, capacity: limits.capacity ?? 100 }, () => closed,
  { logger: capturingLogger(logLines), venue: 'kite' });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return {
    time, wakeUps, reads, logLines, settle,
    mostInFlight: () => mostInFlight,
    async answer(outcome: 'ok' | Error = 'ok') {
      const read = pending.shift()!;
      if (outcome === 'ok') read.resolve();
      else read.reject(outcome);
      await settle();
    },
    close() {
      closed = true;
      wakeUps.stop();
    },
  };
}

describe('WakeUps', () => {
  it('given a flood of wake-ups for one order, then it is read once now and once more after the read, one at a time', async () => {
    const r = rig();
    for (let i = 0; i < 1_000; i++) r.wakeUps.wake('A');
    expect(r.reads).toEqual(['A']);
    await r.answer();
    r.time.advance(SPACING_MS - 1);
    await r.settle();
    expect(r.reads).toEqual(['A']);
    r.time.advance(1);
    await r.settle();
    expect(r.reads).toEqual(['A', 'A']);
    await r.answer();
    r.time.advance(SPACING_MS * 10);
    await r.settle();
    expect(r.reads).toEqual(['A', 'A']);
    expect(r.mostInFlight()).toBe(1);
  });

  it('given wake-ups that keep coming after each read ends, then reads still start at least the spacing apart', async () => {
    const r = rig();
    r.wakeUps.wake('A');
    await r.answer();
    r.wakeUps.wake('B');
    r.wakeUps.wake('A');
    expect(r.reads).toEqual(['A']);
    r.time.advance(SPACING_MS);
    await r.settle();
    expect(r.reads).toEqual(['A', 'B']);
    await r.answer();
    r.time.advance(SPACING_MS);
    await r.settle();
    expect(r.reads).toEqual(['A', 'B', 'A']);
  });

  it('given a read that fails, then it is queued again up to the attempts, and then given up with a line naming the order', async () => {
    const r = rig({ attempts: 2 });
    r.wakeUps.wake('A');
    await r.answer(new Error('Kite 503'));
    r.time.advance(SPACING_MS);
    await r.settle();
    expect(r.reads).toEqual(['A', 'A']);
    await r.answer(new Error('Kite 503'));
    r.time.advance(SPACING_MS * 10);
    await r.settle();
    expect(r.reads).toEqual(['A', 'A']);
    expect(r.logLines.map((line) => JSON.parse(line) as { level: string; kiteOrderId: string })).toMatchObject([
      { level: 'warn', kiteOrderId: 'A' }, { level: 'error', kiteOrderId: 'A' },
    ]);
  });

  it('given more orders waiting than the capacity, then further wake-ups are dropped with one line', async () => {
    const r = rig({ capacity: 2 });
    r.wakeUps.wake('A');
    for (const orderId of ['B', 'C', 'D', 'E']) r.wakeUps.wake(orderId);
    await r.answer();
    for (let i = 0; i < 3; i++) {
      r.time.advance(SPACING_MS);
      await r.settle();
      if (r.reads.length > i + 1) await r.answer();
    }
    expect(r.reads).toEqual(['A', 'B', 'C']);
    expect(r.logLines.filter((line) => line.includes('dropped'))).toHaveLength(1);
  });

  it('given the venue closing, then what waits is forgotten and nothing more is read', async () => {
    const r = rig();
    r.wakeUps.wake('A');
    r.wakeUps.wake('B');
    await r.answer();
    r.close();
    r.wakeUps.wake('C');
    r.time.advance(SPACING_MS * 10);
    await r.settle();
    expect(r.reads).toEqual(['A']);
  });
});
