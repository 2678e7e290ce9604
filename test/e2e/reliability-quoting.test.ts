import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toCommandLine } from '../../src/remote/shell-quote.js';
import { recordResult } from './support/results.js';

/**
 * Reliability item 1: every argument array `toCommandLine` quotes comes back
 * byte for byte from real `sh`, `dash` and `bash`. Arrays are checked in
 * batches: one script of many lines, each
 *   printf '%s\0' '#<i>' <args...>
 * run once per shell, and the NUL-separated output compared with what the
 * arrays predict. A failing batch shrinks (fast-check drops arrays and
 * simplifies strings) and the error names the first array that came back
 * wrong.
 */

const SHELLS = ['sh', 'dash', 'bash'] as const;
/** Both a byte locale and a UTF-8 one: multibyte-aware parsing must not change anything. */
const LOCALES = ['C', 'C.UTF-8'] as const;
const TARGET_ARRAYS = 10_000;
const CANARY = 'berth-quote-canary';

/** Pieces a shell treats specially, and text that would run something if it escaped quoting. */
const SPECIAL = [
  "'",
  '"',
  '\\',
  '$',
  '`',
  '\n',
  '\r',
  '\t',
  ' ',
  '*',
  '?',
  '[',
  ']',
  '{',
  '}',
  '~',
  '=',
  '!',
  '#',
  '&',
  '|',
  ';',
  '<',
  '>',
  '(',
  ')',
  '-',
  '--',
  '-n',
  '-e',
  '%',
  '%s',
  '%b',
  '\\0',
  '\\n',
  '\\c',
  '^',
  "'\\''",
  "'\"'\"'",
  '$(',
  '${',
  '$((1+1))',
  '$IFS',
  '$@',
  '$*',
  '$0',
  '$1',
  '${HOME}',
  `$(touch ${CANARY})`,
  `\`touch ${CANARY}\``,
  `; touch ${CANARY};`,
  `'; touch ${CANARY}; '`,
  `\ntouch ${CANARY}\n`,
  '{a,b}',
  '*.txt',
  '~root',
  'A=b',
  '\u00a0',
  '\u2028',
  '\ufeff',
  'é',
  'ﬁ',
  '日本',
  '😀',
  '𝕏',
  '\u{10ffff}',
  '\x7f',
  '\x1b[31m',
];

const unit = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SPECIAL) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom('a', 'x', '0', '/', '.', ',', ':', '@', '+', '_') },
);

/** Any string but NUL (a C string cannot carry it; `quoteArg` refuses it). */
const argument = fc
  .string({ unit, maxLength: 14 })
  .map((s) => s.replaceAll('\0', ''))
  .filter((s) => !s.includes('\0'));

const argumentArray = fc.array(argument, { maxLength: 8 });

/** Between 1 and 1000 arrays per batch; shrinking can reduce a failure to one array. */
const batchOf = fc.array(argumentArray, { minLength: 1, maxLength: 1000, size: 'max' });

let cwd: string;
let scriptDir: string;

beforeAll(() => {
  // Globs would expand to these names (and `-n` would become an option) if they escaped quoting.
  cwd = mkdtempSync(join(tmpdir(), 'berth-quote-cwd-'));
  for (const name of ['a', 'b', 'x.txt', 'y.txt', '-n', '-e']) writeFileSync(join(cwd, name), '');
  scriptDir = mkdtempSync(join(tmpdir(), 'berth-quote-script-'));
});

afterAll(() => {
  rmSync(cwd, { recursive: true, force: true });
  rmSync(scriptDir, { recursive: true, force: true });
});

interface BatchResult {
  readonly shell: string;
  readonly locale: string;
  readonly ok: boolean;
  readonly problem?: string;
}

/** NUL-separated fields of the output, grouped per line by their `#<i>` marker. */
function firstWrongArray(out: Buffer, batch: readonly (readonly string[])[]): string {
  const fields = out.toString('utf8').split('\0');
  let at = 0;
  for (const [i, args] of batch.entries()) {
    const got = fields.slice(at, at + 1 + args.length);
    if (got[0] !== `#${i}` || JSON.stringify(got.slice(1)) !== JSON.stringify(args)) {
      return (
        `array #${i} came back wrong\n  sent: ${JSON.stringify(args)}\n` +
        `  line: ${JSON.stringify(toCommandLine(['printf', '%s\\0', `#${i}`, ...args]))}\n` +
        `  got:  ${JSON.stringify(fields.slice(at, at + 1 + args.length + 2))}`
      );
    }
    at += 1 + args.length;
  }
  return 'output has extra bytes after the last array';
}

