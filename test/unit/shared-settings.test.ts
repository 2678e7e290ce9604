import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import {
  parseSharedSettings,
  resolveDeployRoot,
  type SharedSettings,
} from '../../src/inputs/shared-settings.js';

const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----';
const FINGERPRINT = 'SHA256:' + 'A'.repeat(42) + 'c';
const KNOWN_LINE = 'example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHdA';

const BASE: Record<string, string> = {
  site: 'shop',
  host: 'example.com',
  username: 'deploy',
  'private-key': KEY,
};

function reader(values: Record<string, string>) {
  const merged: Record<string, string> = { ...BASE, ...values };
  return (name: string) => merged[name] ?? '';
}

function parse(values: Record<string, string> = {}): SharedSettings {
  return parseSharedSettings(reader(values));
}

/** Runs `fn`, expecting a ConfigurationError for `input`; returns it for further checks. */
function configError(fn: () => unknown, input: string): ConfigurationError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigurationError);
  const error = caught as ConfigurationError;
  expect(error.input).toBe(input);
  expect(error.message).toContain(`Input '${input}'`);
  return error;
}

describe('parseSharedSettings defaults', () => {
  it('fills every default', () => {
    const { connection, site } = parse();
    expect(connection).toMatchObject({
      transport: 'ssh',
      host: 'example.com',
      port: 22,
      username: 'deploy',
      privateKey: KEY,
      passphrase: undefined,
      knownHosts: undefined,
      hostFingerprint: undefined,
      insecureIgnoreHostKey: false,
      connectTimeoutMs: 30_000,
      connectRetries: 2,
      commandTimeoutMs: 600_000,
    });
    expect(site).toMatchObject({
      site: 'shop',
      deployRoot: 'berth',
      deployRootInput: '~/berth',
      lockTimeoutSeconds: 300,
      composeCommand: 'auto',
      dryRun: false,
    });
  });

  it('returns frozen settings', () => {
    const settings = parse();
    expect(Object.isFrozen(settings)).toBe(true);
    expect(Object.isFrozen(settings.connection)).toBe(true);
    expect(Object.isFrozen(settings.site)).toBe(true);
  });
});

describe('site', () => {
  it.each(['a', 'shop', 'My_Site-2', '0day', 'a'.repeat(64)])('accepts %j', (site) => {
    expect(parse({ site }).site.site).toBe(site);
  });

  it.each([
    ['empty', ''],
    ['slash', 'a/b'],
    ['dot-dot', '..'],
    ['dot', '.'],
    ['space', 'a b'],
    ['dollar', 'a$b'],
    ['65 characters', 'a'.repeat(65)],
    ['leading dash', '-shop'],
    ['leading underscore', '_shop'],
    ['dot inside', 'a.b'],
    ['unicode', 'café'],
    ['newline', 'a\nb'],
  ])('refuses %s', (_label, site) => {
    configError(() => parse({ site }), 'site');
  });
});

describe('port', () => {
  it.each([
    ['', 22],
    ['1', 1],
    ['2222', 2222],
    ['65535', 65535],
  ])('%j -> %d', (port, expected) => {
    expect(parse({ port }).connection.port).toBe(expected);
  });

  it.each(['0', '65536', 'abc', '-1', '22.5', '1e3', '22x', '0x16'])('refuses %j', (port) => {
    configError(() => parse({ port }), 'port');
  });
});

describe('timeouts and retries', () => {
  it('reads seconds, decimals allowed, as milliseconds', () => {
    const { connection, site } = parse({
      'command-timeout': '1.5',
      'connect-timeout': '600',
      'connect-retries': '0',
      'lock-timeout': '2.5',
    });
    expect(connection.commandTimeoutMs).toBe(1500);
    expect(connection.connectTimeoutMs).toBe(600_000);
    expect(connection.connectRetries).toBe(0);
    // Whole seconds for flock, rounded up.
    expect(site.lockTimeoutSeconds).toBe(3);
  });

  it('allows a zero lock timeout', () => {
    expect(parse({ 'lock-timeout': '0' }).site.lockTimeoutSeconds).toBe(0);
  });

  it.each([
    ['lock-timeout', 'abc'],
    ['lock-timeout', '-5'],
    ['lock-timeout', '5s'],
    ['lock-timeout', '1e3'],
    ['lock-timeout', '86401'],
    ['command-timeout', '0'],
    ['command-timeout', 'ten'],
    ['command-timeout', '.5'],
    ['connect-timeout', '601'],
    ['connect-timeout', '0.5'],
    ['connect-timeout', 'NaN'],
    ['connect-retries', '11'],
    ['connect-retries', '1.5'],
    ['connect-retries', 'x'],
  ])('refuses %s %j', (input, value) => {
    configError(() => parse({ [input]: value }), input);
  });
});

describe('compose-command', () => {
  it.each(['auto', 'docker compose', 'docker-compose'] as const)('accepts %j', (value) => {
    expect(parse({ 'compose-command': value }).site.composeCommand).toBe(value);
  });

  it.each(['podman compose', 'docker  compose', 'Docker-Compose', 'docker'])(
    'refuses %j',
    (value) => {
      const error = configError(() => parse({ 'compose-command': value }), 'compose-command');
      expect(error.rule).toContain("'docker compose'");
    },
  );
});

