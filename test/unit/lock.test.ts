import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  LOCK_BUSY_EXIT,
  LOCK_HEARTBEAT_SECONDS,
  LOCK_READY_LINE,
  lockHolderCommand,
  readLockInfoCommand,
  writeLockInfoCommand,
} from '../../src/commands/lock.js';
import { siteLayout, type SiteLayout } from '../../src/commands/site-layout.js';

const HAS_FLOCK = ['/usr/bin/flock', '/bin/flock'].some(existsSync);

let dir: string;
let layout: SiteLayout;
const held: ChildProcessWithoutNullStreams[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-lock-'));
  layout = siteLayout(join(dir, "deploy root $(touch pwned) 'q'"), 'Shop');
});

afterEach(() => {
  for (const child of held.splice(0)) {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
});

function run(argv: readonly string[], input = '') {
  return spawnSync(argv[0] as string, argv.slice(1), {
    cwd: dir,
    input,
    encoding: 'utf8',
    timeout: 20_000,
  });
}

/** Starts a lock holder and resolves once it reports the lock taken. */
function hold(argv: readonly string[]): Promise<ChildProcessWithoutNullStreams> {
  const child = spawn(argv[0] as string, argv.slice(1), {
    cwd: dir,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  held.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes(`${LOCK_READY_LINE}\n`)) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`holder exited ${code} before locking: ${out}`)));
  });
}

function exitOf(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe('lockHolderCommand', () => {
  it('passes the site directory and wait as arguments, not inside the script', () => {
    const argv = lockHolderCommand(layout, 300);
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(argv[2]).not.toContain(layout.siteDir);
    expect(argv[2]).not.toContain('300');
    expect(argv[2]).toContain(`-E ${LOCK_BUSY_EXIT}`);
    expect(argv[3]).toBe('berth-lock');
    expect(argv[4]).toBe(layout.siteDir);
    expect(argv[5]).toBe('-w300');
    expect(argv[6]).toContain(LOCK_READY_LINE);
    expect(argv).toHaveLength(7);
  });

  it('does not wait when the timeout is zero (-n, not -w0)', () => {
    expect(lockHolderCommand(layout, 0)[5]).toBe('-n');
  });

  it('gives the watchdog a multiple of the heartbeat', () => {
    expect(lockHolderCommand(layout, 1)[6]).toContain(`read -r -t ${LOCK_HEARTBEAT_SECONDS * 4} `);
  });

  it.skipIf(!HAS_FLOCK)(
    'holds the lock until its input closes, and a second holder is refused',
    async () => {
      const first = await hold(lockHolderCommand(layout, 0));
      expect(statSync(layout.siteDir).isDirectory()).toBe(true);
      expect(existsSync(layout.lockFile)).toBe(true);
      expect(existsSync(join(dir, 'pwned'))).toBe(false);

      const busy = run(lockHolderCommand(layout, 0));
      expect(busy.status).toBe(LOCK_BUSY_EXIT);
      expect(busy.stdout).not.toContain(LOCK_READY_LINE);

      const startedAt = Date.now();
      const waited = run(lockHolderCommand(layout, 1));
      expect(waited.status).toBe(LOCK_BUSY_EXIT);
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(900);

      first.stdin.end();
      expect(await exitOf(first)).toBe(0);

      const next = run(lockHolderCommand(layout, 0));
      expect(next.status).toBe(0);
      expect(next.stdout).toBe(`${LOCK_READY_LINE}\n`);
    },
  );

  it.skipIf(!HAS_FLOCK)('frees the lock when the holder is killed', async () => {
    const first = await hold(lockHolderCommand(layout, 0));
    first.kill('SIGKILL');
    await exitOf(first);
    // The inner holder sees EOF once its parent's pipe closes.
    const again = run(lockHolderCommand(layout, 5));
    expect(again.status).toBe(0);
    expect(again.stdout).toContain(LOCK_READY_LINE);
  });
});

describe('lock info', () => {
  const info = JSON.stringify({
    operation: 'deploy',
    actor: "o'brien",
    run_url: 'https://x/$(id)',
  });

  it('keeps the path and info out of the scripts', () => {
    for (const argv of [writeLockInfoCommand(layout, info), readLockInfoCommand(layout)]) {
      expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
      expect(argv[2]).not.toContain(layout.lockInfo);
      expect(argv[2]).not.toContain('deploy');
      expect(argv[4]).toBe(layout.lockInfo);
    }
    expect(writeLockInfoCommand(layout, info)[5]).toBe(info);
  });

  it('writes the info as one line and reads it back', () => {
    expect(run(['mkdir', '-p', layout.siteDir]).status).toBe(0);
    expect(run(writeLockInfoCommand(layout, info)).status).toBe(0);
    expect(readFileSync(layout.lockInfo, 'utf8')).toBe(`${info}\n`);
    const read = run(readLockInfoCommand(layout));
    expect(read.status).toBe(0);
    expect(read.stdout).toBe(`${info}\n`);
  });

  it('reads nothing, successfully, when there is no info', () => {
    const read = run(readLockInfoCommand(layout));
    expect(read.status).toBe(0);
    expect(read.stdout).toBe('');
  });
});
