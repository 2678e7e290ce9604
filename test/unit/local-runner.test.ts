import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RemoteCommandError } from '../../src/errors.js';
import { LocalRunner } from '../../src/remote/local-runner.js';

describe('LocalRunner (transport: local)', () => {
  const labels: string[] = [];
  const runner = new LocalRunner(10_000, (label) => labels.push(label));

  it('runs an argument array without a shell and returns its output', async () => {
    const result = await runner.exec(['printf', '%s|', 'a b', '$(x)']);
    expect(result.stdout).toBe('a b|$(x)|');
    expect(result.code).toBe(0);
  });

  it('holds a process until released, feeding it heartbeats', async () => {
    const countFile = join(mkdtempSync(join(tmpdir(), 'berth-hold-')), 'beats');
    const held = await runner.hold(
      [
        'sh',
        '-c',
        'echo READY; n=0; while read -r _; do n=$((n+1)); done; echo "$n" > "$1"',
        'hold',
        countFile,
      ],
      'READY',
      20,
    );
    expect(existsSync(countFile)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await held.release();
    // Released means its input was closed and it has exited, after several heartbeats.
    expect(Number(readFileSync(countFile, 'utf8'))).toBeGreaterThanOrEqual(2);
    expect(labels.some((l) => l.startsWith('sh -c'))).toBe(true);
  });

  it('rejects with the exit code when the process ends before it is ready', async () => {
    const attempt = runner.hold(['sh', '-c', 'echo busy >&2; exit 75'], 'READY');
    await expect(attempt).rejects.toBeInstanceOf(RemoteCommandError);
    await expect(attempt).rejects.toMatchObject({ exitCode: 75, stderrTail: 'busy' });
  });
});
