// The local test target that test/e2e/target/up.sh brought up, as target.env describes it.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath, URL } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const STATE_DIR = `${ROOT}test/e2e/target/.state/`;

export function readTarget() {
  const env = new Map();
  for (const line of readFileSync(`${STATE_DIR}target.env`, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env.set(line.slice(0, eq), line.slice(eq + 1).replace(/^"(.*)"$/, '$1'));
  }
  const get = (key) => {
    const value = env.get(key);
    if (value === undefined)
      throw new Error(`${key} missing from target.env; run test/e2e/target/up.sh`);
    return value;
  };
  const user = get('BERTH_TEST_USER');
  return {
    host: get('BERTH_TEST_HOST'),
    port: Number(get('BERTH_TEST_PORT')),
    user,
    home: `/home/${user}`,
    keyFile: get('BERTH_TEST_KEY'),
    privateKey: readFileSync(get('BERTH_TEST_KEY'), 'utf8'),
    knownHostsFile: get('BERTH_TEST_KNOWN_HOSTS'),
    knownHosts: readFileSync(get('BERTH_TEST_KNOWN_HOSTS'), 'utf8'),
    sshdLog: get('BERTH_TEST_SSHD_LOG'),
    node24: get('BERTH_TEST_NODE24'),
    docker: get('BERTH_TEST_DOCKER'),
  };
}

/** known_hosts text re-keyed from the real sshd port to `port` (for the proxy in front of it). */
export function knownHostsForPort(target, port) {
  const from = target.port === 22 ? target.host : `[${target.host}]:${target.port}`;
  return target.knownHosts
    .split('\n')
    .filter(Boolean)
    .map((line) =>
      line.startsWith(`${from} `)
        ? `[${target.host}]:${port} ${line.slice(from.length + 1)}`
        : line,
    )
    .join('\n');
}

/** Whether 127.0.0.1:port can be bound right now. */
function portFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () =>
      server.close(() => resolve(true)),
    );
  });
}

/**
 * `count` loopback ports free now, from a band below the e2e tests' per-process
 * blocks (20000+) and above up.sh's fixture check (18999+).
 */
export async function freePorts(count, from = 19400 + (process.pid % 20) * 25) {
  const ports = [];
  for (let port = from; ports.length < count && port < 19999; port++) {
    if (await portFree(port)) ports.push(port);
  }
  if (ports.length < count) throw new Error('no free loopback ports in 19400-19999');
  return ports;
}
