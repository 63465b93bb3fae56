/**
 * RELIABILITY R15, broker credentials: a known secret appears 0 times in the logs or in a dump
 * of the database. A real gateway process (on SQLite, and on PostgreSQL) logging everything
 * (level trace) is given Alpaca, Zerodha and FIX credentials over the admin API, restarted so
 * its venues connect with them, trades on Alpaca and Kite, takes a forged and a genuine Kite
 * postback, and refuses a key on another venue. Then every line it printed, every row of every
 * table, the raw database file and every other file in its data folder are searched for each
 * secret, also base64-encoded. Negative controls prove the search would see a leak: a marker
 * sent in a URL is found in the logs, one in an order's client order id in the dump; and the
 * FIX password is seen where it belongs, on the Logon a silent acceptor receives.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { AlpacaTestServer } from '../../src/adapters/venues/alpaca/testServer.ts';
import { generateEncryptionKey } from '../../src/adapters/venues/credentials.ts';
import { tagFor } from '../../src/adapters/venues/zerodha/kiteWire.ts';
import { KiteTestServer } from '../../src/adapters/venues/zerodha/testServer.ts';
import { signToken } from '../../src/http/auth.ts';
import { sharedSchemaUrl } from '../support/gatewayProcess.ts';
import { dropSchema, freshSchemaName, POSTGRES_URL, storesToTest } from '../support/postgres.ts';
import { eventually, SECRET as JWT_SECRET } from './harness.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SECRETS = {
  alpacaKeyId: 'PKR15KEYID7Q2W9E4R1T', alpacaSecret: 'r15-alpaca-secret-Zx81bQ0pLm3N',
  kiteApiKey: 'r15kiteapikey4c2a', kiteAccessToken: 'r15-kite-access-token-Hh7Ff2Dd9', kiteApiSecret: 'r15-kite-api-secret-Vv3Nn6Mm1',
  fixPassword: 'r15-fix-password-Qq5Ww8Ee2', refusedSecret: 'r15-revoked-alpaca-secret-Kk4Jj7',
  credentialsKey: generateEncryptionKey(),
};
const stores = await storesToTest('R15 credentials');

/** A gateway process whose every printed line is kept. */
class LoggedGateway {
  readonly lines: string[] = [];
  #child: ChildProcess | null = null;
  url = '';

  constructor(private readonly env: Record<string, string>) {}

  async start(): Promise<void> {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as { port: number };
        server.close(() => resolve(free));
      });
    });
    this.url = `http://127.0.0.1:${port}`;
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ORDERGATE_')));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT, env: { ...inherited, ...this.env, ORDERGATE_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (chunk: Buffer) => this.lines.push(chunk.toString('utf8')));
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`the gateway exited: ${this.lines.join('')}`);
      const ready = await fetch(`${this.url}/health`).then((reply) => reply.ok, () => false);
      // The venues connect and reconcile before orders are taken.
      return ready && (await this.call('GET', '/api/v1/admin/reconciliation', null, 'admin')).status === 200;
    }, 30_000);
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }

  async call(method: string, path: string, body: unknown = null, role: 'admin' | 'trader' = 'trader'): Promise<{ status: number; json: any }> {
    const token = await signToken(JWT_SECRET, { sub: role === 'admin' ? 'ops' : 'alice', roles: [role] }, 600);
    const reply = await fetch(`${this.url}${path}`, {
      method, headers: { authorization: `Bearer ${token}`, ...(body === null ? {} : { 'content-type': 'application/json' }) },
      ...(body === null ? {} : { body: JSON.stringify(body) }),
    });
    const text = await reply.text();
    return { status: reply.status, json: text ? JSON.parse(text) : null };
  }
}

