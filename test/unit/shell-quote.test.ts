import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteArg, toCommandLine } from '../../src/remote/shell-quote.js';

const NASTY: readonly string[] = [
  '',
  ' ',
  '  two  spaces  ',
  '\t',
  "'",
  "''",
  "it's",
  "'\\''",
  "a'\\''b",
  '"',
  '"double" and \'single\'',
  '\\',
  "\\'",
  '$(echo pwned)',
  '$(touch pwned)',
  '`echo pwned`',
  '$HOME',
  '${HOME}',
  '$0 $1 $@ $*',
  'a\nb',
  '\n',
  'trailing newline\n\n',
  'cr\rlf\r\n',
  '*',
  '?',
  '[ab]',
  '[',
  '*.txt',
  '-n',
  '-e',
  '--',
  '-rf /',
  '~',
  '~root',
  '~/x',
  'a=b',
  '=',
  'X=1 cmd',
  'ünïcødé',
  '🚀 rocket',
  '日本語',
  '{a,b}',
  '!',
  '!!',
  '#not a comment',
  'a;b',
  'a|b',
  'a&b',
  '>out',
  '<in',
  '%s\\0',
  '\x01\x02\x7f',
  '\x1b[31mred',
];

/** The shells the round trip runs through; bash and dash only where installed. */
const SHELLS: ReadonlyArray<{ name: string; path: string }> = [
  { name: 'sh', path: 'sh' },
  ...['bash', 'dash']
    .map((name) => ({
      name,
      path: ['/bin', '/usr/bin'].map((d) => join(d, name)).find(existsSync),
    }))
    .filter((s): s is { name: string; path: string } => s.path !== undefined),
];

let cwd: string;

beforeAll(() => {
  // A directory where globs would expand to something if they escaped quoting.
  cwd = mkdtempSync(join(tmpdir(), 'berth-quote-'));
  for (const name of ['a', 'b', 'x.txt', 'y.txt', '-n']) writeFileSync(join(cwd, name), '');
});

afterAll(() => {
  rmSync(cwd, { recursive: true, force: true });
});

function runThrough(shell: string, commandLine: string): string[] {
  const out = execFileSync(shell, ['-c', commandLine], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent-home' },
  });
  const parts = out.toString('utf8').split('\0');
  expect(parts.at(-1)).toBe('');
  return parts.slice(0, -1);
}

describe('quoteArg', () => {
  it('passes plain words bare for readable logs', () => {
    for (const word of [
      'abc',
      'ABC123',
      'a_b',
      './path/to/file',
      'user@host:22',
      'a,b',
      '50%',
      'a+b',
      '-rf',
      '--flag',
    ]) {
      expect(quoteArg(word)).toBe(word);
    }
  });

  it('quotes characters that a shell treats specially', () => {
    expect(quoteArg('a b')).toBe("'a b'");
    expect(quoteArg('a=b')).toBe("'a=b'");
    expect(quoteArg('~')).toBe("'~'");
    expect(quoteArg('*')).toBe("'*'");
    expect(quoteArg('{a,b}')).toBe("'{a,b}'");
    expect(quoteArg('#x')).toBe("'#x'");
    expect(quoteArg('$x')).toBe("'$x'");
    expect(quoteArg('é')).toBe("'é'");
  });

  it('quotes the empty string so it stays an argument', () => {
    expect(quoteArg('')).toBe("''");
  });

  it("writes a single quote as '\\''", () => {
    expect(quoteArg("it's")).toBe("'it'\\''s'");
    expect(quoteArg("'")).toBe("''\\'''");
  });

  it('refuses a NUL byte', () => {
    expect(() => quoteArg('a\0b')).toThrow(TypeError);
    expect(() => quoteArg('\0')).toThrow(/NUL/);
  });
});

describe('toCommandLine', () => {
  it('joins quoted arguments with single spaces', () => {
    expect(toCommandLine(['echo', 'a b', "c'd", 'plain'])).toBe("echo 'a b' 'c'\\''d' plain");
  });

  it('refuses an empty argument list', () => {
    expect(() => toCommandLine([])).toThrow(TypeError);
  });

  it('refuses NUL in any argument', () => {
    expect(() => toCommandLine(['echo', 'ok', 'bad\0'])).toThrow(TypeError);
  });
});

describe('round trip through real shells', () => {
  it.each(SHELLS.map((s) => [s.name, s.path] as const))(
    '%s gives printf every nasty argument back unchanged',
    (_name, path) => {
      const line = toCommandLine(['printf', '%s\\0', ...NASTY]);
      expect(runThrough(path, line)).toEqual(NASTY);
    },
  );

  it.each(SHELLS.map((s) => [s.name, s.path] as const))(
    '%s keeps nasty arguments intact as the positional parameters of sh -c',
    (_name, path) => {
      const line = toCommandLine(['sh', '-c', 'printf "%s\\0" "$@"', 'sh', ...NASTY]);
      expect(runThrough(path, line)).toEqual(NASTY);
    },
  );

  it.each(SHELLS.map((s) => [s.name, s.path] as const))(
    '%s round-trips each nasty string on its own',
    (_name, path) => {
      for (const arg of NASTY) {
        expect(runThrough(path, toCommandLine(['printf', '%s\\0', arg]))).toEqual([arg]);
      }
    },
  );

  it('does not run command substitutions (no file is created)', () => {
    runThrough('sh', toCommandLine(['printf', '%s\\0', '$(touch pwned)', '`touch pwned2`']));
    expect(existsSync(join(cwd, 'pwned'))).toBe(false);
    expect(existsSync(join(cwd, 'pwned2'))).toBe(false);
  });

  it('round-trips random strings (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc
            .string({
              unit: fc.oneof(
                fc.constantFrom("'", '"', '\\', '$', '`', '\n', '*', ' ', '~', '=', '!', '-'),
                fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }),
                fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
              ),
              maxLength: 12,
            })
            .map((s) => s.replaceAll('\0', '')),
          { minLength: 1, maxLength: 8 },
        ),
        (args) => {
          expect(runThrough('sh', toCommandLine(['printf', '%s\\0', ...args]))).toEqual(args);
        },
      ),
      { numRuns: 60 },
    );
  });
});
