import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import { isHostInput, parseSharedSettings } from '../../src/inputs/shared-settings.js';
import { collectWorkspaceFiles } from '../../src/inputs/workspace-files.js';

/**
 * Regressions found by the hostile-input corpus (test/e2e/hostile-inputs.json).
 */

const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----';

function parseHost(host: string) {
  const values: Record<string, string> = {
    site: 'shop',
    host,
    username: 'deploy',
    'private-key': KEY,
  };
  return parseSharedSettings((name) => values[name] ?? '');
}

describe("'host' accepts only a host name or an IP address", () => {
  // The old pattern allowed any run of hex digits, ':' and '.' with optional brackets, so
  // '127.0.0.1:2222' (a port in the host) or '[127.0.0.1' passed and went to DNS as names.
  it.each([
    '127.0.0.1:2222',
    '[127.0.0.1',
    '::1]',
    '[::1',
    ':::::',
    '....',
    '[.]',
    '[]',
    '1.2.3.4:22',
    '[example.com]',
  ])('refuses %j', (host) => {
    expect(isHostInput(host)).toBe(false);
    expect(() => parseHost(host)).toThrow(ConfigurationError);
    expect(() => parseHost(host)).toThrow("Input 'host'");
  });

  it.each([
    ['example.com', 'example.com'],
    ['127.0.0.1', '127.0.0.1'],
    ['[127.0.0.1]', '127.0.0.1'],
    ['::1', '::1'],
    ['[::1]', '::1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['fe80::1', 'fe80::1'],
    ['deadbeef', 'deadbeef'],
  ])('accepts %j as %j', (host, connected) => {
    expect(isHostInput(host)).toBe(true);
    expect(parseHost(host).connection.host).toBe(connected);
  });
});

describe("a symlink cycle under 'files' is refused naming the input", () => {
  // It used to recurse until the path was too long and fail with a bare ELOOP error
  // ("Berth: ELOOP: too many symbolic links encountered ..."), naming no input.
  it('refuses loop/a/up -> .. and still allows two links to one directory', () => {
    const ws = mkdtempSync(join(tmpdir(), 'berth-loop-'));
    try {
      mkdirSync(join(ws, 'loop/a'), { recursive: true });
      writeFileSync(join(ws, 'loop/a/keep.txt'), 'x');
      symlinkSync('..', join(ws, 'loop/a/up'));
      let caught: unknown;
      try {
        collectWorkspaceFiles('files', 'loop', ws);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConfigurationError);
      expect((caught as ConfigurationError).input).toBe('files');
      expect((caught as ConfigurationError).message).toContain("'loop/a/up' is a symlink cycle");

      mkdirSync(join(ws, 'shared'));
      writeFileSync(join(ws, 'shared/s.txt'), 's');
      mkdirSync(join(ws, 'two'));
      symlinkSync('../shared', join(ws, 'two/one'));
      symlinkSync('../shared', join(ws, 'two/other'));
      expect(collectWorkspaceFiles('files', 'two', ws).map((f) => f.releasePath)).toEqual([
        'two/one/s.txt',
        'two/other/s.txt',
      ]);
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });
});