/** A FIX counterparty that never answers: it keeps what the gateway sends (its Logon). */
async function silentAcceptor(): Promise<{ port: number; received: () => string; close: () => Promise<void> }> {
  const chunks: Buffer[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    received: () => Buffer.concat(chunks).toString('latin1'),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Every row of every table, as text. */
async function dumpDatabase(store: 'sqlite' | 'postgres', dataDir: string, schema: string | null): Promise<{ text: string; tables: number }> {
  if (store === 'sqlite') {
    const db = new Database(join(dataDir, 'ordergate.db'), { readonly: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
      return { text: tables.map(({ name }) => `${name}\n${JSON.stringify(db.prepare(`SELECT * FROM "${name}"`).all())}`).join('\n'), tables: tables.length };
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    const tables = (await client.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [schema])).rows as { table_name: string }[];
    const parts: string[] = [];
    for (const { table_name: name } of tables) parts.push(`${name}\n${JSON.stringify((await client.query(`SELECT * FROM "${schema}"."${name}"`)).rows)}`);
    return { text: parts.join('\n'), tables: tables.length };
  } finally {
    await client.end();
  }
}

/** Every file below the folder, raw (the SQLite file's free pages included). */
function filesBelow(folder: string): string {
  return readdirSync(folder).map((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? filesBelow(path) : readFileSync(path).toString('latin1');
  }).join('\n');
}

const occurrences = (haystack: string, needle: string) => haystack.split(needle).length - 1;

function leaks(text: string): Record<string, number> {
  return Object.fromEntries(Object.entries(SECRETS).flatMap(([name, secret]) => [
    [name, occurrences(text, secret)],
    [`${name} (base64)`, occurrences(text, Buffer.from(secret).toString('base64'))],
  ]));
}

describe.each(stores)('R15: broker credentials on %s', (store) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('given credentials set over the API and used end to end, then no secret appears in the logs, any table, the database file or the data folder', async () => {
    const alpaca = await AlpacaTestServer.start({ keyId: SECRETS.alpacaKeyId, secretKey: SECRETS.alpacaSecret, symbols: ['AAPL'] });
    const kite = await KiteTestServer.start({ apiKey: SECRETS.kiteApiKey, accessToken: SECRETS.kiteAccessToken, instruments: ['AAPL'] });
    const acceptor = await silentAcceptor();
    cleanups.push(() => alpaca.close(), () => kite.close(), () => acceptor.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'ordergate-r15-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const schema = store === 'postgres' ? freshSchemaName() : null;
    if (schema) cleanups.push(() => dropSchema(schema));
    const env = {
      ORDERGATE_HOST: '127.0.0.1', ORDERGATE_DATA_DIR: dataDir, ORDERGATE_JWT_SECRET: JWT_SECRET, ORDERGATE_LOG_LEVEL: 'trace',
      ORDERGATE_SIM_TICK_MS: '0', ORDERGATE_CREDENTIALS_KEY: SECRETS.credentialsKey,
      ...(schema ? { ORDERGATE_DATABASE_URL: await sharedSchemaUrl(schema) } : {}),
    };
    const first = new LoggedGateway(env);
    const second = new LoggedGateway(env);
    cleanups.push(() => first.stop(), () => second.stop());

    await first.start();
    const venues: [string, unknown, Record<string, string>][] = [
      ['paper', { kind: 'alpaca', settings: { baseUrl: alpaca.baseUrl, streamUrl: alpaca.streamUrl }, active: true },
        { key_id: SECRETS.alpacaKeyId, secret_key: SECRETS.alpacaSecret }],
      ['revoked', { kind: 'alpaca', settings: { baseUrl: alpaca.baseUrl, streamUrl: alpaca.streamUrl }, active: true },
        { key_id: SECRETS.alpacaKeyId, secret_key: SECRETS.refusedSecret }],
      ['kite', { kind: 'zerodha', settings: { baseUrl: kite.baseUrl, streamUrl: kite.streamUrl }, active: true },
        { api_key: SECRETS.kiteApiKey, access_token: SECRETS.kiteAccessToken, api_secret: SECRETS.kiteApiSecret }],
      ['fixed', { kind: 'fix', settings: { host: '127.0.0.1', port: acceptor.port, senderCompId: 'GW', targetCompId: 'NOBODY' }, active: true },
        { username: 'gateway', password: SECRETS.fixPassword }],
    ];
    for (const [name, config, credentials] of venues) {
      expect((await first.call('PUT', `/api/v1/admin/venues/${name}`, config, 'admin')).status).toBe(200);
      expect((await first.call('PUT', `/api/v1/admin/venues/${name}/credentials`, credentials, 'admin')).status).toBe(200);
    }
    // Refused: a credential put where a setting goes, and one the kind does not take.
    expect((await first.call('PUT', '/api/v1/admin/venues/paper', { kind: 'alpaca', settings: { secret_key: SECRETS.alpacaSecret }, active: true }, 'admin')).status).toBe(400);
    expect((await first.call('PUT', '/api/v1/admin/venues/kite/credentials', { password: SECRETS.kiteApiSecret }, 'admin')).status).toBe(400);
    await first.stop();

    await second.start();
    const marker = `r15-control-${Date.now()}`;
    // Orders wait (503) until the start-up reconciliation has run.
    const submit = (body: Record<string, unknown>) => eventually(async () => {
      const reply = await second.call('POST', '/api/v1/orders', { symbol: 'AAPL', side: 'buy', quantity: '5', type: 'limit', limit_price: '100.25', time_in_force: 'day', ...body });
      return reply.status === 503 ? null : reply;
    }, 30_000);
    const toAlpaca = await submit({ venue: 'paper', client_order_id: marker });
    expect(toAlpaca.status).toBe(201);
    await eventually(async () => (await second.call('GET', `/api/v1/orders/${toAlpaca.json.id}`)).json.status === 'acked', 10_000);
    alpaca.fill(toAlpaca.json.id, '5', '100.25');
    await eventually(async () => (await second.call('GET', `/api/v1/orders/${toAlpaca.json.id}`)).json.status === 'filled', 10_000);

    const toKite = await submit({ venue: 'kite' });
    expect(toKite.status).toBe(201);
    await eventually(async () => (await second.call('GET', `/api/v1/orders/${toKite.json.id}`)).json.status === 'acked', 10_000);
    kite.book.fill(tagFor(toKite.json.id), '2', '100.25');
    const postback = (body: string) => fetch(`${second.url}/api/v1/venues/kite/postbacks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect((await postback(kite.postbackOf(toKite.json.id, 'forged-secret'))).status).toBe(403);
    expect((await postback(kite.postbackOf(toKite.json.id, SECRETS.kiteApiSecret))).status).toBe(200);
    await eventually(async () => (await second.call('GET', `/api/v1/orders/${toKite.json.id}`)).json.status === 'partially_filled', 10_000);

    const listed = await second.call('GET', '/api/v1/admin/venues', null, 'admin');
    const connected = Object.fromEntries(listed.json.venues.map((v: { name: string; connected: boolean }) => [v.name, v.connected]));
    expect(connected).toMatchObject({ paper: true, kite: true, fixed: true, revoked: true });
    expect((await fetch(`${second.url}/api/v1/${marker}`)).status).toBe(404);
    await second.stop();

    const logs = [...first.lines, ...second.lines].join('');
    const dump = await dumpDatabase(store, dataDir, schema);
    const files = filesBelow(dataDir);
    expect(dump.tables).toBeGreaterThanOrEqual(15);
    expect(occurrences(dump.text, 'venue_credentials')).toBeGreaterThan(0);
    // Negative controls: the search sees what was logged and what was stored.
    expect(occurrences(logs, marker)).toBeGreaterThan(0);
    expect(occurrences(dump.text, marker)).toBeGreaterThan(0);
    expect(logs).toMatch(/refused the stream credentials/);
    // Positive control: the FIX password did go out, on the Logon, and only there.
    expect(acceptor.received()).toContain(`\x01554=${SECRETS.fixPassword}\x01`);
    const none = Object.fromEntries(Object.keys(leaks('')).map((name) => [name, 0]));
    expect(leaks(logs)).toEqual(none);
    expect(leaks(dump.text)).toEqual(none);
    expect(leaks(files)).toEqual(none);
  }, 120_000);
});
