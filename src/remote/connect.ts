import { createConnection } from 'node:net';
import { NodeSSH } from 'node-ssh';
import type { Algorithms } from 'ssh2';
import { ConnectionError, HostKeyError } from '../errors.js';
import type { ConnectionSettings } from '../inputs/shared-settings.js';
import { knownKeysFor, verifyHostKey } from './host-keys.js';
import { LocalRunner } from './local-runner.js';
import type { CommandListener, Runner } from './runner.js';
import { SshRunner } from './ssh-runner.js';

export interface ConnectHooks {
  onCommand: CommandListener;
  warn(message: string): void;
  info(message: string): void;
}

/** Host-key algorithm names ssh2 negotiates for each known_hosts key type. */
function hostKeyAlgorithmsFor(types: readonly string[]): Algorithms['serverHostKey'] {
  const names = new Set<string>();
  for (const type of types) {
    if (type === 'ssh-rsa')
      ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'].forEach((n) => names.add(n));
    else names.add(type);
  }
  return [...names] as Algorithms['serverHostKey'];
}

/** Errors worth another attempt: the network, not the credentials or the host key. */
function isTransient(error: unknown): boolean {
  if (error instanceof HostKeyError) return false;
  const message = error instanceof Error ? error.message : String(error);
  return !/authentication|passphrase|private key|Cannot parse/i.test(message);
}

export async function openRunner(
  settings: ConnectionSettings,
  hooks: ConnectHooks,
): Promise<Runner> {
  if (settings.transport === 'local') {
    return new LocalRunner(settings.commandTimeoutMs, hooks.onCommand);
  }
  const target = `${settings.username}@${settings.host}:${settings.port}`;
  const knownKeys = knownKeysFor(settings.knownHosts ?? '', settings.host, settings.port);
  if (settings.insecureIgnoreHostKey) {
    hooks.warn(
      `insecure-ignore-host-key is true: the identity of ${settings.host} is NOT verified; ` +
        'anyone who can intercept the connection can impersonate the server.',
    );
  } else if (settings.hostFingerprint === undefined && !knownKeys.some((k) => !k.revoked)) {
    throw new HostKeyError(
      `No host key for ${settings.host} port ${settings.port} in 'known-hosts'` +
        (settings.knownHosts ? ' (the lines given are for other hosts or revoked)' : '') +
        `. Get one with \`ssh-keyscan -p ${settings.port} ${settings.host}\`, check it out of band, ` +
        "and pass it as 'known-hosts' (or pass 'host-fingerprint').",
    );
  }
  const usableTypes = knownKeys.filter((k) => !k.revoked).map((k) => k.type);
  let rejection: string | undefined;
  const attempts = settings.connectRetries + 1;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    rejection = undefined;
    const ssh = new NodeSSH();
    const sock = createConnection({ host: settings.host, port: settings.port, noDelay: true });
    // Errors before ssh2 takes the socket (it parses the key first) would otherwise be unhandled.
    sock.on('error', () => undefined);
    try {
      await ssh.connect({
        // Our own socket, for TCP_NODELAY: sshd does not set it for exec sessions, and
        // without it on our side each small command waits ~40 ms on delayed ACKs.
        sock,
        host: settings.host,
        port: settings.port,
        username: settings.username,
        privateKey: settings.privateKey,
        passphrase: settings.passphrase,
        readyTimeout: settings.connectTimeoutMs,
        // A connection that goes silent is declared dead after about four intervals;
        // a short connect-timeout (a nearby host) also means quicker detection.
        keepaliveInterval: Math.min(
          10_000,
          Math.max(1000, Math.round(settings.connectTimeoutMs / 3)),
        ),
        keepaliveCountMax: 3,
        ...(usableTypes.length > 0 &&
        settings.hostFingerprint === undefined &&
        !settings.insecureIgnoreHostKey
          ? { algorithms: { serverHostKey: hostKeyAlgorithmsFor(usableTypes) } }
          : {}),
        hostVerifier: (key: Buffer) => {
          if (settings.insecureIgnoreHostKey) return true;
          const verdict = verifyHostKey(key, {
            knownKeys,
            fingerprint: settings.hostFingerprint,
          });
          if (!verdict.ok) rejection = verdict.reason;
          return verdict.ok;
        },
      });
      const client = ssh.connection;
      if (!client) throw new ConnectionError('SSH connection closed right after connecting');
      return new SshRunner(client, target, settings.commandTimeoutMs, hooks.onCommand);
    } catch (error) {
      ssh.dispose();
      // A key that fails to parse throws before ssh2 owns the socket; without this the
      // process would wait for sshd's login grace time to drop the connection.
      sock.destroy();
      if (rejection !== undefined) {
        throw new HostKeyError(`Refusing to connect to ${target}: ${rejection}`);
      }
      lastError = error;
      if (!isTransient(error) || attempt === attempts) break;
      hooks.info(
        `Connecting to ${target} failed (${String((error as Error).message ?? error)}); retrying`,
      );
    }
  }
  const message = lastError instanceof Error ? lastError.message : String(lastError);
  throw new ConnectionError(
    `Could not connect to ${target}: ${message}` +
      (/timed out/i.test(message)
        ? ` (input 'connect-timeout' ${settings.connectTimeoutMs / 1000}s)`
        : ''),
  );
}
