/**
 * `npm run bench:fanout -- --bus redis|nats|memory --instances 2 --subscribers 1000,10000`:
 * fill → WebSocket latency with subscribers spread over gateway instances that share
 * PostgreSQL and a bus, with the raw bus round trip measured first in the same run as the
 * baseline, and RSS per connection. Samples are measured after `--warmup` seconds (see
 * warmUp.ts), whose own samples are reported apart. Prints a table and writes the raw figures to
 * bench/results/fanout-<bus>-<instances>x-latest.json. Everything it starts or creates (the
 * gateways, their folders, the database, the NATS stream) is removed, also on failure.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { measureBusRoundTrip, type BusKind } from './busRoundTrip.ts';
import { measureFanout, type FanoutResult } from './fanout.ts';
import { cleanup, PROJECT_ROOT, temporaryDirectory } from './processes.ts';
import { machineFacts } from './report.ts';
import { describeStalls, measureStalls } from './stalls.ts';
import type { LatencySummary } from './stats.ts';

const DATABASE = 'ordergate_fanout_bench';
const DEFAULT_URLS: Record<BusKind, string> = { redis: 'redis://127.0.0.1:6379', nats: 'nats://127.0.0.1:4222' };
const GOAL_P99_MS = 5;

const log = (line: string) => process.stderr.write(`${line}\n`);

function options() {
  const { values } = parseArgs({
    options: {
      bus: { type: 'string', default: 'redis' },
      'bus-url': { type: 'string' },
      instances: { type: 'string', default: '2' },
      subscribers: { type: 'string', default: '1000,10000' },
      traders: { type: 'string', default: '100' },
      samples: { type: 'string', default: '300' },
      'bus-samples': { type: 'string', default: '1000' },
      'pace-ms': { type: 'string', default: '10' },
      warmup: { type: 'string', default: '20' },
      'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    },
  });
  const whole = (name: string, text: string, min: number) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be a whole number ≥ ${min}; got "${text}"`);
    return value;
  };
  const bus = values.bus;
  if (bus !== 'redis' && bus !== 'nats' && bus !== 'memory') throw new Error(`--bus must be redis, nats or memory; got "${bus}"`);
  const instances = whole('instances', values.instances, 1);
  if (bus === 'memory' && instances > 1) throw new Error('--bus memory carries events within one process only: use --instances 1');
  return {
    bus: bus as BusKind | 'memory',
    busUrl: bus === 'memory' ? null : (values['bus-url'] ?? DEFAULT_URLS[bus]),
    instances,
    subscribers: values.subscribers.split(',').map((n) => whole('subscribers', n.trim(), 1)),
    traders: whole('traders', values.traders, 1),
    samples: whole('samples', values.samples, 1),
    busSamples: whole('bus-samples', values['bus-samples'], 1),
    paceMs: whole('pace-ms', values['pace-ms'], 0),
    warmupSeconds: whole('warmup', values.warmup, 0),
    pgUrl: values['pg-url'],
  };
}

async function recreateDatabase(adminUrl: string, create: boolean): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    if (create) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${DATABASE}`;
  return url.toString();
}

const ms = (summary: LatencySummary | null) => (summary ? `${summary.p50.toFixed(2)} / ${summary.p99.toFixed(2)}` : '—');

function table(bus: string, instances: number, baseline: LatencySummary | null, runs: FanoutResult[]): string {
  const lines = [
    `fill → WebSocket over ${bus}, ${instances} instance(s); latencies in ms as p50 / p99, measured after ${runs[0]?.warmupSeconds ?? 0} s of warm-up`,
    baseline ? `baseline: raw ${bus} round trip ${ms(baseline)} (max ${baseline.max.toFixed(2)})` : 'baseline: none (in-process bus)',
    '',
    'subscribers | KiB/conn | local from execution | remote from execution | local from request | remote from request | last socket from request | goal p99 ≤ 5 ms (remote, or local on 1 instance) | during the warm-up (remote, or local, from execution)',
  ];
  for (const run of runs) {
    const judged = run.remoteFromExecutionMs ?? run.localFromExecutionMs;
    const verdict = run.subscribers <= 1000 ? (judged.p99 <= GOAL_P99_MS ? 'met' : 'MISSED') : 'n/a';
    lines.push([run.subscribers, run.kiBPerConnection.toFixed(1), ms(run.localFromExecutionMs), ms(run.remoteFromExecutionMs),
      ms(run.localFromRequestMs), ms(run.remoteFromRequestMs), ms(run.lastFromRequestMs), verdict, ms(run.coldFromExecutionMs)].join(' | '));
  }
  return lines.join('\n');
}

const cleanupSteps: Array<() => Promise<void>> = [];

/** The stream the gateways made for this run's namespace. */
async function deleteNatsStream(url: string, stream: string): Promise<void> {
  const connection = await connect({ servers: url.replace(/^nats:\/\//, '') });
  try {
    await (await jetstreamManager(connection)).streams.delete(stream).catch(() => false);
  } finally {
    await connection.close();
  }
}

async function main(): Promise<void> {
  const opts = options();
  const jwtSecret = randomBytes(32).toString('base64url');
  const namespace = `bench_${randomBytes(4).toString('hex')}`;
  if (opts.bus === 'nats') cleanupSteps.push(() => deleteNatsStream(opts.busUrl!, `${namespace}_events`));
  log('baseline: the machine\'s scheduling stalls');
  const stalls = measureStalls(10);
  log(`  ${describeStalls(stalls)}`);
  let baseline: LatencySummary | null = null;
  if (opts.bus !== 'memory') {
    log(`baseline: raw ${opts.bus} round trip, ${opts.busSamples} samples`);
    baseline = await measureBusRoundTrip({
      bus: opts.bus, url: opts.busUrl!, namespace, samples: opts.busSamples, warmupSamples: 50, paceMs: 1, payloadBytes: 350,
    });
    log(`  p50 ${baseline.p50.toFixed(3)} ms, p99 ${baseline.p99.toFixed(3)} ms`);
  }
  const runs: FanoutResult[] = [];
  for (const subscribers of opts.subscribers) {
    log(`fill → WebSocket with ${subscribers} subscribers over ${opts.instances} instance(s) (${opts.bus})`);
    const databaseUrl = await recreateDatabase(opts.pgUrl, true);
    try {
      const env = { ORDERGATE_BUS_URL: opts.busUrl ?? '', ORDERGATE_BUS_NAMESPACE: namespace };
      const dataDirs = Array.from({ length: opts.instances }, () => temporaryDirectory('ordergate-fanout-'));
      runs.push(await measureFanout(
        { instances: opts.instances, subscribers, traders: opts.traders, samples: opts.samples, warmupSeconds: opts.warmupSeconds, paceMs: opts.paceMs },
        (instance) => ({ dataDir: dataDirs[instance]!, databaseUrl, jwtSecret, env }),
        log,
      ));
    } finally {
      await recreateDatabase(opts.pgUrl, false);
    }
  }
  console.log(table(opts.bus, opts.instances, baseline, runs));
  console.log(`baseline: ${describeStalls(stalls)}`);
  const resultsDir = join(PROJECT_ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `fanout-${opts.bus}-${opts.instances}x-latest.json`);
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), machine: machineFacts(resultsDir), options: opts, stalls, busRoundTripMs: baseline, runs }, null, 2)}\n`);
  console.log(`\nraw figures: ${file}`);
}

async function cleanupAll(): Promise<void> {
  for (const step of cleanupSteps.splice(0)) await step().catch((error) => log(`bench: cleanup failed: ${String(error)}`));
  await cleanup();
}

main().then(
  async () => {
    await cleanupAll();
    process.exit(0);
  },
  async (error: unknown) => {
    log(`bench FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    await cleanupAll();
    process.exit(1);
  },
);
