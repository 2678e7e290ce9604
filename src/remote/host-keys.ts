import { createHash, createHmac } from 'node:crypto';

/** One usable known_hosts entry for the host being verified. */
export interface KnownKey {
  readonly type: string;
  readonly blob: Buffer;
  readonly revoked: boolean;
}

/** `SHA256:` plus unpadded base64 of the key blob's digest, as `ssh-keygen -lf` prints. */
export function fingerprintOf(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** The name OpenSSH looks up: `host`, or `[host]:port` when the port is not 22. */
export function hostLookupName(host: string, port: number): string {
  return port === 22 ? host.toLowerCase() : `[${host.toLowerCase()}]:${port}`;
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

function matchesHashed(entry: string, name: string): boolean {
  const [, magic, salt, hash] = entry.split('|');
  if (magic !== '1' || !salt || !hash) return false;
  const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return digest === hash;
}

/**
 * OpenSSH's host-pattern rules: comma-separated patterns with `*`/`?`,
 * `!` negation that vetoes the line, hashed `|1|` names, `[host]:port`.
 */
export function hostFieldMatches(field: string, name: string): boolean {
  let matched = false;
  for (const raw of field.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    const hit = pattern.startsWith('|')
      ? matchesHashed(pattern, name)
      : globToRegExp(pattern).test(name);
    if (hit && negated) return false;
    if (hit) matched = true;
  }
  return matched;
}

/** Entries whose host field matches `name` exactly as OpenSSH looks it up. */
function entriesFor(text: string, name: string): KnownKey[] {
  const keys: KnownKey[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let revoked = false;
    if (fields[0]?.startsWith('@')) {
      const marker = fields.shift();
      // Certificate authorities are not supported; such lines never vouch for a key.
      if (marker === '@cert-authority') continue;
      revoked = marker === '@revoked';
      if (!revoked) continue;
    }
    const [hosts, type, base64] = fields;
    if (!hosts || !type || !base64) continue;
    if (!hostFieldMatches(hosts, name)) continue;
    keys.push({ type, blob: Buffer.from(base64, 'base64'), revoked });
  }
  return keys;
}

/**
 * Key types in OpenSSH's default `HostKeyAlgorithms` order (ssh-rsa stands for
 * rsa-sha2-512/256). The caller offers the server exactly the known types in
 * this order, so the server presents the same key OpenSSH would ask for, not
 * whichever type happens to come first in the text.
 */
const TYPE_PREFERENCE = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'ssh-rsa',
  'ssh-dss',
];

function preference(type: string): number {
  const index = TYPE_PREFERENCE.indexOf(type);
  return index === -1 ? TYPE_PREFERENCE.length : index;
}

/**
 * Parses known_hosts text and keeps the entries that apply to `host`/`port`,
 * most preferred key type first (stable within a type).
 *
 * Like OpenSSH, a non-22 port is looked up as `[host]:port`; only when that
 * finds no usable (non-revoked) entry at all is the bare `host` consulted
 * ("checking without port identifier"). `@revoked` entries for `[host]:port`
 * are kept either way, so they still veto their key.
 */
export function knownKeysFor(text: string, host: string, port: number): KnownKey[] {
  let keys = entriesFor(text, hostLookupName(host, port));
  if (port !== 22 && !keys.some((k) => !k.revoked)) {
    keys = [...keys, ...entriesFor(text, host.toLowerCase())];
  }
  return keys
    .map((key, index) => ({ key, index }))
    .sort((a, b) => preference(a.key.type) - preference(b.key.type) || a.index - b.index)
    .map(({ key }) => key);
}

/** Checks a line of known_hosts text for the shape OpenSSH expects. */
export function knownHostsLineIsValid(line: string): boolean {
  const fields = line.trim().split(/\s+/);
  if (fields[0]?.startsWith('@')) fields.shift();
  const [hosts, type, base64] = fields;
  return (
    !!hosts &&
    !!type &&
    /^[a-z0-9@.-]+$/i.test(type) &&
    !!base64 &&
    /^[A-Za-z0-9+/]+={0,2}$/.test(base64)
  );
}

export type HostKeyVerdict = { ok: true } | { ok: false; reason: string };

/** The decision for a key the server presented. */
export function verifyHostKey(
  presented: Buffer,
  policy: { knownKeys: readonly KnownKey[]; fingerprint?: string },
): HostKeyVerdict {
  const presentedFingerprint = fingerprintOf(presented);
  if (policy.knownKeys.some((k) => k.revoked && k.blob.equals(presented))) {
    return { ok: false, reason: `host key ${presentedFingerprint} is marked @revoked` };
  }
  if (policy.fingerprint !== undefined) {
    if (policy.fingerprint === presentedFingerprint) return { ok: true };
    return {
      ok: false,
      reason: `host key ${presentedFingerprint} does not match 'host-fingerprint' ${policy.fingerprint}`,
    };
  }
  if (policy.knownKeys.some((k) => !k.revoked && k.blob.equals(presented))) return { ok: true };
  return {
    ok: false,
    reason: `host key ${presentedFingerprint} is not among the keys in 'known-hosts' for this host`,
  };
}
