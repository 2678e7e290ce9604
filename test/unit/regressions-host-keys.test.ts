import { describe, expect, it } from 'vitest';
import { knownKeysFor, verifyHostKey } from '../../src/remote/host-keys.js';

/**
 * Regressions found by the host-key reliability cases (test/e2e/reliability-hostkeys.test.ts),
 * where Berth refused a known_hosts text that OpenSSH 9.2 accepts.
 */

const ED_RIGHT = Buffer.from('ed25519 blob the server presents');
const ED_WRONG = Buffer.from('ed25519 blob of another server');
const RSA_RIGHT = Buffer.from('rsa blob the server presents');
const RSA_WRONG = Buffer.from('rsa blob of another server');
const b64 = (blob: Buffer) => blob.toString('base64');

describe('known key order follows OpenSSH preference, not line order', () => {
  it('puts an ed25519 line before an earlier rsa line', () => {
    // A stale rsa line first made Berth offer only rsa first; the server then presented its
    // (different) rsa key and Berth refused, while OpenSSH asks for ed25519 and connects.
    const text = [
      `[h.example]:2222 ssh-rsa ${b64(RSA_WRONG)}`,
      `[h.example]:2222 ssh-ed25519 ${b64(ED_RIGHT)}`,
    ].join('\n');
    const keys = knownKeysFor(text, 'h.example', 2222);
    expect(keys.map((k) => k.type)).toEqual(['ssh-ed25519', 'ssh-rsa']);
    expect(verifyHostKey(ED_RIGHT, { knownKeys: keys })).toEqual({ ok: true });
  });

  it('keeps line order within one type and puts unknown types last', () => {
    const text = [
      `h.example foo-unknown ${b64(ED_WRONG)}`,
      `h.example ssh-rsa ${b64(RSA_RIGHT)}`,
      `h.example ecdsa-sha2-nistp256 ${b64(ED_WRONG)}`,
      `h.example ssh-ed25519 ${b64(ED_WRONG)}`,
      `h.example ssh-ed25519 ${b64(ED_RIGHT)}`,
    ].join('\n');
    expect(knownKeysFor(text, 'h.example', 22).map((k) => [k.type, k.blob])).toEqual([
      ['ssh-ed25519', ED_WRONG],
      ['ssh-ed25519', ED_RIGHT],
      ['ecdsa-sha2-nistp256', ED_WRONG],
      ['ssh-rsa', RSA_RIGHT],
      ['foo-unknown', ED_WRONG],
    ]);
  });
});

describe('a non-22 port falls back to the bare host name like OpenSSH', () => {
  it('uses a port-less line when there is no [host]:port entry', () => {
    const keys = knownKeysFor(`h.example ssh-ed25519 ${b64(ED_RIGHT)}`, 'h.example', 2222);
    expect(keys).toEqual([{ type: 'ssh-ed25519', blob: ED_RIGHT, revoked: false }]);
  });

  it('never falls back past a [host]:port entry, even a wrong one', () => {
    const text = [
      `[h.example]:2222 ssh-ed25519 ${b64(ED_WRONG)}`,
      `h.example ssh-ed25519 ${b64(ED_RIGHT)}`,
    ].join('\n');
    const keys = knownKeysFor(text, 'h.example', 2222);
    expect(keys.map((k) => k.blob)).toEqual([ED_WRONG]);
    expect(verifyHostKey(ED_RIGHT, { knownKeys: keys }).ok).toBe(false);
  });

  it('falls back when the [host]:port entries are all @revoked, and the revocation still vetoes', () => {
    const text = [
      `@revoked [h.example]:2222 ssh-ed25519 ${b64(ED_RIGHT)}`,
      `h.example ssh-ed25519 ${b64(ED_RIGHT)}`,
    ].join('\n');
    const keys = knownKeysFor(text, 'h.example', 2222);
    expect(keys).toHaveLength(2);
    const verdict = verifyHostKey(ED_RIGHT, { knownKeys: keys });
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.reason).toContain('@revoked');
  });

  it('ignores a port-less @revoked line when [host]:port vouches for the key', () => {
    const text = [
      `@revoked h.example ssh-ed25519 ${b64(ED_RIGHT)}`,
      `[h.example]:2222 ssh-ed25519 ${b64(ED_RIGHT)}`,
    ].join('\n');
    const keys = knownKeysFor(text, 'h.example', 2222);
    expect(keys).toEqual([{ type: 'ssh-ed25519', blob: ED_RIGHT, revoked: false }]);
  });

  it('applies a negation that vetoes [host]:port but lets the bare name match', () => {
    const text = `*,![h.example]:2222 ssh-ed25519 ${b64(ED_RIGHT)}`;
    expect(knownKeysFor(text, 'h.example', 2222).map((k) => k.blob)).toEqual([ED_RIGHT]);
    const both = `*,!h.example,![h.example]:2222 ssh-ed25519 ${b64(ED_RIGHT)}`;
    expect(knownKeysFor(both, 'h.example', 2222)).toEqual([]);
  });

  it('does not fall back on port 22 or to a line for another port', () => {
    expect(knownKeysFor(`[h.example]:2222 ssh-ed25519 ${b64(ED_RIGHT)}`, 'h.example', 22)).toEqual(
      [],
    );
    expect(knownKeysFor(`[h.example]:22 ssh-ed25519 ${b64(ED_RIGHT)}`, 'h.example', 2222)).toEqual(
      [],
    );
  });
});
