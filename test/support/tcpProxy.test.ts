/**
 * The fault proxy against an echo server: it passes bytes through, holds them while the link
 * is cut and delivers them after, delays them within bounds keeping their order, and resets or
 * refuses connections.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { until } from './buses.ts';
import { TcpProxy } from './tcpProxy.ts';

let echo: Server;
let proxy: TcpProxy;
let received = 0;
const clients: Socket[] = [];

beforeEach(async () => {
  received = 0;
  echo = createServer((socket) => socket.on('data', (chunk) => {
    received += chunk.length;
    socket.write(chunk);
  }).on('error', () => {}));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()));
  proxy = await TcpProxy.start({ host: '127.0.0.1', port: (echo.address() as { port: number }).port }, 7);
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await proxy.close();
  await new Promise<void>((resolve) => echo.close(() => resolve()));
});

interface Client { readonly socket: Socket; text(): string; readonly closed: Promise<string> }

async function client(): Promise<Client> {
  const socket = connect({ host: '127.0.0.1', port: proxy.port });
  clients.push(socket);
  let text = '';
  socket.on('data', (chunk) => (text += chunk.toString()));
  const closed = new Promise<string>((resolve) => {
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    socket.on('close', () => resolve('closed'));
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, text: () => text, closed };
}

describe('tcp proxy', () => {
  it('given pass, then bytes go through both ways', async () => {
    const c = await client();
    c.socket.write('hello');
    await until(() => c.text() === 'hello', 'the echo');
  });

  it('given a blackhole, then nothing reaches the server until the link is back; then all of it, in order', async () => {
    const c = await client();
    await until(() => proxy.connections() === 1, 'the connection');
    proxy.blackhole();
    c.socket.write('one,');
    c.socket.write('two');
    const late = await client();
    late.socket.write('late');
    // Absence can only be observed over a while: nothing arrives in 200 ms.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect([received, c.text(), late.text()]).toEqual([0, '', '']);
    proxy.pass();
    await until(() => c.text() === 'one,two' && late.text() === 'late', 'what was held');
  });

  it('given a blackholed connection whose client gives up, then what it sent is lost, not delivered later', async () => {
    const c = await client();
    await until(() => proxy.connections() === 1, 'the connection');
    proxy.blackhole();
    c.socket.write('lost');
    c.socket.destroy();
    await until(() => proxy.connections() === 0, 'the link dropped');
    proxy.pass();
    const next = await client();
    next.socket.write('next');
    await until(() => next.text() === 'next', 'a new connection');
    expect(received).toBe(4);
  });

  it('given a delay of 100 ± 50 ms, then a round trip takes at least 100 ms and 200 chunks keep their order', async () => {
    proxy.delay(100, 50);
    const c = await client();
    const started = Date.now();
    c.socket.write('ping');
    await until(() => c.text() === 'ping', 'the delayed echo', 5_000);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(99);
    expect(elapsed).toBeLessThan(1_000);
    const sent = Array.from({ length: 200 }, (_, i) => `${i};`).join('');
    for (let i = 0; i < 200; i += 1) c.socket.write(`${i};`);
    await until(() => c.text() === `ping${sent}`, 'every chunk, in order', 10_000);
  });

  it('given a trap, then the connection that sends both markers gets no answer after the second, and its bytes still arrive', async () => {
    const [trapped, other] = [await client(), await client()];
    const fired = proxy.loseAnswerAfter('insert', 'commit');
    trapped.socket.write('insert;');
    await until(() => trapped.text() === 'insert;', 'the first answer');
    other.socket.write('commit;');
    await until(() => other.text() === 'commit;', 'an answer on another connection');
    trapped.socket.write('commit;');
    await fired;
    await until(() => received === 'insert;commit;commit;'.length, 'the commit delivered');
    other.socket.write('more');
    await until(() => other.text() === 'commit;more', 'the other connection still answered');
    expect(trapped.text()).toBe('insert;');
  });

  it('given resetAll, then open connections are reset; given refuse, then new ones are reset until pass', async () => {
    const c = await client();
    await until(() => proxy.connections() === 1, 'the connection');
    expect(proxy.resetAll()).toBe(1);
    expect(await c.closed).toBe('ECONNRESET');
    proxy.refuse();
    const refused = connect({ host: '127.0.0.1', port: proxy.port });
    clients.push(refused);
    expect(await new Promise((resolve) => refused.on('error', (e: NodeJS.ErrnoException) => resolve(e.code)).on('close', () => resolve('closed')))).toMatch(/ECONNRESET|closed/);
    proxy.pass();
    const again = await client();
    again.socket.write('back');
    await until(() => again.text() === 'back', 'a connection after refuse');
  });
});