describe('deploy-root', () => {
  it.each([
    ['~/x', 'x'],
    ['~/apps/berth', 'apps/berth'],
    ['~//x/', 'x'],
    ['/srv/x', '/srv/x'],
    ['/srv//x/', '/srv/x'],
    ['/opt/a.b_c@d+e-f', '/opt/a.b_c@d+e-f'],
  ])('%j -> %j', (value, expected) => {
    const { site } = parse({ 'deploy-root': value });
    expect(site.deployRoot).toBe(expected);
    expect(site.deployRootInput).toBe(value);
  });

  it.each([
    ['relative', 'x'],
    ['dot-relative', './x'],
    ['parent segment', '~/a/../b'],
    ['parent at the end', '/srv/..'],
    ['parent at the start', '/../etc'],
    ['dot segment', '/srv/./x'],
    ['home itself', '~'],
    ['home itself with slash', '~/'],
    ['root', '/'],
    ['other user home', '~user/x'],
    ['space', '/srv/a b'],
    ['dollar', '/srv/$x'],
    ['backtick', '/srv/`x`'],
    ['quote', "/srv/it's"],
    ['newline', '/srv/a\nb'],
  ])('refuses %s', (_label, value) => {
    configError(() => parse({ 'deploy-root': value }), 'deploy-root');
  });

  it('resolveDeployRoot reports the rule instead of throwing', () => {
    expect(resolveDeployRoot('/srv/x')).toBe('/srv/x');
    const refused = resolveDeployRoot('x');
    expect(typeof refused === 'object' && refused.error).toContain('absolute');
    const root = resolveDeployRoot('/');
    expect(typeof root === 'object' && root.error).toContain('root directory itself');
  });
});

describe('connection requirements', () => {
  it.each(['host', 'username', 'private-key'])('requires %s for ssh', (input) => {
    const error = configError(() => parse({ [input]: '' }), input);
    expect(error.rule).toContain('required');
  });

  it('needs no host, user or key for the local transport', () => {
    const { connection } = parse({ transport: 'local', host: '', username: '', 'private-key': '' });
    expect(connection.transport).toBe('local');
    expect(connection.host).toBe('');
    expect(connection.privateKey).toBeUndefined();
  });

  it('refuses an unknown transport', () => {
    configError(() => parse({ transport: 'telnet' }), 'transport');
  });

  it.each(['example.com', 'web-1.example.com', '203.0.113.7', 'localhost'])(
    'accepts host %j',
    (host) => {
      expect(parse({ host }).connection.host).toBe(host);
    },
  );

  it('strips the brackets of an IPv6 host', () => {
    expect(parse({ host: '[2001:db8::1]' }).connection.host).toBe('2001:db8::1');
    expect(parse({ host: '::1' }).connection.host).toBe('::1');
  });

  it.each(['-oProxyCommand=x', 'a b', 'host;rm', 'user@host', 'a_b.com', '-x.com', 'x-.com'])(
    'refuses host %j',
    (host) => {
      configError(() => parse({ host }), 'host');
    },
  );

  it.each(['deploy', 'www-data', '_svc', 'machine$'])('accepts username %j', (username) => {
    expect(parse({ username }).connection.username).toBe(username);
  });

  it.each(['-oX', 'a b', '1user', 'a'.repeat(33), 'root;id'])('refuses username %j', (username) => {
    configError(() => parse({ username }), 'username');
  });

  it('refuses a private key that is not PEM/OpenSSH', () => {
    configError(() => parse({ 'private-key': 'ssh-ed25519 AAAA public key' }), 'private-key');
  });

  it('accepts a PEM RSA key and keeps the passphrase', () => {
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nx\n-----END RSA PRIVATE KEY-----';
    const { connection } = parse({ 'private-key': pem, passphrase: 'pw' });
    expect(connection.privateKey).toBe(pem);
    expect(connection.passphrase).toBe('pw');
  });
});

describe('host key settings', () => {
  it('keeps valid known-hosts text, comments allowed', () => {
    const text = `# comment\n${KNOWN_LINE}\n\n@revoked other ssh-rsa AAAA`;
    expect(parse({ 'known-hosts': text }).connection.knownHosts).toBe(text);
  });

  it.each(['garbage', `${KNOWN_LINE}\nexample.com ssh-ed25519`, 'example.com ssh-ed25519 $$$'])(
    'refuses known-hosts %j',
    (text) => {
      configError(() => parse({ 'known-hosts': text }), 'known-hosts');
    },
  );

  it('accepts a SHA256 fingerprint', () => {
    expect(parse({ 'host-fingerprint': FINGERPRINT }).connection.hostFingerprint).toBe(FINGERPRINT);
  });

  it.each([
    'SHA256:abc',
    FINGERPRINT + '=',
    'MD5:' + 'A'.repeat(43),
    'sha256:' + 'A'.repeat(43),
    'SHA256:' + 'A'.repeat(42) + '!',
  ])('refuses fingerprint %j', (value) => {
    configError(() => parse({ 'host-fingerprint': value }), 'host-fingerprint');
  });

  it.each([
    ['', false],
    ['true', true],
    ['TRUE', true],
    ['false', false],
  ])('insecure-ignore-host-key %j -> %s', (value, expected) => {
    expect(parse({ 'insecure-ignore-host-key': value }).connection.insecureIgnoreHostKey).toBe(
      expected,
    );
  });

  it.each(['yes', '1', 'on'])('refuses boolean %j', (value) => {
    configError(() => parse({ 'insecure-ignore-host-key': value }), 'insecure-ignore-host-key');
    configError(() => parse({ 'dry-run': value }), 'dry-run');
  });

  it('reads dry-run', () => {
    expect(parse({ 'dry-run': 'true' }).site.dryRun).toBe(true);
  });

  it('reads allow-fork-pull-requests, off by default', () => {
    expect(parse().site.allowForkPullRequests).toBe(false);
    expect(parse({ 'allow-fork-pull-requests': 'true' }).site.allowForkPullRequests).toBe(true);
    configError(() => parse({ 'allow-fork-pull-requests': 'maybe' }), 'allow-fork-pull-requests');
  });
});
