/**
 * A TCP relay between a browser and a gateway, for tests of what the page does when the
 * network misbehaves: drop every connection at once, refuse new ones, refuse only WebSocket
 * upgrades (as some proxies do), or let the open WebSockets go silent without closing (as a
 * NAT that forgot them does). It records the request line of every WebSocket upgrade it sees,
 * so a test can check what `since` the page reconnected with.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export type RelayMode = 'open' | 'down' | 'no-websocket';

export class TcpRelay {
  mode: RelayMode = 'open';
  /** WebSocket upgrades to cut off, as a network that is down just then would: how many, and whose (a text in the request line). */
  cutUpgrades: { count: number; containing: string } = { count: 0, containing: '' };
  readonly upgrades: string[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly webSockets: Array<{ client: Socket; upstream: Socket }> = [];

  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(target: string): Promise<TcpRelay> {
    const { hostname, port } = new URL(target);
    let relay: TcpRelay | null = null;
    const server = createServer((client) => relay!.accept(client, hostname, Number(port)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    relay = new TcpRelay(server, `http://127.0.0.1:${address.port}`);
    return relay;
  }

  /** Ends every connection through the relay at once, as a network drop does. */
  dropAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /** Stops carrying anything over the open WebSockets, in either direction, and closes nothing. */
  freezeWebSockets(): void {
    for (const { client, upstream } of this.webSockets.splice(0)) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, host: string, port: number): void {
    if (this.mode === 'down') {
      client.destroy();
      return;
    }
    this.track(client);
    client.once('data', (first: Buffer) => {
      const requestLine = first.toString('latin1').split('\r\n', 1)[0] ?? '';
      const upgrade = /^upgrade:\s*websocket/im.test(first.toString('latin1'));
      if (upgrade) this.upgrades.push(requestLine);
      if (upgrade && this.cutUpgrades.count > 0 && requestLine.includes(this.cutUpgrades.containing)) {
        this.cutUpgrades.count -= 1;
        client.destroy();
        return;
      }
      if (upgrade && this.mode === 'no-websocket') {
        client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      const upstream = connect(port, host);
      this.track(upstream);
      upstream.write(first);
      client.pipe(upstream);
      upstream.pipe(client);
      if (upgrade) this.webSockets.push({ client, upstream });
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.once('close', end);
      upstream.once('close', end);
    });
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.once('close', () => this.sockets.delete(socket));
  }
}
