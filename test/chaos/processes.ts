/**
 * The processes a crash test runs: the simulated exchange behind its HTTP front (it outlives
 * every gateway), and gateway processes that are killed with SIGKILL, paused with SIGSTOP
 * and started again on the same store. Every child is registered the moment it is spawned and
 * killed when the test process exits, so a failing test leaves nothing running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { signToken } from '../../src/http/auth.ts';
import { POSTGRES_CREDENTIALS_KEY } from '../support/postgres.ts';

const ROOT = join(import.meta.dirname, '..', '..');
export const CHAOS_SECRET = 'chaos-secret-that-is-long-enough-for-hs256!!';

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** node itself with tsx as a loader, not the tsx wrapper: a signal must reach the server, not a parent that outlives it. */
function spawnTsx(script: string, env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, output: () => output };
}

export interface SimFrontProcess {
  readonly url: string;
  journal(): Promise<Array<{ op: string; clientOrderId: string; result: string; reason: string | null }>>;
  lookup(clientOrderId: string): Promise<Record<string, unknown> | null>;
  stop(): Promise<void>;
}

export async function startSimFrontProcess(env: Record<string, string> = {}): Promise<SimFrontProcess> {
  const { child, output } = spawnTsx('src/adapters/venues/sim/httpFront.ts', { SIM_FRONT_PORT: '0', ...env });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the sim front did not start:\n${output()}`)), 30_000);
    child.stdout!.on('data', () => {
      const match = /sim front listening on (http:\/\/\S+)/.exec(output());
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`the sim front exited with ${code}:\n${output()}`)));
  });
  return {
    url,
    journal: async () => (await fetch(`${url}/journal`)).json() as Promise<Array<{ op: string; clientOrderId: string; result: string; reason: string | null }>>,
    lookup: async (id) => {
      const response = await fetch(`${url}/orders/${id}`);
      return response.status === 404 ? null : ((await response.json()) as Record<string, unknown>);
    },
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface GatewayProcess {
  readonly url: string;
  readonly pid: number;
  kill(): Promise<void>;
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
  output(): string;
}

/** Starts `npm start` on a fixed port and resolves when it takes orders (health says ok). */
export async function startGatewayProcess(port: number, env: Record<string, string>): Promise<GatewayProcess> {
  const { child, output } = spawnTsx('src/main.ts', {
    ORDERGATE_PORT: String(port), ORDERGATE_JWT_SECRET: CHAOS_SECRET, ORDERGATE_LOG_LEVEL: 'error', ORDERGATE_SIM_TICK_MS: '0',
    ...(env.ORDERGATE_DATABASE_URL ? { ORDERGATE_CREDENTIALS_KEY: POSTGRES_CREDENTIALS_KEY } : {}), ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the gateway exited with ${child.exitCode}:\n${output()}`);
    const health = await fetch(`${url}/api/v1/health/orders`).then((r) => r.json() as Promise<{ status: string }>, () => null);
    if (health?.status === 'ok') break;
    if (Date.now() > deadline) throw new Error(`the gateway did not become ready:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    pid: child.pid!,
    output,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export const tokenFor = (sub: string, roles: Array<'trader' | 'admin'> = ['trader']) => signToken(CHAOS_SECRET, { sub, roles }, 24 * 3600);
