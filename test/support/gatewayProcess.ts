/**
 * Real gateway processes for black-box tests of several instances: `node --import tsx
 * src/main.ts` on a free port with its own data folder, configured only through environment
 * variables, as an operator starts it. Instances that share a store share a PostgreSQL schema,
 * which the caller creates (the URL carries it as the connection's search_path).
 * Invariant: every process started here is killed when the test process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { POSTGRES_CREDENTIALS_KEY, POSTGRES_URL } from './postgres.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface GatewayProcess {
  readonly url: string;
  readonly pid: number;
  /** The last lines it printed, for failure messages. */
  output(): string;
  /** SIGKILL: no shutdown, nothing flushed; resolves once it is gone. */
  kill(): Promise<void>;
  /** SIGTERM, then removes its data folder. */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A fresh schema on the test server, and the URL that makes a gateway use it. */
export async function sharedSchemaUrl(schema: string): Promise<string> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await client.end();
  }
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

/** Starts a gateway and resolves once it serves HTTP; recovery may still run, and orders get 503 until it has. */
export async function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'ordergate-instance-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ORDERGATE_'))),
      ORDERGATE_HOST: '127.0.0.1',
      ORDERGATE_PORT: String(port),
      ORDERGATE_DATA_DIR: dataDir,
      ORDERGATE_LOG_LEVEL: 'warn',
      ORDERGATE_SIM_TICK_MS: '0',
      ORDERGATE_RATE_LIMIT_PER_MIN: '1000000',
      ...(env.ORDERGATE_DATABASE_URL ? { ORDERGATE_CREDENTIALS_KEY: POSTGRES_CREDENTIALS_KEY } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    running.delete(child);
    resolve();
  }));
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter((line) => line.trim() !== ''));
    lines.splice(0, Math.max(0, lines.length - 30));
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const gone = () => child.exitCode !== null || child.signalCode !== null;

  const handle: GatewayProcess = {
    url,
    pid: child.pid!,
    output: () => lines.join('\n'),
    async kill() {
      if (!gone()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!gone()) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (gone()) throw new Error(`gateway exited before it served (${child.exitCode ?? child.signalCode}):\n${handle.output()}`);
    const up = await fetch(`${url}/health`).then((response) => response.ok, () => false);
    if (up) return handle;
    if (Date.now() > deadline) {
      await handle.stop();
      throw new Error(`gateway did not serve within 30 s:\n${handle.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
