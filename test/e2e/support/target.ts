import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Facts about the local test target that `test/e2e/target/up.sh` wrote down. */
export interface Target {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly home: string;
  readonly privateKey: string;
  readonly rsaKey: string;
  readonly rsaPassphrase: string;
  readonly knownHosts: string;
  readonly fingerprint: string;
  readonly sshdLog: string;
  readonly node24: string;
  readonly docker: string;
}

export const STATE_DIR = fileURLToPath(new URL('../target/.state/', import.meta.url));

let cached: Target | undefined;

export function target(): Target {
  if (cached) return cached;
  const env = new Map<string, string>();
  for (const line of readFileSync(`${STATE_DIR}target.env`, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env.set(line.slice(0, eq), line.slice(eq + 1).replace(/^"(.*)"$/, '$1'));
  }
  const get = (key: string): string => {
    const value = env.get(key);
    if (value === undefined)
      throw new Error(`${key} missing from target.env; run test/e2e/target/up.sh`);
    return value;
  };
  cached = {
    host: get('BERTH_TEST_HOST'),
    port: Number(get('BERTH_TEST_PORT')),
    user: get('BERTH_TEST_USER'),
    home: `/home/${get('BERTH_TEST_USER')}`,
    privateKey: readFileSync(get('BERTH_TEST_KEY'), 'utf8'),
    rsaKey: readFileSync(get('BERTH_TEST_RSA_KEY'), 'utf8'),
    rsaPassphrase: readFileSync(get('BERTH_TEST_RSA_PASSPHRASE_FILE'), 'utf8').trim(),
    knownHosts: readFileSync(get('BERTH_TEST_KNOWN_HOSTS'), 'utf8'),
    fingerprint: get('BERTH_TEST_FINGERPRINT'),
    sshdLog: get('BERTH_TEST_SSHD_LOG'),
    node24: get('BERTH_TEST_NODE24'),
    docker: get('BERTH_TEST_DOCKER'),
  };
  return cached;
}

/** The inputs that connect to the target as the `berth` user, host key verified. */
export function connectionInputs(): Record<string, string> {
  const t = target();
  return {
    host: t.host,
    port: String(t.port),
    username: t.user,
    'private-key': t.privateKey,
    'known-hosts': t.knownHosts,
  };
}
