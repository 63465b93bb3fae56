/**
 * The machine's own scheduling noise, a baseline for the latency figures. A process that only
 * reads the clock in a loop, on an otherwise idle machine, records every gap between two
 * consecutive reads: a moment its thread was not running because the kernel, another program
 * or the hypervisor had its core. A fill's path crosses several threads and processes (the
 * gateway's event loop and commit thread, the store, the bench client), and each is exposed to
 * stalls like these: a p99 of a few milliseconds cannot hide stalls of a few milliseconds.
 */
import { execFileSync } from 'node:child_process';

export interface StallBaseline {
  readonly seconds: number;
  /** Gaps longer than 0.5 ms and 1 ms between two clock reads. */
  readonly over500us: number;
  readonly over1ms: number;
  readonly longestMs: number;
  /** Share of the time the thread was stalled for more than 0.5 ms at a time. */
  readonly stalledPercent: number;
}

const PROBE = `
const seconds = Number(process.argv[1]);
const end = performance.now() + seconds * 1000;
let last = performance.now();
const gaps = [];
while (last < end) {
  const now = performance.now();
  if (now - last > 0.5) gaps.push(now - last);
  last = now;
}
process.stdout.write(JSON.stringify(gaps));
`;

export function measureStalls(seconds: number): StallBaseline {
  const output = execFileSync(process.execPath, ['-e', PROBE, String(seconds)], { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  const gaps = JSON.parse(output) as number[];
  return summarizeStalls(seconds, gaps);
}

export function summarizeStalls(seconds: number, gaps: readonly number[]): StallBaseline {
  const stalled = gaps.filter((gap) => gap > 0.5);
  return {
    seconds,
    over500us: stalled.length,
    over1ms: stalled.filter((gap) => gap > 1).length,
    longestMs: stalled.reduce((longest, gap) => Math.max(longest, gap), 0),
    stalledPercent: (100 * stalled.reduce((sum, gap) => sum + gap, 0)) / (seconds * 1000),
  };
}

export function describeStalls(stalls: StallBaseline): string {
  return `a lone busy thread on this machine was stalled ${stalls.over1ms} times for over 1 ms in ${stalls.seconds} s ` +
    `(${stalls.over500us} over 0.5 ms, longest ${stalls.longestMs.toFixed(1)} ms, ${stalls.stalledPercent.toFixed(2)} % of the time)`;
}
