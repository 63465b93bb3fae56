/**
 * A TCP relay between the FIX venue and its counterparty that fails on demand, as a network
 * does: it can swallow everything going one way, or cut every connection. Used by tests only.
 * Invariant: bytes are relayed unchanged and in order, except those swallowed while swallowing.
 */
import { createServer, Socket, type Server } from 'node:net';

export type Direction = 'to_venue' | 'from_venue';

export class FaultyLink {
  readonly #sockets = new Set<Socket>();
  #swallowing: Direction | null = null;
  #swallowed: Record<Direction, number> = { to_venue: 0, from_venue: 0 };

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async open(targetPort: number): Promise<FaultyLink> {
    let link: FaultyLink | null = null;
    const server = createServer((venueSide) => link?.relay(venueSide, targetPort));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP port was assigned');
    link = new FaultyLink(server, address.port);
    return link;
  }

  /** From now on, bytes going this way are dropped; null relays everything again. */
  swallow(direction: Direction | null): void {
    this.#swallowing = direction;
  }

  /** Bytes dropped so far going this way. */
  swallowed(direction: Direction): number {
    return this.#swallowed[direction];
  }

  /** Cuts every connection through the link, as a broken network would. */
  cut(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  private relay(venueSide: Socket, targetPort: number): void {
    const counterpartySide = new Socket();
    for (const socket of [venueSide, counterpartySide]) {
      this.#sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        this.#sockets.delete(socket);
        venueSide.destroy();
        counterpartySide.destroy();
      });
    }
    this.pipe(venueSide, counterpartySide, 'from_venue');
    this.pipe(counterpartySide, venueSide, 'to_venue');
    counterpartySide.connect(targetPort, '127.0.0.1');
  }

  private pipe(from: Socket, to: Socket, direction: Direction): void {
    from.on('data', (chunk: Buffer) => {
      if (this.#swallowing === direction) this.#swallowed[direction] += chunk.length;
      else if (!to.destroyed) to.write(chunk);
    });
  }
}
