/**
 * The newcomer's path, as a process: `npm start` with no secret prints working tokens; a bad
 * setting stops the start with one line naming it; orders survive a restart and the audit
 * chain verifies with `npm run verify-audit`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const TSX = join(process.cwd(), 'node_modules/.bin/tsx');
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ordergate-start-'));
  dirs.push(dir);
  return dir;
}

function start(env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string; url: string }> {
  const child = spawn(TSX, ['src/main.ts'], {
    env: { ...process.env, ORDERGATE_PORT: '0', ORDERGATE_LOG_LEVEL: 'warn', ORDERGATE_JWT_SECRET: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 20 s:\n${output}`)), 20_000);
    const check = () => {
      const match = /listening on (http:\/\/[0-9.:]+)/.exec(output) ?? /"url":"(http:\/\/[0-9.:]+)"/.exec(output);
      if (match && output.includes('admin (admin, risk)')) {
        clearTimeout(timer);
        resolve({ child, output: () => output, url: match[1]! });
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

const tokenOf = (output: string, who: string) => new RegExp(`${who}\\s+\\([a-z, ]+\\): (\\S+)`).exec(output)![1]!;

describe('npm start', () => {
  it('prints ready-to-use tokens for two demo traders and an admin, which the API accepts', async () => {
    const { child, output, url } = await start({ ORDERGATE_DATA_DIR: dataDir() });
    const alice = tokenOf(output(), 'alice');
    expect(tokenOf(output(), 'bob')).not.toBe(alice);
    const r = await fetch(`${url}/api/v1/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
      body: JSON.stringify({ symbol: 'AAPL', side: 'buy', quantity: '1', type: 'market' }),
    });
    expect(r.status).toBe(201);
    expect(await stop(child)).toBe(0);
  });

  it('keeps orders across a restart, and the audit chain verifies', async () => {
    const dir = dataDir();
    const first = await start({ ORDERGATE_DATA_DIR: dir });
    const alice = tokenOf(first.output(), 'alice');
    const headers = { authorization: `Bearer ${alice}`, 'content-type': 'application/json' };
    const created = await (await fetch(`${first.url}/api/v1/orders`, {
      method: 'POST', headers, body: JSON.stringify({ symbol: 'AAPL', side: 'buy', quantity: '5', type: 'limit', limit_price: '10', time_in_force: 'gtc' }),
    })).json();
    await stop(first.child);

    const second = await start({ ORDERGATE_DATA_DIR: dir });
    expect(tokenOf(second.output(), 'alice')).toBeTruthy();
    const order = await (await fetch(`${second.url}/api/v1/orders/${created.id}`, { headers })).json();
    expect(order.id).toBe(created.id);
    // The embedded exchange restarted empty, so recovery found the resting order gone and closed it.
    expect(order.status).toBe('cancelled');
    expect(order.events.at(-1).data.reason).toBe('the venue no longer holds this order');
    await stop(second.child);

    const verify = spawnSync(TSX, ['src/cli/verifyAudit.ts'], { env: { ...process.env, ORDERGATE_DATA_DIR: dir }, encoding: 'utf8' });
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
  });

  it('stops with one line naming a bad setting', () => {
    const r = spawnSync(TSX, ['src/main.ts'], { env: { ...process.env, ORDERGATE_PORT: 'eighty', ORDERGATE_DATA_DIR: dataDir() }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('ordergate: ORDERGATE_PORT must be a whole number from 0 to 65535; got "eighty"');
  });
});
