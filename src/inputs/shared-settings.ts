import { isIP } from 'node:net';
import { z } from 'zod';
import { ConfigurationError } from '../errors.js';
import { knownHostsLineIsValid } from '../remote/host-keys.js';
import { booleanField, choiceField, integerField, optionalText, secondsField } from './fields.js';
import { parseInputs, type InputReader } from './read-inputs.js';

export const SITE_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}$/;
const HOST_NAME =
  /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** A DNS name or IPv4 address, or an IP address in brackets, or a bare IPv6 address. */
export function isHostInput(value: string): boolean {
  if (HOST_NAME.test(value)) return true;
  const bracketed = /^\[(.*)\]$/.exec(value);
  return bracketed ? isIP(bracketed[1] ?? '') !== 0 : isIP(value) === 6;
}
const USER_PATTERN = /^[a-z_][a-z0-9_.-]{0,31}\$?$/i;
// No leading '-': a path segment must never read as a command option.
const ROOT_SEGMENT = /^[A-Za-z0-9._@+][A-Za-z0-9._@+-]*$/;

export const COMPOSE_COMMANDS = ['auto', 'docker compose', 'docker-compose'] as const;
export type ComposeCommandChoice = (typeof COMPOSE_COMMANDS)[number];

export interface ConnectionSettings {
  readonly transport: 'ssh' | 'local';
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly privateKey?: string;
  readonly passphrase?: string;
  readonly knownHosts?: string;
  readonly hostFingerprint?: string;
  readonly insecureIgnoreHostKey: boolean;
  readonly connectTimeoutMs: number;
  readonly connectRetries: number;
  readonly commandTimeoutMs: number;
}

export interface SiteSettings {
  readonly site: string;
  /** As the target resolves it: absolute, or relative to the login directory for `~/`. */
  readonly deployRoot: string;
  /** As the user wrote it, for messages. */
  readonly deployRootInput: string;
  readonly lockTimeoutSeconds: number;
  readonly composeCommand: ComposeCommandChoice;
  readonly dryRun: boolean;
  readonly allowForkPullRequests: boolean;
}

export interface SharedSettings {
  readonly connection: ConnectionSettings;
  readonly site: SiteSettings;
}

/** `~/berth` -> `berth` (SSH sessions start in the home directory); `/srv/x` stays. */
export function resolveDeployRoot(value: string): string | { error: string } {
  const rule =
    "must be an absolute path or start with '~/', use only letters, digits and ._@+- in its names (not starting with -), and have no '.' or '..' segments";
  let rest: string;
  let prefix: string;
  if (value.startsWith('~/')) {
    rest = value.slice(2);
    prefix = '';
  } else if (value.startsWith('/')) {
    rest = value.slice(1);
    prefix = '/';
  } else {
    return { error: rule };
  }
  const segments = rest.split('/').filter((s) => s !== '');
  if (segments.length === 0)
    return { error: `${rule}; it cannot be the home or root directory itself` };
  for (const segment of segments) {
    if (segment === '.' || segment === '..' || !ROOT_SEGMENT.test(segment)) return { error: rule };
  }
  return prefix + segments.join('/');
}

const sharedSchema = z.object({
  transport: choiceField(['ssh', 'local'] as const, 'ssh'),
  host: z.string().refine((v) => v === '' || isHostInput(v), {
    message: 'must be a host name or IP address',
  }),
  port: integerField(22, { min: 1, max: 65535 }),
  username: z.string().refine((v) => v === '' || USER_PATTERN.test(v), {
    message: 'must be a user name (letters, digits, ._- ; at most 32 characters)',
  }),
  'private-key': optionalText().refine(
    (v) => v === undefined || /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(v),
    { message: 'must be an OpenSSH or PEM private key (-----BEGIN ... PRIVATE KEY-----)' },
  ),
  passphrase: optionalText(),
  'known-hosts': optionalText().refine(
    (v) =>
      v === undefined ||
      v
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'))
        .every(knownHostsLineIsValid),
    { message: 'every line must be a known_hosts line: host pattern, key type, base64 key' },
  ),
  'host-fingerprint': optionalText().refine(
    (v) => v === undefined || /^SHA256:[A-Za-z0-9+/]{43}$/.test(v),
    { message: "must be 'SHA256:' followed by 43 base64 characters, as ssh-keygen -lf prints" },
  ),
  'insecure-ignore-host-key': booleanField(false),
  site: z.string().refine((v) => v === '' || SITE_PATTERN.test(v), {
    message:
      'must match ^[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}$ (letters, digits, _ and -, at most 64 characters)',
  }),
  'deploy-root': z.string().transform((value, ctx) => {
    const resolved = resolveDeployRoot(value === '' ? '~/berth' : value);
    if (typeof resolved === 'string') return resolved;
    ctx.addIssue({ code: 'custom', message: resolved.error });
    return z.NEVER;
  }),
  'lock-timeout': secondsField(300, { min: 0, max: 86_400 }),
  'command-timeout': secondsField(600, { min: 1, max: 86_400 }),
  'connect-timeout': secondsField(30, { min: 1, max: 600 }),
  'connect-retries': integerField(2, { min: 0, max: 10 }),
  'compose-command': choiceField(COMPOSE_COMMANDS, 'auto'),
  'dry-run': booleanField(false),
  'allow-fork-pull-requests': booleanField(false),
});

const SITE_RULE =
  'is required and must match ^[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}$ (letters, digits, _ and -, at most 64 characters)';

/** `siteOptional` is for health-gate, which can probe a URL without a site. */
export function parseSharedSettings(
  read: InputReader,
  { siteOptional = false }: { siteOptional?: boolean } = {},
): SharedSettings {
  const input = parseInputs(sharedSchema, read);
  if (input.site === '' && !siteOptional) throw new ConfigurationError('site', SITE_RULE);
  if (input.transport === 'ssh') {
    if (input.host === '')
      throw new ConfigurationError('host', "is required unless 'transport' is local");
    if (input.username === '') {
      throw new ConfigurationError('username', "is required unless 'transport' is local");
    }
    if (input['private-key'] === undefined) {
      throw new ConfigurationError('private-key', "is required unless 'transport' is local");
    }
  }
  const connection: ConnectionSettings = Object.freeze({
    transport: input.transport,
    host: input.host.replace(/^\[(.*)\]$/, '$1'),
    port: input.port,
    username: input.username,
    privateKey: input['private-key'],
    passphrase: input.passphrase,
    knownHosts: input['known-hosts'],
    hostFingerprint: input['host-fingerprint'],
    insecureIgnoreHostKey: input['insecure-ignore-host-key'],
    connectTimeoutMs: input['connect-timeout'],
    connectRetries: input['connect-retries'],
    commandTimeoutMs: input['command-timeout'],
  });
  const site: SiteSettings = Object.freeze({
    site: input.site,
    deployRoot: input['deploy-root'],
    deployRootInput: read('deploy-root') || '~/berth',
    lockTimeoutSeconds: Math.ceil(input['lock-timeout'] / 1000),
    composeCommand: input['compose-command'],
    dryRun: input['dry-run'],
    allowForkPullRequests: input['allow-fork-pull-requests'],
  });
  return Object.freeze({ connection, site });
}
