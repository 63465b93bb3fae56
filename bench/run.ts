/**
 * `npm run bench [-- --store sqlite|postgres --duration 10 …]`: the gateway's durable intake,
 * its baselines (bare node:http, a raw commit loop on the same store) and fill → WebSocket
 * latency under 1,000 subscribers, in one run on this machine. Prints a table and writes the
 * raw figures to bench/results/<store>-latest.json. Whatever happens (a failed goal is not a
 * failure, a non-2xx answer is), every process, folder and database it made is removed.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measureCommitLoops } from './baselines.ts';
import type { NoisePolicy } from './cpu.ts';
import { measureBareIntake, measureGatewayIntake, type LoadPlan } from './intake.ts';
import {
  cleanup, freshPostgresDatabase, postgresSettings, PROJECT_ROOT, temporaryDirectory,
  type GatewayOptions,
} from './processes.ts';
import { forFile, machineFacts, renderTable, sourceFacts, type Results } from './report.ts';
import { measureRiskCost } from './riskCost.ts';
import { describeStalls, measureStalls } from './stalls.ts';
import { measureFillLatency } from './websocketLatency.ts';

const PHASES = ['intake', 'bare', 'commit', 'websocket', 'risk'] as const;
type Phase = (typeof PHASES)[number];

const USAGE = `usage: npm run bench -- [options]
  --store sqlite|postgres    the gateway's store (default sqlite)
  --duration S               seconds per measured load run (default 10)
  --warmup S                 seconds of unmeasured load before each run (default 3)
  --connections 1,16,64      autocannon connection counts
  --traders N                traders the intake requests rotate over (default 16)
  --commit-seconds S         length of each raw commit loop (default 5)
  --subscribers N            WebSocket subscribers (default 1000)
  --ws-traders N             traders the subscribers are spread over (default 100)
  --samples N                fill → WebSocket samples (default 300)
  --pace-ms MS               pause between samples (default 10)
  --ws-warmup S              seconds of unmeasured fill samples first, reported apart (default 20)
  --phases a,b               any of ${PHASES.join(',')} (default all)
  --pg-url URL               an existing PostgreSQL database to administer from (default postgres://postgres@127.0.0.1:5432/test)
  --cpu-prof                 write a V8 CPU profile of each intake gateway to bench/results/profiles/
  --max-noise P              CPU % of one core other programs may use during a measurement (default 15)
  --attempts N               measure at most N times while other programs exceed it (default 3)
  --quiet-wait S             wait up to S seconds for a quiet machine before each measurement (default 30)`;

function options() {
  const { values } = parseArgs({
    options: {
      store: { type: 'string', default: 'sqlite' },
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '3' },
      'ws-warmup': { type: 'string', default: '20' },
      connections: { type: 'string', default: '1,16,64' },
      traders: { type: 'string', default: '16' },
      'commit-seconds': { type: 'string', default: '5' },
      subscribers: { type: 'string', default: '1000' },
      'ws-traders': { type: 'string', default: '100' },
      samples: { type: 'string', default: '300' },
      'pace-ms': { type: 'string', default: '10' },
      phases: { type: 'string', default: PHASES.join(',') },
      'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
      'cpu-prof': { type: 'boolean', default: false },
      'max-noise': { type: 'string', default: '15' },
      attempts: { type: 'string', default: '3' },
      'quiet-wait': { type: 'string', default: '30' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const positive = (name: string, text: string, allowZero = false) => {
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) throw new UsageError(`--${name} must be a positive number; got "${text}"`);
    return value;
  };
  if (values.store !== 'sqlite' && values.store !== 'postgres') throw new UsageError(`--store must be sqlite or postgres; got "${values.store}"`);
  const phases = values.phases.split(',').map((p) => p.trim());
  const unknown = phases.filter((p) => !(PHASES as readonly string[]).includes(p));
  if (unknown.length > 0) throw new UsageError(`--phases: unknown ${unknown.join(', ')}; choose from ${PHASES.join(', ')}`);
  return {
    store: values.store as 'sqlite' | 'postgres',
    duration: positive('duration', values.duration),
    warmup: positive('warmup', values.warmup, true),
    wsWarmup: positive('ws-warmup', values['ws-warmup'], true),
    connections: values.connections.split(',').map((c) => Math.trunc(positive('connections', c))),
    traders: Math.trunc(positive('traders', values.traders)),
    commitSeconds: positive('commit-seconds', values['commit-seconds']),
    subscribers: Math.trunc(positive('subscribers', values.subscribers)),
    wsTraders: Math.trunc(positive('ws-traders', values['ws-traders'])),
    samples: Math.trunc(positive('samples', values.samples)),
    paceMs: positive('pace-ms', values['pace-ms'], true),
    phases: new Set(phases as Phase[]),
    pgUrl: values['pg-url'],
    cpuProf: values['cpu-prof'],
    noise: {
      maxOthersPercent: positive('max-noise', values['max-noise']),
      attempts: Math.trunc(positive('attempts', values.attempts)),
      quietWaitSeconds: positive('quiet-wait', values['quiet-wait'], true),
    } satisfies NoisePolicy,
  };
}

class UsageError extends Error {}

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const opts = options();
  const jwtSecret = randomBytes(32).toString('base64url');
  const scratch = temporaryDirectory('ordergate-bench-');
  const resultsDir = join(PROJECT_ROOT, 'bench', 'results');
  const profileDir = join(resultsDir, 'profiles');
  if (opts.cpuProf) mkdirSync(profileDir, { recursive: true });

  let databaseUrl: string | null = null;
  let storeSettings: Record<string, string> = { journal_mode: 'wal', synchronous: 'full' };
  if (opts.store === 'postgres') {
    databaseUrl = await freshPostgresDatabase(opts.pgUrl);
    storeSettings = await postgresSettings(databaseUrl);
  }

  /** A fresh data folder and, on PostgreSQL, a recreated database for each gateway. */
  const prepare = async (): Promise<GatewayOptions> => ({
    dataDir: temporaryDirectory('ordergate-bench-data-'),
    databaseUrl: databaseUrl === null ? null : await freshPostgresDatabase(opts.pgUrl),
    jwtSecret,
    nodeArgs: opts.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  });

  const results: Results = {
    date: new Date().toISOString(),
    store: opts.store,
    machine: machineFacts(scratch),
    source: sourceFacts(PROJECT_ROOT),
    storeSettings,
    options: {
      duration: opts.duration, warmup: opts.warmup, connections: opts.connections, traders: opts.traders,
      commitSeconds: opts.commitSeconds, subscribers: opts.subscribers, wsTraders: opts.wsTraders,
      samples: opts.samples, wsWarmup: opts.wsWarmup, paceMs: opts.paceMs, phases: [...opts.phases], noise: opts.noise,
    },
  };
  const plan: LoadPlan = { connections: opts.connections, seconds: opts.duration, warmupSeconds: opts.warmup, traders: opts.traders, noise: opts.noise };

  if (opts.phases.has('intake')) {
    log(`durable intake through the gateway (${opts.store})`);
    results.gatewayIntake = await measureGatewayIntake(plan, prepare, log);
  }
  if (opts.phases.has('bare')) {
    log('baseline A: bare node:http');
    results.bareIntake = await measureBareIntake(plan, jwtSecret, log);
  }
  if (opts.phases.has('commit')) {
    log(`baseline B: raw commit loop (${opts.store})`);
    const store = opts.store === 'sqlite'
      ? { kind: 'sqlite' as const, dataDir: scratch }
      : { kind: 'postgres' as const, url: await freshPostgresDatabase(opts.pgUrl), clients: opts.connections };
    results.commitLoops = await measureCommitLoops(store, opts.commitSeconds, opts.noise, log);
  }
  if (opts.phases.has('websocket')) {
    log('baseline C: the machine\'s scheduling stalls');
    results.stalls = measureStalls(10);
    log(`  ${describeStalls(results.stalls)}`);
    log(`fill → WebSocket latency with ${opts.subscribers} subscribers`);
    results.websocket = await measureFillLatency(
      { subscribers: opts.subscribers, traders: opts.wsTraders, samples: opts.samples, warmupSeconds: opts.wsWarmup, paceMs: opts.paceMs, noise: opts.noise },
      prepare, log);
  }

  if (opts.phases.has('risk')) {
    log('pre-trade risk on and off, in process (SQLite)');
    results.riskCost = await measureRiskCost(64, opts.duration, 3, opts.noise, log);
  }

  console.log(renderTable(results));
  mkdirSync(resultsDir, { recursive: true });
  // A run of some phases only must not replace the full record of the last complete run.
  const partial = opts.phases.size < PHASES.length ? `-${[...opts.phases].join('-')}` : '';
  const file = join(resultsDir, `${opts.store}${partial}-latest.json`);
  writeFileSync(file, `${JSON.stringify(forFile(results), null, 2)}\n`);
  console.log(`\nraw figures: ${file}`);
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    log(`\nbench: ${signal}; stopping everything it started`);
    void cleanup().finally(() => process.exit(130));
  });
}

main().then(
  async () => {
    await cleanup();
    process.exit(0);
  },
  async (error: unknown) => {
    process.exitCode = 1;
    if (error instanceof UsageError) log(`bench: ${error.message}\n${USAGE}`);
    else log(`bench FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    await cleanup();
    process.exit(1);
  },
);
