// Loopback helpers: an HTTP poller (the outside view of what serves a port)
// and a TCP proxy in front of sshd that timestamps each connection's first
// client byte.
import { request } from 'node:http';
import { connect, createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers';

/** One GET to 127.0.0.1:port; resolves { status, body } or null when nothing answers. */
export function httpGet(port, path, timeoutMs = 1000) {
  return new Promise((resolve) => {
    let done = false;
    const finish = (value) => {
      if (!done) {
        done = true;
        resolve(value);
      }
    };
    const req = request(
      { host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d.toString()));
        res.on('end', () => finish({ status: res.statusCode ?? 0, body: body.trim() }));
        res.on('error', () => finish(null));
      },
    );
    req.on('error', () => finish(null));
    req.on('timeout', () => {
      req.destroy();
      finish(null);
    });
    req.end();
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls http://127.0.0.1:port<path> every `intervalMs` (a slow answer delays
 * the next poll, polls never overlap) and records each answer with its time in
 * ms since `t0` (a performance.now() value).
 */
export class Poller {
  constructor(port, path, t0, intervalMs = 50) {
    this.port = port;
    this.path = path;
    this.t0 = t0;
    this.intervalMs = intervalMs;
    this.samples = [];
    this.stopped = false;
    this.waiters = [];
    this.done = this.loop();
  }

  async loop() {
    let next = performance.now();
    while (!this.stopped) {
      const answer = await httpGet(this.port, this.path);
      const sample = {
        t: performance.now() - this.t0,
        status: answer?.status ?? null,
        body: answer?.body ?? null,
      };
      this.samples.push(sample);
      for (const w of [...this.waiters]) {
        if (w.predicate(sample, this.samples)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(sample);
        }
      }
      next += this.intervalMs;
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
      else next = performance.now();
    }
  }

  /** Resolves with the first sample (from now on) that satisfies predicate(sample, allSamples). */
  waitFor(predicate, timeoutMs = 120_000) {
    return new Promise((resolve) => {
      const w = { predicate, resolve };
      this.waiters.push(w);
      setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) {
          this.waiters.splice(i, 1);
          resolve(null);
        }
      }, timeoutMs).unref();
    });
  }

  async stop() {
    this.stopped = true;
    await this.done;
    for (const w of this.waiters) w.resolve(null);
    this.waiters = [];
  }
}

/**
 * A TCP proxy on 127.0.0.1:<ephemeral> to host:port. Each accepted connection
 * is recorded with performance.now() times: accepted, first client byte, and
 * the local port of the upstream connection (which is what sshd logs).
 */
export async function startProxy(host, port) {
  const connections = [];
  const sockets = new Set();
  const server = createServer({ noDelay: true }, (client) => {
    const record = {
      acceptedAt: performance.now(),
      firstByteAt: null,
      upstreamPort: null,
      bytesUp: 0,
    };
    connections.push(record);
    sockets.add(client);
    client.setNoDelay(true);
    const upstream = connect({ host, port, noDelay: true }, () => {
      record.upstreamPort = upstream.localPort;
    });
    sockets.add(upstream);
    client.on('data', (chunk) => {
      if (record.firstByteAt === null) record.firstByteAt = performance.now();
      record.bytesUp += chunk.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  return {
    port: server.address().port,
    connections,
    /** Connections accepted at or after performance.now() time `t`. */
    since: (t) => connections.filter((c) => c.acceptedAt >= t),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
