/**
 * Access to real Redis and NATS servers for tests, under the same rule as PostgreSQL: a server
 * that cannot be reached (or a binary that is missing) makes the tests that need it skip with a
 * loud line, except under CI=true, where it fails the run.
 * - The shared servers (127.0.0.1:6379 and :4222) serve every test at once, so tests keep apart
 *   by namespace and never stop them.
 * - Tests that kill the bus start their own server on a free port (ownServer) and kill that one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type BusKind = 'redis' | 'nats';

export const BUS_URLS: Readonly<Record<BusKind, string>> = {
  redis: process.env.ORDERGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  nats: process.env.ORDERGATE_TEST_NATS_URL ?? 'nats://127.0.0.1:4222',
};

const BINARIES: Readonly<Record<BusKind, string>> = { redis: 'redis-server', nats: 'nats-server' };

const START_COMMANDS: Readonly<Record<BusKind, string>> = {
  redis: 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
  nats: 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server',
};

const ownProcesses = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of ownProcesses) child.kill('SIGKILL');
});

export const freshNamespace = () => `og_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;

/** Answers the protocol's greeting within 2 s: Redis PING → +PONG, NATS sends INFO first. */
function answers(kind: BusKind, url: string): Promise<string | null> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: hostname, port: Number(port) });
    const finish = (why: string | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(why);
    };
    const timer = setTimeout(() => finish('no answer within 2 s'), 2_000);
    socket.on('error', (error) => finish(error.message));
    socket.on('connect', () => kind === 'redis' && socket.write('PING\r\n'));
    socket.on('data', (data) => finish(data.toString().startsWith(kind === 'redis' ? '+PONG' : 'INFO') ? null : 'unexpected greeting'));
  });
}

/** The buses a suite should run on: each reachable one, and under CI all of them or a failure. */
export async function busesToTest(suite: string, kinds: readonly BusKind[] = ['redis', 'nats']): Promise<BusKind[]> {
  const usable: BusKind[] = [];
  for (const kind of kinds) {
    const why = await answers(kind, BUS_URLS[kind]);
    if (why === null) {
      usable.push(kind);
      continue;
    }
    if (process.env.CI === 'true') throw new Error(`${suite}: ${kind} at ${BUS_URLS[kind]} is unreachable (${why}) and CI=true requires it`);
    console.warn(`\n!!! ${suite}: SKIPPING the ${kind} run: ${BUS_URLS[kind]} is unreachable (${why}). Start it with: ${START_COMMANDS[kind]}\n`);
  }
  return usable;
}

/** The kinds whose server binary is here, for tests that run a server of their own. */
export function busBinariesToTest(suite: string, kinds: readonly BusKind[] = ['redis', 'nats']): BusKind[] {
  return kinds.filter((kind) => {
    if (spawnSync(BINARIES[kind], ['--version']).status === 0) return true;
    if (process.env.CI === 'true') throw new Error(`${suite}: ${BINARIES[kind]} is not installed and CI=true requires it`);
    console.warn(`\n!!! ${suite}: SKIPPING the ${kind} outage tests: ${BINARIES[kind]} is not installed\n`);
    return false;
  });
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

/** A server of the test's own, on a free port, that the test may kill and start again. */
export interface OwnServer {
  readonly url: string;
  /** SIGKILL, and resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port (and, for NATS, the same JetStream store); resolves once it answers. */
  start(): Promise<void>;
  /** Kills it and removes its files. */
  dispose(): Promise<void>;
}

export async function ownServer(kind: BusKind): Promise<OwnServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `ordergate-${kind}-`));
  const url = `${kind}://127.0.0.1:${port}`;
  const args = kind === 'redis'
    ? ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir]
    : ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir];
  let child: ChildProcess | null = null;

  const kill = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGKILL');
    await exited;
  };
  const start = async () => {
    if (child) throw new Error(`${kind} test server is already running`);
    const started = spawn(BINARIES[kind], args, { stdio: 'ignore' });
    child = started;
    ownProcesses.add(started);
    started.once('exit', () => ownProcesses.delete(started));
    const deadline = Date.now() + 10_000;
    while ((await answers(kind, url)) !== null) {
      if (started.exitCode !== null) throw new Error(`${kind} test server exited with ${started.exitCode}`);
      if (Date.now() > deadline) throw new Error(`${kind} test server on ${url} did not answer within 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  await start();
  return {
    url,
    kill,
    start,
    async dispose() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits for a state that no event announces (a client noticing its server died), bounded. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
