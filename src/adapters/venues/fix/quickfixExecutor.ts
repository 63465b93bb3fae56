/**
 * Runs the QuickFIX executor (built from Debian's libquickfix-doc by
 * scripts/build-quickfix-executor.sh) as a FIX 4.4 acceptor for the integration test: a free
 * port, a temporary store folder, one session EXECUTOR <-> ORDERGATE. Used by tests only.
 * Invariants: stop() leaves no executor process behind; the executor's screen log is written
 * to executor.log in its folder, which stop() keeps when asked to (after a failure).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const EXECUTOR_COMP_ID = 'EXECUTOR';
export const GATEWAY_COMP_ID = 'ORDERGATE';

const REPOSITORY = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');

/** The executor to run: ORDERGATE_QUICKFIX_EXECUTOR, else what the build script made; null when neither runs. */
export function findExecutor(): string | null {
  const path = process.env.ORDERGATE_QUICKFIX_EXECUTOR ?? join(REPOSITORY, '.cache/quickfix/executor');
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return null;
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (address === null || typeof address === 'string') throw new Error('no TCP port was assigned');
  return address.port;
}

export class QuickfixExecutor {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly folder: string,
  ) {}

  /** Starts the executor and resolves once it listens (it says so on its console). */
  static async start(executable: string, startTimeoutMs = 10_000): Promise<QuickfixExecutor> {
    const folder = mkdtempSync(join(tmpdir(), 'ordergate-quickfix-'));
    const port = await freePort();
    const settings = join(folder, 'executor.cfg');
    writeFileSync(settings, [
      '[DEFAULT]', 'ConnectionType=acceptor', `SocketAcceptPort=${port}`, 'SocketAcceptHost=127.0.0.1', 'SocketReuseAddress=Y',
      `FileStorePath=${join(folder, 'store')}`, 'StartTime=00:00:00', 'EndTime=00:00:00',
      // Debian ships no FIX44.xml: the executor reads the fields it needs without a dictionary.
      'UseDataDictionary=N', '',
      '[SESSION]', 'BeginString=FIX.4.4', `SenderCompID=${EXECUTOR_COMP_ID}`, `TargetCompID=${GATEWAY_COMP_ID}`, '',
    ].join('\n'));
    const child = spawn(executable, [settings], { cwd: folder, stdio: ['ignore', 'pipe', 'pipe'] });
    const screenLog = createWriteStream(join(folder, 'executor.log'));
    child.stdout!.pipe(screenLog);
    child.stderr!.pipe(screenLog);
    await new Promise<void>((ready, failed) => {
      let output = '';
      const timer = setTimeout(() => failed(new Error(`the executor did not start within ${startTimeoutMs} ms: ${output}`)), startTimeoutMs);
      child.once('exit', (code) => failed(new Error(`the executor exited with ${code}: ${output}`)));
      child.once('error', failed);
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Type Ctrl-C to quit')) {
          clearTimeout(timer);
          ready();
        }
      });
    });
    return new QuickfixExecutor(child, port, folder);
  }

  /** Stops the executor; its folder (settings, store, screen log) is removed unless `keepFolder`. */
  async stop(keepFolder = false): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((done) => this.child.once('exit', () => done()));
      this.child.kill('SIGTERM');
      const killer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(killer);
    }
    if (!keepFolder) rmSync(this.folder, { recursive: true, force: true });
  }
}
