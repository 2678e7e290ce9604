import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy the test controls: listens on 127.0.0.1:<port> and
 * forwards every connection to 127.0.0.1:<upstreamPort> (the target's sshd).
 * `dropAll()` kills every open connection abruptly, both ways: the client
 * gets a TCP reset, the server a reset too, as when a network path dies.
 */
export class FaultProxy {
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private server: Server | undefined;
  /** Connections accepted so far. */
  accepted = 0;
  /** Connections this proxy has cut with `dropAll()`. */
  dropped = 0;
  port = 0;

  constructor(private readonly upstreamPort: number) {}

  async start(): Promise<number> {
    const server = createServer({ noDelay: true }, (client) => {
      this.accepted++;
      const upstream = createConnection({ host: '127.0.0.1', port: this.upstreamPort });
      upstream.setNoDelay(true);
      const pair = { client, upstream };
      this.pairs.add(pair);
      const forget = (): void => {
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', forget);
      upstream.on('error', forget);
      client.on('close', forget);
      upstream.on('close', forget);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no port');
    this.port = address.port;
    return this.port;
  }

  /** Connections open right now. */
  get open(): number {
    return this.pairs.size;
  }

  /** Resets every open connection at once (RST on both sides, no FIN handshake). */
  dropAll(): number {
    let count = 0;
    for (const pair of [...this.pairs]) {
      this.pairs.delete(pair);
      for (const socket of [pair.client, pair.upstream]) {
        socket.unpipe();
        if (typeof socket.resetAndDestroy === 'function' && !socket.destroyed) {
          socket.resetAndDestroy();
        } else socket.destroy();
      }
      count++;
    }
    this.dropped += count;
    return count;
  }

  async close(): Promise<void> {
    this.dropAll();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
