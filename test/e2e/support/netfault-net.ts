import { execFileSync, spawnSync } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * Network faults for the connection tests, all on this machine: a host in a
 * network namespace of our own that stops answering, a TCP server that never
 * speaks SSH, and a loopback proxy in front of sshd that can go silent.
 * Traffic only ever goes to 127.0.0.0/8 or to the namespace created here.
 */

const ip = (...args: string[]): string =>
  execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/** Outcome of one TCP connect attempt: `connected`, an errno code, or `no answer` after `waitMs`. */
export function probeTcp(host: string, port: number, waitMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('no answer');
    }, waitMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error.code ?? error.message);
    });
  });
}

export interface DeadHost {
  /** The far end's address, inside our own namespace. */
  readonly address: string;
  readonly namespace: string;
  /** Takes the far link down: SYNs to `address` are dropped without an answer. */
  cutOff(): void;
  /** Removes the veth pair and the namespace. */
  remove(): void;
}

/**
 * A veth pair between this host and a namespace of our own, `198.18.a.b/30`
 * (RFC 2544 benchmark space, routed only over this link). The host's
 * neighbour entry for the far end is permanent, so when the far link goes
 * down no ARP failure turns the silence into a quick "host unreachable".
 */
export function createDeadHost(): DeadHost {
  const tag = String(process.pid);
  const namespace = `berth-nf-${tag}`;
  const hostIf = `bnf${tag}h`;
  const peerIf = `bnf${tag}p`;
  const block = (process.pid % 16_000) * 4;
  const net = `198.${18 + (block >> 16)}.${(block >> 8) & 255}.${block & 255}`;
  const [a, b, c, d] = net.split('.').map(Number) as [number, number, number, number];
  const hostAddress = `${a}.${b}.${c}.${d + 1}`;
  const address = `${a}.${b}.${c}.${d + 2}`;
  const remove = (): void => {
    spawnSync('ip', ['link', 'del', hostIf], { stdio: 'ignore' });
    spawnSync('ip', ['netns', 'del', namespace], { stdio: 'ignore' });
  };
  remove(); // leftovers of an earlier run with the same pid
  const existing = ip('route', 'show', 'to', 'match', address);
  if (existing.split('\n').some((line) => !line.startsWith('default'))) {
    throw new Error(`${address} is already routed on this machine: ${existing}`);
  }
  try {
    ip('netns', 'add', namespace);
    ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', peerIf);
    ip('link', 'set', peerIf, 'netns', namespace);
    ip('addr', 'add', `${hostAddress}/30`, 'dev', hostIf);
    ip('link', 'set', hostIf, 'up');
    ip('netns', 'exec', namespace, 'ip', 'addr', 'add', `${address}/30`, 'dev', peerIf);
    ip('netns', 'exec', namespace, 'ip', 'link', 'set', peerIf, 'up');
    const mac = ip('netns', 'exec', namespace, 'cat', `/sys/class/net/${peerIf}/address`);
    ip('neigh', 'replace', address, 'lladdr', mac, 'dev', hostIf, 'nud', 'permanent');
  } catch (error) {
    remove();
    throw error;
  }
  return {
    address,
    namespace,
    cutOff: () => ip('netns', 'exec', namespace, 'ip', 'link', 'set', peerIf, 'down'),
    remove,
  };
}

export interface SilentServer {
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: () => number;
  close(): Promise<void>;
}

/** Accepts TCP connections on 127.0.0.1 and never sends a byte (no SSH banner). */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  return {
    port,
    accepted: () => accepted,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export interface FreezableProxy {
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: () => number;
  /**
   * From now on nothing is forwarded in either direction and no close is
   * passed on: both TCP connections stay open, as behind a dead link.
   */
  freeze(): void;
  readonly frozenAt: () => number | null;
  /** Whether the client side (Berth) has closed its connection to the proxy. */
  readonly clientClosed: () => boolean;
  /** Destroys every connection (both sides) and stops listening. */
  close(): Promise<void>;
}

/** A loopback TCP proxy to `127.0.0.1:upstreamPort` that can be frozen. */
export async function startFreezableProxy(upstreamPort: number): Promise<FreezableProxy> {
  const sockets = new Set<Socket>();
  let frozenAt: number | null = null;
  let accepted = 0;
  let clientClosed = false;
  const server = createServer((client) => {
    accepted += 1;
    const upstream = connect({ host: '127.0.0.1', port: upstreamPort });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('close', () => (clientClosed = true));
    const forward = (from: Socket, to: Socket): void => {
      from.on('data', (chunk: Buffer) => {
        if (frozenAt === null) to.write(chunk);
      });
      from.on('end', () => {
        if (frozenAt === null) to.end();
      });
      from.on('close', () => {
        if (frozenAt === null) to.destroy();
      });
    };
    forward(client, upstream);
    forward(upstream, client);
  });
  const port = await listen(server);
  return {
    port,
    accepted: () => accepted,
    freeze: () => {
      frozenAt ??= Date.now();
    },
    frozenAt: () => frozenAt,
    clientClosed: () => clientClosed,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('no port'));
      else resolve(address.port);
    });
  });
}