function runBatch(
  shell: string,
  locale: string,
  script: string,
  expected: Buffer,
  batch: readonly (readonly string[])[],
): BatchResult {
  const file = join(scriptDir, `batch-${shell}.sh`);
  writeFileSync(file, script);
  const result = spawnSync(shell, [file], {
    cwd,
    env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent-home', LC_ALL: locale },
    maxBuffer: 64 * 1024 * 1024,
  });
  const problems: string[] = [];
  if (result.error) problems.push(`spawn failed: ${result.error.message}`);
  if (result.status !== 0) problems.push(`exit status ${result.status}`);
  if (result.stderr.length > 0) problems.push(`stderr: ${result.stderr.toString().slice(0, 500)}`);
  if (!result.stdout.equals(expected)) problems.push(firstWrongArray(result.stdout, batch));
  return problems.length === 0
    ? { shell, locale, ok: true }
    : { shell, locale, ok: false, problem: problems.join('\n') };
}

describe('quoting: generated argument arrays round-trip through sh, dash and bash', () => {
  it(`at least ${TARGET_ARRAYS} arrays come back exactly from every shell`, () => {
    let checked = 0;
    let batches = 0;
    const property = fc.property(batchOf, (batch) => {
      const lines: string[] = [];
      const expected: Buffer[] = [];
      for (const [i, args] of batch.entries()) {
        lines.push(toCommandLine(['printf', '%s\\0', `#${i}`, ...args]));
        expected.push(Buffer.from([`#${i}`, ...args].map((a) => `${a}\0`).join(''), 'utf8'));
      }
      const script = lines.join('\n') + '\n';
      const want = Buffer.concat(expected);
      const failures: string[] = [];
      for (const shell of SHELLS) {
        for (const locale of LOCALES) {
          const result = runBatch(shell, locale, script, want, batch);
          if (!result.ok) failures.push(`${shell} (LC_ALL=${locale}): ${result.problem}`);
        }
      }
      const escaped = readdirSync(cwd).filter((n) => n.includes('canary'));
      if (escaped.length > 0) failures.push(`a command ran: ${escaped.join(', ')} was created`);
      if (failures.length > 0) throw new Error(failures.join('\n'));
      checked += batch.length;
      batches += 1;
    });
    const started = Date.now();
    while (checked < TARGET_ARRAYS) {
      // Each call draws a fresh seed; fast-check prints it (and the shrunk batch) on failure.
      fc.assert(property, { numRuns: 5 });
    }
    const seconds = (Date.now() - started) / 1000;
    expect(checked).toBeGreaterThanOrEqual(TARGET_ARRAYS);
    expect(readdirSync(cwd).sort()).toEqual(['-e', '-n', 'a', 'b', 'x.txt', 'y.txt']);
    console.log(
      `quoting: ${checked} arrays in ${batches} batches x ${SHELLS.length} shells x ${LOCALES.length} locales in ${seconds.toFixed(1)} s`,
    );
    recordResult('quoting', 'sh|dash|bash round trip', 'exact', checked);
  });

  it('the check itself catches a quoting mistake (naive double quotes fail)', () => {
    // A broken quoter must be caught, or the property above proves nothing.
    const naive = (argv: readonly string[]): string => argv.map((a) => `"${a}"`).join(' ');
    const batch = [['$(echo hi)'], ['a"b'], ['`x`']];
    const script = batch.map((args, i) => naive(['printf', '%s\\0', `#${i}`, ...args])).join('\n');
    const want = Buffer.from(
      batch.map((args, i) => [`#${i}`, ...args].map((a) => `${a}\0`).join('')).join(''),
    );
    for (const shell of SHELLS) {
      const result = runBatch(shell, 'C', script + '\n', want, batch);
      expect(result.ok).toBe(false);
      expect(result.problem).toMatch(/array #0 came back wrong/);
    }
  });
});
