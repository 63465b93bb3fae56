/**
 * Everything the bench starts and must stop again: child processes (the gateway, the bare
 * node:http server), temporary folders and the PostgreSQL bench database.
 * Invariant: every resource is registered the moment it exists, so cleanup() (run at the
 * end, on failure and on Ctrl-C) finds it; a child still alive when the bench process exits
 * is killed from the 'exit' handler.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Per bench process, so two benches running at once never drop each other's database. */
export const BENCH_DB = `ordergate_bench_${process.pid}`;

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly url: string;
  /** The child's last lines of output, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
const cleanups: Array<() => Promise<void> | void> = [];

process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Runs every registered cleanup once, newest first; errors are printed, not thrown. */
export async function cleanup(): Promise<void> {
  while (cleanups.length > 0) {
    const step = cleanups.pop()!;
    try {
      await step();
    } catch (error) {
      process.stderr.write(`bench: cleanup step failed: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
}

export function temporaryDirectory(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The resident set size of a process in KiB, from /proc/<pid>/status. */
export function rssKiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface SpawnOptions {
  readonly name: string;
  readonly script: string;
  readonly port: number;
  readonly env: Record<string, string>;
  readonly nodeArgs?: readonly string[];
  /** Resolves true once the child serves what the bench needs. */
  readonly ready: (url: string) => Promise<boolean>;
}

/**
 * Node itself runs the script with tsx as a loader (not the tsx CLI, which would fork a
 * second process): the pid we hold is the one that serves, so its RSS and profile are the server's.
 */
async function spawnNode(options: SpawnOptions): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...(options.nodeArgs ?? []), options.script], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter((line) => line.trim() !== ''));
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => children.delete(child));

  const url = `http://127.0.0.1:${options.port}`;
  const handle: Child = {
    name: options.name,
    pid: child.pid!,
    url,
    output: () => lines.join('\n'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    },
  };
  cleanups.push(() => handle.stop());

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${options.name} exited before it was ready (code ${child.exitCode ?? child.signalCode}):\n${handle.output()}`);
    }
    if (await options.ready(url).catch(() => false)) return handle;
    if (Date.now() > deadline) {
      await handle.stop();
      throw new Error(`${options.name} was not ready within 30 s:\n${handle.output()}`);
    }
    await sleep(100);
  }
}

export interface GatewayOptions {
  readonly dataDir: string;
  readonly databaseUrl: string | null;
  readonly jwtSecret: string;
  /** Extra node flags, e.g. --cpu-prof. */
  readonly nodeArgs?: readonly string[];
  /** Extra environment, e.g. ORDERGATE_BUS_URL for the fan-out bench. */
  readonly env?: Readonly<Record<string, string>>;
}

/** The real gateway (src/main.ts) on a free port; ready once /api/v1/health/orders says ok, i.e. recovery ran. */
export async function startGatewayProcess(options: GatewayOptions): Promise<Child> {
  const port = await freePort();
  return spawnNode({
    name: 'gateway',
    script: 'src/main.ts',
    port,
    nodeArgs: options.nodeArgs ?? [],
    env: {
      ORDERGATE_HOST: '127.0.0.1',
      ORDERGATE_PORT: String(port),
      ORDERGATE_DATA_DIR: options.dataDir,
      ORDERGATE_DATABASE_URL: options.databaseUrl ?? '',
      // PostgreSQL requires a credentials key (config.ts); the bench seals no credentials with it.
      ...(options.databaseUrl ? { ORDERGATE_CREDENTIALS_KEY: Buffer.from('ordergate-bench-credentials-key!').toString('base64') } : {}),
      ORDERGATE_JWT_SECRET: options.jwtSecret,
      ORDERGATE_LOG_LEVEL: 'warn',
      ORDERGATE_RATE_LIMIT_PER_MIN: '1000000',
      // The venue throttle protects a real venue; left at its default it would hold acks back
      // and hide what dispatching every order costs the gateway.
      ORDERGATE_VENUE_RATE_PER_SEC: '1000000',
      ORDERGATE_VENUE_BURST: '1000000',
      // Every risk check runs; the cash covers the whole run, so none of them denies a bench order.
      ORDERGATE_DEMO_CASH: '1000000000000',
      // No reference-price walk: resting orders stay resting, and fills happen only when asked.
      ORDERGATE_SIM_TICK_MS: '0',
      ...options.env,
    },
    ready: async (url) => {
      const response = await fetch(`${url}/api/v1/health/orders`);
      const body = (await response.json()) as { status?: string };
      return body.status === 'ok';
    },
  });
}

/** Baseline A: bench/bareServer.ts, a plain node:http server. */
export async function startBareServer(): Promise<Child> {
  const port = await freePort();
  return spawnNode({
    name: 'bare node:http server',
    script: 'bench/bareServer.ts',
    port,
    env: { BARE_PORT: String(port) },
    ready: async (url) => (await fetch(`${url}/health`)).ok,
  });
}

/**
 * Drops and recreates the bench database, so each gateway starts on empty tables, and
 * registers its removal. Returns the URL the gateway and the baselines connect to.
 */
export async function freshPostgresDatabase(adminUrl: string): Promise<string> {
  await recreate(adminUrl, true);
  cleanups.push(() => recreate(adminUrl, false));
  const url = new URL(adminUrl);
  url.pathname = `/${BENCH_DB}`;
  return url.toString();
}

async function recreate(adminUrl: string, create: boolean): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`);
    if (create) await client.query(`CREATE DATABASE ${BENCH_DB}`);
  } finally {
    await client.end();
  }
}

/** Server settings that decide what a PostgreSQL commit costs, for the results file. */
export async function postgresSettings(url: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings WHERE name IN ('server_version', 'fsync', 'synchronous_commit', 'wal_sync_method', 'commit_delay', 'max_connections')`,
    );
    return Object.fromEntries(rows.map((row) => [row.name, row.setting]));
  } finally {
    await client.end();
  }
}
