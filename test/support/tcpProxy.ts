/**
 * A TCP proxy that puts faults on the link between a gateway and what it depends on
 * (PostgreSQL, the simulated exchange's HTTP front, Redis, NATS), for R3/R4 tests:
 * - pass: bytes flow as they come;
 * - blackhole: connections are accepted and held, nothing is forwarded either way (a cut link,
 *   a hung peer); what was sent meanwhile is delivered when the link comes back, unless its
 *   sender gave up and closed, in which case it is lost, as a real network would lose it;
 * - delay: each chunk arrives `ms ± jitterMs` later (seeded), in order per direction;
 * - refuse: every connection is reset, and new ones are reset as they arrive (a stopped server);
 * - resetAll(): resets every open connection once (RST both ways), the mode stays;
 * - loseAnswerAfter(seen, then): on the first connection that sends `seen` and later `then`,
 *   `then` is delivered but nothing more comes back on that connection (a request that took
 *   effect whose answer is lost, e.g. a COMMIT); other connections are untouched.
 * Invariant: per direction, bytes are delivered in the order they were sent, or not at all.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { seededRandom } from '../../src/adapters/venues/sim/faults.ts';

export type ProxyMode =
  | { readonly kind: 'pass' }
  | { readonly kind: 'blackhole' }
  | { readonly kind: 'delay'; readonly ms: number; readonly jitterMs: number }
  | { readonly kind: 'refuse' };

/** One direction of a connection: what is waiting to be written to `to`, each chunk with the time it is due. */
class Pipe {
  private readonly queue: Array<{ chunk: Buffer; dueMs: number }> = [];
  private ended = false;
  private lastDueMs = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly proxy: TcpProxy, private readonly to: () => Socket | null, private readonly held: () => boolean = () => false) {}

  push(chunk: Buffer): void {
    const mode = this.proxy.mode;
    // A chunk is never due before the one ahead of it: order holds across mode changes.
    this.lastDueMs = Math.max(this.lastDueMs, Date.now() + (mode.kind === 'delay' ? this.proxy.delayOf(mode) : 0));
    this.queue.push({ chunk, dueMs: this.lastDueMs });
    this.flush();
  }

  end(): void {
    this.ended = true;
    this.flush();
  }

  /** Writes what is due unless the link is cut; ends the far side once everything before the end is written. */
  flush(): void {
    const socket = this.to();
    if (!socket || socket.destroyed || this.proxy.mode.kind === 'blackhole' || this.held()) return;
    const now = Date.now();
    while (this.queue.length > 0 && this.queue[0]!.dueMs <= now) socket.write(this.queue.shift()!.chunk);
    if (this.queue.length > 0) {
      if (!this.timer) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.flush();
        }, this.queue[0]!.dueMs - now);
      }
      return;
    }
    if (this.ended) socket.end();
  }

  drop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.queue.length = 0;
  }
}

class Link {
  upstream: Socket | null = null;
  readonly toUpstream: Pipe;
  readonly toClient: Pipe;
  /** The trap's first marker passed on this connection. */
  private primed = false;
  /** Answers are held for good: the trap fired on this connection. */
  private answersLost = false;

  constructor(private readonly proxy: TcpProxy, readonly client: Socket) {
    this.toUpstream = new Pipe(proxy, () => this.upstream);
    this.toClient = new Pipe(proxy, () => this.client, () => this.answersLost);
    client.on('data', (chunk: Buffer) => {
      this.watch(chunk);
      this.toUpstream.push(chunk);
    });
    client.on('end', () => this.toUpstream.end());
    client.on('error', () => {});
    // A side that closes drops what was still held for it, and the link goes with it.
    client.on('close', () => this.destroy());
  }

  private watch(chunk: Buffer): void {
    const trap = this.proxy.trap;
    if (!trap) return;
    if (chunk.includes(trap.seen)) this.primed = true;
    if (this.primed && chunk.includes(trap.then)) {
      this.answersLost = true;
      this.proxy.trap = null;
      trap.fired();
    }
  }

  /** Connects upstream (held while the link is cut). */
  open(): void {
    if (this.upstream || this.proxy.mode.kind === 'blackhole' || this.client.destroyed) return;
    const upstream = connect(this.proxy.target);
    this.upstream = upstream;
    upstream.on('data', (chunk: Buffer) => this.toClient.push(chunk));
    upstream.on('end', () => this.toClient.end());
    upstream.on('error', () => {});
    upstream.on('close', () => this.destroy());
    this.toUpstream.flush();
  }

  resume(): void {
    this.open();
    this.toUpstream.flush();
    this.toClient.flush();
  }

  reset(): void {
    for (const socket of [this.client, this.upstream]) if (socket && !socket.destroyed) socket.resetAndDestroy();
    this.destroy();
  }

  destroy(): void {
    if (!this.proxy.links.delete(this)) return;
    this.toUpstream.drop();
    this.toClient.drop();
    this.client.destroy();
    this.upstream?.destroy();
  }
}

export class TcpProxy {
  mode: ProxyMode = { kind: 'pass' };
  readonly links = new Set<Link>();
  trap: { readonly seen: Buffer; readonly then: Buffer; fired(): void } | null = null;
  private random: () => number;

  private constructor(private readonly server: Server, readonly target: { host: string; port: number }, readonly port: number, seed: number) {
    this.random = seededRandom(seed);
  }

  static async start(target: { host: string; port: number }, seed = 1): Promise<TcpProxy> {
    let proxy: TcpProxy | null = null;
    const server = createServer((client) => proxy?.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    proxy = new TcpProxy(server, target, (server.address() as { port: number }).port, seed);
    return proxy;
  }

  /** `url` with its host and port replaced by the proxy's. */
  via(url: string): string {
    const proxied = new URL(url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(this.port);
    return proxied.toString();
  }

  pass(): void {
    this.setMode({ kind: 'pass' });
  }

  blackhole(): void {
    this.setMode({ kind: 'blackhole' });
  }

  delay(ms: number, jitterMs = 0): void {
    this.setMode({ kind: 'delay', ms, jitterMs });
  }

  /** Resets every connection and each new one, until another mode is set. */
  refuse(): void {
    this.setMode({ kind: 'refuse' });
    this.resetAll();
  }

  /** Arms the trap (see the module comment); resolves when it fires. */
  loseAnswerAfter(seen: string, then: string): Promise<void> {
    return new Promise((fired) => {
      this.trap = { seen: Buffer.from(seen), then: Buffer.from(then), fired };
    });
  }

  /** Resets every open connection now; returns how many there were. */
  resetAll(): number {
    const links = [...this.links];
    for (const link of links) link.reset();
    return links.length;
  }

  connections(): number {
    return this.links.size;
  }

  delayOf(mode: Extract<ProxyMode, { kind: 'delay' }>): number {
    return Math.max(0, mode.ms + (this.random() * 2 - 1) * mode.jitterMs);
  }

  async close(): Promise<void> {
    this.resetAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private setMode(mode: ProxyMode): void {
    this.mode = mode;
    if (mode.kind !== 'blackhole') for (const link of this.links) link.resume();
  }

  private accept(client: Socket): void {
    if (this.mode.kind === 'refuse') {
      client.on('error', () => {});
      client.resetAndDestroy();
      return;
    }
    const link = new Link(this, client);
    this.links.add(link);
    link.open();
  }
}
