/** The listener side of a connector: every listener hears each report, "restored" only after a break, start waits bounded. */
import { describe, expect, it } from 'vitest';
import { D } from '../../../domain/money.ts';
import type { ExecutionReport } from '../../../ports/venue.ts';
import { ManualTime } from '../sim/manualTime.ts';
import { ReportChannel } from './reportChannel.ts';

const ack: ExecutionReport = { kind: 'ack', clientOrderId: 'o-1', venueOrderId: 'v-1', at: new Date('2026-01-05T14:30:00Z') };

describe('ReportChannel', () => {
  it('given a listener that throws, then the others still hear the report, and the error still surfaces', async () => {
    const channel = new ReportChannel();
    const heard: string[] = [];
    const surfaced: unknown[] = [];
    const onError = (error: unknown) => surfaced.push(error);
    process.on('uncaughtException', onError);
    try {
      channel.onExecutionReport(() => {
        throw new Error('listener bug');
      });
      const stop = channel.onExecutionReport((report) => heard.push(report.clientOrderId));
      channel.deliver(ack);
      stop();
      channel.deliver({ ...ack, kind: 'fill', venueFillId: 'f', quantity: new D(1), price: new D(1), commission: new D(0) } as ExecutionReport);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('uncaughtException', onError);
    }
    expect(heard).toEqual(['o-1']);
    expect(surfaced).toHaveLength(2);
  });

  it('given the stream goes live three times, then "restored" is heard twice: never for the first', () => {
    const channel = new ReportChannel();
    let restored = 0;
    channel.onStreamRestored(() => restored++);
    channel.streamLive();
    expect(restored).toBe(0);
    channel.streamLive();
    channel.streamLive();
    expect(restored).toBe(2);
  });

  it('given a start wait, then it ends when the stream goes live, or at its bound on the clock', async () => {
    const time = new ManualTime();
    const channel = new ReportChannel();
    let began = 0;
    const live = channel.waitForStart(time.schedule, 1_000, () => began++);
    channel.streamLive();
    await live;
    expect(began).toBe(1);
    let done = false;
    const bounded = channel.waitForStart(time.schedule, 1_000, () => {}).then(() => {
      done = true;
    });
    time.advance(999);
    await Promise.resolve();
    expect(done).toBe(false);
    time.advance(1);
    await bounded;
    expect(done).toBe(true);
  });
});
