import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fingerprintOf,
  hostFieldMatches,
  hostLookupName,
  knownHostsLineIsValid,
  knownKeysFor,
  verifyHostKey,
  type KnownKey,
} from '../../src/remote/host-keys.js';

const SSH_KEYGEN = ['/usr/bin/ssh-keygen', '/bin/ssh-keygen', '/usr/local/bin/ssh-keygen'].find(
  existsSync,
);

/** Deterministic stand-ins for key blobs where no real key is needed. */
const BLOB_A = Buffer.from('ssh-ed25519 key blob A');
const BLOB_B = Buffer.from('ssh-ed25519 key blob B');
const BLOB_C = Buffer.from('ssh-ed25519 key blob C');
const b64 = (blob: Buffer) => blob.toString('base64');

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-hostkeys-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Generates a key pair with ssh-keygen and returns the public line's type and base64 blob. */
function generateKey(
  name: string,
  type: string,
): { type: string; base64: string; pubPath: string } {
  const path = join(dir, name);
  execFileSync(SSH_KEYGEN as string, ['-q', '-t', type, '-N', '', '-C', 'test', '-f', path]);
  const [keyType, base64] = readFileSync(`${path}.pub`, 'utf8').trim().split(/\s+/);
  return { type: keyType as string, base64: base64 as string, pubPath: `${path}.pub` };
}

describe('fingerprintOf', () => {
  it('is SHA256: and the unpadded base64 sha256 of the blob', () => {
    const digest = createHash('sha256').update(BLOB_A).digest('base64');
    expect(digest.endsWith('=')).toBe(true);
    expect(fingerprintOf(BLOB_A)).toBe(`SHA256:${digest.replace(/=+$/, '')}`);
    expect(fingerprintOf(BLOB_A)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('differs for different blobs', () => {
    expect(fingerprintOf(BLOB_A)).not.toBe(fingerprintOf(BLOB_B));
  });

  it.skipIf(!SSH_KEYGEN).each(['ed25519', 'rsa', 'ecdsa'])(
    'matches ssh-keygen -lf for a generated %s key',
    (type) => {
      const key = generateKey(`fp_${type}`, type);
      const printed = execFileSync(SSH_KEYGEN as string, ['-lf', key.pubPath], {
        encoding: 'utf8',
      });
      const expected = printed.split(/\s+/)[1];
      expect(expected).toMatch(/^SHA256:/);
      expect(fingerprintOf(Buffer.from(key.base64, 'base64'))).toBe(expected);
    },
  );
});

describe('hostLookupName', () => {
  it('is the lower-cased host on port 22', () => {
    expect(hostLookupName('Example.COM', 22)).toBe('example.com');
  });

  it('is [host]:port on any other port', () => {
    expect(hostLookupName('Example.com', 2222)).toBe('[example.com]:2222');
    expect(hostLookupName('10.0.0.1', 23)).toBe('[10.0.0.1]:23');
    expect(hostLookupName('::1', 2200)).toBe('[::1]:2200');
  });
});

describe('hostFieldMatches', () => {
  it('matches exact names case-insensitively', () => {
    expect(hostFieldMatches('example.com', 'example.com')).toBe(true);
    expect(hostFieldMatches('EXAMPLE.com', 'example.com')).toBe(true);
    expect(hostFieldMatches('example.com', 'example.org')).toBe(false);
    expect(hostFieldMatches('example.com', 'www.example.com')).toBe(false);
  });

  it('treats . literally, not as a regex wildcard', () => {
    expect(hostFieldMatches('example.com', 'exampleXcom')).toBe(false);
    expect(hostFieldMatches('10.0.0.1', '10a0b0c1')).toBe(false);
  });

  it('supports * and ? wildcards', () => {
    expect(hostFieldMatches('*.example.com', 'www.example.com')).toBe(true);
    expect(hostFieldMatches('*.example.com', 'a.b.example.com')).toBe(true);
    expect(hostFieldMatches('*.example.com', 'example.com')).toBe(false);
    expect(hostFieldMatches('web?.example.com', 'web1.example.com')).toBe(true);
    expect(hostFieldMatches('web?.example.com', 'web12.example.com')).toBe(false);
    expect(hostFieldMatches('*', 'anything')).toBe(true);
  });

  it('matches any of several comma-separated patterns', () => {
    expect(hostFieldMatches('a.com,b.com,10.0.0.1', 'b.com')).toBe(true);
    expect(hostFieldMatches('a.com,b.com,10.0.0.1', '10.0.0.1')).toBe(true);
    expect(hostFieldMatches('a.com,b.com', 'c.com')).toBe(false);
  });

  it('lets a matching negated pattern veto the line, wherever it appears', () => {
    expect(hostFieldMatches('*.example.com,!bad.example.com', 'bad.example.com')).toBe(false);
    expect(hostFieldMatches('!bad.example.com,*.example.com', 'bad.example.com')).toBe(false);
    expect(hostFieldMatches('*.example.com,!bad.example.com', 'good.example.com')).toBe(true);
  });

  it('does not match on a negated pattern alone', () => {
    expect(hostFieldMatches('!bad.example.com', 'good.example.com')).toBe(false);
  });

  it('matches [host]:port only against the same port', () => {
    expect(hostFieldMatches('[example.com]:2222', '[example.com]:2222')).toBe(true);
    expect(hostFieldMatches('[example.com]:2222', '[example.com]:2223')).toBe(false);
    expect(hostFieldMatches('[example.com]:2222', 'example.com')).toBe(false);
    expect(hostFieldMatches('example.com', '[example.com]:2222')).toBe(false);
    expect(hostFieldMatches('[*.example.com]:2222', '[www.example.com]:2222')).toBe(true);
  });

  it('matches hashed |1|salt|hash names', () => {
    const salt = Buffer.from('0123456789abcdefghij');
    const hash = createHmac('sha1', salt).update('example.com').digest('base64');
    const field = `|1|${salt.toString('base64')}|${hash}`;
    expect(hostFieldMatches(field, 'example.com')).toBe(true);
    expect(hostFieldMatches(field, 'example.org')).toBe(false);
    expect(hostFieldMatches(`!${field}`, 'example.com')).toBe(false);
    expect(hostFieldMatches(`*.com,!${field}`, 'example.com')).toBe(false);
    expect(hostFieldMatches(`*.com,!${field}`, 'other.com')).toBe(true);
  });

  it('refuses malformed hashed names', () => {
    expect(hostFieldMatches('|2|abc|def', 'example.com')).toBe(false);
    expect(hostFieldMatches('|1||', 'example.com')).toBe(false);
    expect(hostFieldMatches('|1|', 'example.com')).toBe(false);
  });

  it.skipIf(!SSH_KEYGEN)('agrees with ssh-keygen -F on hashed lines made by ssh-keygen -H', () => {
    const key = generateKey('hash_me', 'ed25519');
    const file = join(dir, 'known_hosts_hashed');
    writeFileSync(
      file,
      `example.com ${key.type} ${key.base64}\n[example.com]:2222 ${key.type} ${key.base64}\n`,
    );
    execFileSync(SSH_KEYGEN as string, ['-H', '-f', file], { stdio: 'ignore' });
    const text = readFileSync(file, 'utf8');
    const fields = text
      .trim()
      .split('\n')
      .map((line) => line.split(' ')[0] as string);
    expect(fields).toHaveLength(2);
    for (const field of fields) expect(field).toMatch(/^\|1\|[^|]+\|[^|]+$/);

    expect(hostFieldMatches(fields[0] as string, 'example.com')).toBe(true);
    expect(hostFieldMatches(fields[0] as string, '[example.com]:2222')).toBe(false);
    expect(hostFieldMatches(fields[1] as string, '[example.com]:2222')).toBe(true);
    expect(hostFieldMatches(fields[1] as string, 'example.com')).toBe(false);

    const blob = Buffer.from(key.base64, 'base64');
    expect(knownKeysFor(text, 'example.com', 22).map((k) => k.blob)).toEqual([blob]);
    expect(knownKeysFor(text, 'EXAMPLE.com', 2222).map((k) => k.blob)).toEqual([blob]);
    // No [example.com]:2200 entry: OpenSSH falls back to the bare name, as does Berth.
    expect(knownKeysFor(text, 'example.com', 2200).map((k) => k.blob)).toEqual([blob]);
    expect(knownKeysFor(text, 'example.org', 22)).toEqual([]);
  });

  it.skipIf(!SSH_KEYGEN)('agrees with ssh-keygen -F on plain patterns', () => {
    const key = generateKey('patterns', 'ed25519');
    const fieldsList = [
      'example.com',
      '*.example.com',
      'web?.example.com',
      '*',
      '!bad.example.com,*.example.com',
      '*.example.com,!bad.example.com',
      '[example.com]:2222',
      '[*.example.com]:2222',
      'a.com,b.com',
      '!b.com',
      '10.0.0.*',
      '[10.0.0.1]:2200',
      'ex*le.com',
    ];
    const names = [
      'example.com',
      'www.example.com',
      'web1.example.com',
      'web12.example.com',
      'bad.example.com',
      '[example.com]:2222',
      '[www.example.com]:2222',
      'b.com',
      'c.com',
      '10.0.0.5',
      '[10.0.0.1]:2200',
      'exle.com',
    ];
    const file = join(dir, 'known_hosts_patterns');
    writeFileSync(file, fieldsList.map((f) => `${f} ${key.type} ${key.base64}\n`).join(''));
    for (const name of names) {
      const result = spawnSync(SSH_KEYGEN as string, ['-F', name, '-f', file], {
        encoding: 'utf8',
      });
      const sshLines = [...result.stdout.matchAll(/found: line (\d+)/g)].map((m) => Number(m[1]));
      const ours = fieldsList.flatMap((field, i) => (hostFieldMatches(field, name) ? [i + 1] : []));
      expect({ name, lines: ours }).toEqual({ name, lines: sshLines });
    }
  });
});

describe('knownKeysFor', () => {
  const text = [
    '# a comment line',
    '   ',
    `example.com ssh-ed25519 ${b64(BLOB_A)}`,
    `other.com ssh-ed25519 ${b64(BLOB_B)}`,
    `  example.com,10.0.0.1   ssh-rsa   ${b64(BLOB_B)}  trailing comment  `,
    `@revoked example.com ssh-ed25519 ${b64(BLOB_C)}`,
    `@cert-authority *.com ssh-ed25519 ${b64(BLOB_C)}`,
    `@unknown-marker example.com ssh-ed25519 ${b64(BLOB_C)}`,
    'example.com ssh-ed25519',
    `[example.com]:2222 ssh-ed25519 ${b64(BLOB_C)}`,
  ].join('\r\n');

  it('keeps the matching entries, skipping comments and blank lines', () => {
    const keys = knownKeysFor(text, 'example.com', 22);
    // Most preferred key type first (OpenSSH's HostKeyAlgorithms order), file order within a type.
    expect(keys).toEqual<KnownKey[]>([
      { type: 'ssh-ed25519', blob: BLOB_A, revoked: false },
      { type: 'ssh-ed25519', blob: BLOB_C, revoked: true },
      { type: 'ssh-rsa', blob: BLOB_B, revoked: false },
    ]);
  });

  it('marks @revoked entries and skips @cert-authority and unknown markers', () => {
    const keys = knownKeysFor(text, 'example.com', 22);
    expect(keys.filter((k) => k.revoked)).toHaveLength(1);
    // The CA line matches *.com, but must never vouch for a key.
    expect(knownKeysFor(text, 'zzz.com', 22)).toEqual([]);
  });

  it('uses [host]:port for other ports', () => {
    expect(knownKeysFor(text, 'example.com', 2222)).toEqual<KnownKey[]>([
      { type: 'ssh-ed25519', blob: BLOB_C, revoked: false },
    ]);
  });

  it('matches another name on a comma-separated line', () => {
    expect(knownKeysFor(text, '10.0.0.1', 22)).toEqual<KnownKey[]>([
      { type: 'ssh-rsa', blob: BLOB_B, revoked: false },
    ]);
  });

  it('is empty for no text or no matching host', () => {
    expect(knownKeysFor('', 'example.com', 22)).toEqual([]);
    expect(knownKeysFor(text, 'nowhere.net', 22)).toEqual([]);
  });
});

describe('knownHostsLineIsValid', () => {
  it('accepts host, type and base64, with an optional marker and comment', () => {
    expect(knownHostsLineIsValid(`example.com ssh-ed25519 ${b64(BLOB_A)}`)).toBe(true);
    expect(knownHostsLineIsValid(`@revoked example.com ssh-ed25519 ${b64(BLOB_A)} comment`)).toBe(
      true,
    );
    expect(knownHostsLineIsValid(`[h]:2222 ecdsa-sha2-nistp256 ${b64(BLOB_A)}`)).toBe(true);
  });

  it('refuses lines missing fields or with a bad key', () => {
    expect(knownHostsLineIsValid('example.com ssh-ed25519')).toBe(false);
    expect(knownHostsLineIsValid('example.com')).toBe(false);
    expect(knownHostsLineIsValid('')).toBe(false);
    expect(knownHostsLineIsValid('example.com ssh-ed25519 not*base64')).toBe(false);
    expect(knownHostsLineIsValid(`example.com ssh_ed25519! ${b64(BLOB_A)}`)).toBe(false);
  });
});

describe('verifyHostKey', () => {
  const good: KnownKey = { type: 'ssh-ed25519', blob: BLOB_A, revoked: false };
  const revokedA: KnownKey = { type: 'ssh-ed25519', blob: BLOB_A, revoked: true };
  const other: KnownKey = { type: 'ssh-ed25519', blob: BLOB_B, revoked: false };

  it('accepts a key listed in known-hosts', () => {
    expect(verifyHostKey(BLOB_A, { knownKeys: [other, good] })).toEqual({ ok: true });
  });

  it('refuses a key not listed, naming its fingerprint', () => {
    const verdict = verifyHostKey(BLOB_C, { knownKeys: [good, other] });
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.reason).toContain(fingerprintOf(BLOB_C));
    expect(!verdict.ok && verdict.reason).toContain('known-hosts');
  });

  it('refuses when there are no known keys at all', () => {
    expect(verifyHostKey(BLOB_A, { knownKeys: [] }).ok).toBe(false);
  });

  it('lets @revoked win over a matching entry', () => {
    const verdict = verifyHostKey(BLOB_A, { knownKeys: [good, revokedA] });
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.reason).toContain('@revoked');
  });

  it('lets @revoked win over a matching fingerprint', () => {
    const verdict = verifyHostKey(BLOB_A, {
      knownKeys: [revokedA],
      fingerprint: fingerprintOf(BLOB_A),
    });
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.reason).toContain('@revoked');
  });

  it('does not accept a revoked entry as a listed key', () => {
    expect(verifyHostKey(BLOB_A, { knownKeys: [revokedA] }).ok).toBe(false);
  });

  it('accepts a matching fingerprint', () => {
    expect(verifyHostKey(BLOB_B, { knownKeys: [], fingerprint: fingerprintOf(BLOB_B) })).toEqual({
      ok: true,
    });
  });

  it('refuses a fingerprint mismatch, naming both fingerprints', () => {
    const expected = fingerprintOf(BLOB_B);
    const verdict = verifyHostKey(BLOB_A, { knownKeys: [], fingerprint: expected });
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.reason).toContain(expected);
    expect(!verdict.ok && verdict.reason).toContain(fingerprintOf(BLOB_A));
    expect(!verdict.ok && verdict.reason).toContain('host-fingerprint');
  });

  it('holds to the fingerprint when both it and known-hosts are given', () => {
    expect(
      verifyHostKey(BLOB_A, { knownKeys: [good], fingerprint: fingerprintOf(BLOB_B) }).ok,
    ).toBe(false);
  });
});
