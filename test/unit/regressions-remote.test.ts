// Each test here guards a bug found by the reliability end-to-end tests; the comment names the bug.
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'ssh2';
import { describe, expect, it } from 'vitest';
import type { OperationDeps } from '../../src/actions/deps.js';
import { verifyRelease } from '../../src/actions/release-store.js';
import { parseSiteState, SiteSession } from '../../src/actions/site-session.js';
import { siteStateCommand } from '../../src/commands/release-files.js';
import { siteLayout } from '../../src/commands/site-layout.js';
import { ConnectionError, RemoteStateError } from '../../src/errors.js';
import type { SharedSettings } from '../../src/inputs/shared-settings.js';
import type { ExecResult, HeldProcess, Runner } from '../../src/remote/runner.js';
import { SshRunner } from '../../src/remote/ssh-runner.js';

/** Just enough of an ssh2 exec channel: events, `end`, `close`, `stderr`. */
class FakeChannel extends EventEmitter {
  readonly stderr = new EventEmitter();
  end(): void {}
  close(): void {
    this.emit('close');
  }
}

/** An ssh2 client whose exec channels stay open until the test closes them. */
function fakeClient(): { client: Client; emitter: EventEmitter; channels: FakeChannel[] } {
  const emitter = new EventEmitter();
  const channels: FakeChannel[] = [];
  const client = Object.assign(emitter, {
    exec(_command: string, callback: (error: Error | undefined, channel: FakeChannel) => void) {
      const channel = new FakeChannel();
      channels.push(channel);
      setImmediate(() => callback(undefined, channel));
    },
    end() {},
  });
  return { client: client as unknown as Client, emitter, channels };
}

/** Waits until the runner listens on its `count`-th channel. */
async function channelOpened(channels: FakeChannel[], count = 1): Promise<FakeChannel> {
  for (let i = 0; i < 100; i++) {
    const channel = channels[count - 1];
    if (channel && channel.listenerCount('close') > 0) return channel;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('the runner never opened the channel');
}

describe('regressions (remote)', () => {
  // Bug: a keepalive timeout during a long command failed the step with
  // "SSH connection … failed: Keepalive timeout" and nothing said which command it cut off.
  it('a lost connection names the command it interrupted', async () => {
    const { client, emitter, channels } = fakeClient();
    const runner = new SshRunner(client, 'deploy@host:22', 60_000, () => undefined);
    const pending = runner.exec(['docker', 'compose', 'run', '--rm', 'web', 'sleep', '30']);
    const channel = await channelOpened(channels);
    emitter.emit('error', new Error('Keepalive timeout'));
    channel.emit('close'); // ssh2 closes every channel when the socket goes
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toBe(
      'SSH connection to deploy@host:22 failed: Keepalive timeout while running ' +
        '`docker compose run --rm web sleep 30`',
    );
    // Later commands fail at once with the same error.
    await expect(runner.exec(['true'])).rejects.toBe(error);
  });

  it('a command that exits with a status is reported as such even if the connection then goes', async () => {
    const { client, emitter, channels } = fakeClient();
    const runner = new SshRunner(client, 'deploy@host:22', 60_000, () => undefined);
    const pending = runner.exec(['false']);
    const channel = await channelOpened(channels);
    channel.emit('exit', 1);
    emitter.emit('error', new Error('read ECONNRESET'));
    channel.emit('close');
    await expect(pending).rejects.toMatchObject({ name: 'RemoteCommandError', exitCode: 1 });
  });
});

const layout = siteLayout('berth', 'shop');
const A = 'rel_1700000000_aaaaaaaa';
const B = 'rel_1700000100_bbbbbbbb';
const b64 = (text: string): string => Buffer.from(text).toString('base64');
const ok = (stdout = ''): ExecResult => ({ stdout, stderr: '', code: 0, durationMs: 1 });

function parse(lines: string[], rewriting = false) {
  const warnings: string[] = [];
  const state = parseSiteState(lines.join('\n') + '\n', layout, 'shop', (m) => warnings.push(m), {
    rewriting,
  });
  return { state, warnings };
}

describe('regressions (site state)', () => {
  // Bug: a `current` link to a removed release went unmentioned; lifecycle then said
  // "has no current release; deploy it first" with nothing pointing at the link.
  it('names a current link whose release directory is gone', () => {
    const { state, warnings } = parse([`current\treleases/${B}`, 'current_missing\t1']);
    expect(state.currentReleaseId).toBe(B);
    expect(warnings).toEqual([
      `berth/shop/current points to releases/${B}, which does not exist (removed by hand?); ` +
        'a deploy, or a rollback to a release that exists, repairs the link',
    ]);
  });

  // Bug: a damaged manifest was "rebuilt" with health 'unknown' although the current
  // release.json records it, and the warning promised a rewrite that never came.
  it('rebuilds a damaged manifest with the health from the current release.json', () => {
    const meta = b64(JSON.stringify({ release_id: B, health_status: 'healthy' }));
    const lines = [`current\treleases/${B}`, `current_meta\t${meta}`, `manifest\t${b64('{{')}`];
    const read = parse(lines);
    expect(read.state.manifest).toMatchObject({
      current_release_id: B,
      previous_release_id: null,
      last_health_status: 'healthy',
    });
    expect(read.state.damagedManifest).toBe(true);
    expect(read.warnings[0]).toMatch(
      new RegExp(
        `^berth/shop/manifest.json is damaged \\(.*\\); using berth/shop/current \\(${B}, last health 'healthy' from its release.json\\) instead`,
      ),
    );
    expect(parse(lines, true).warnings[0]).toContain(
      `; rewriting it from berth/shop/current (${B}, last health 'healthy' from its release.json)`,
    );
    // release.json of another release, or none: unknown.
    const other = b64(JSON.stringify({ release_id: A, health_status: 'healthy' }));
    expect(
      parse([`current\treleases/${B}`, `current_meta\t${other}`, `manifest\t${b64('x')}`]).state
        .manifest?.last_health_status,
    ).toBe('unknown');
    expect(parse([`manifest\t`]).warnings[0]).toContain('(empty or unreadable)');
    expect(parse([`manifest\t${b64('{}')}`]).state.damagedManifest).toBe(true);
  });

  it('the state command reports a dangling current link and the current release.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-reg-remote-'));
    try {
      const local = siteLayout(join(dir, 'root'), 'shop');
      mkdirSync(join(local.releasesDir, A), { recursive: true });
      writeFileSync(join(local.releasesDir, A, 'release.json'), '{"release_id":"x"}');
      symlinkSync(`releases/${A}`, local.current);
      const run = () => {
        const [file, ...args] = siteStateCommand(local);
        const result = spawnSync(file as string, args, { encoding: 'utf8', cwd: dir });
        expect(result.status).toBe(0);
        return result.stdout;
      };
      expect(run()).toContain(`current_meta\t${b64('{"release_id":"x"}')}\n`);
      expect(run()).not.toContain('current_missing');
      rmSync(join(local.releasesDir, A), { recursive: true });
      const out = run();
      expect(out).toContain(`current\treleases/${A}\ncurrent_missing\t1\n`);
      expect(out).not.toContain('current_meta');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('regressions (site session)', () => {
  const settings = {
    connection: { transport: 'local' },
    site: { site: 'shop', deployRoot: 'berth', lockTimeoutSeconds: 7, composeCommand: 'auto' },
  } as unknown as SharedSettings;

  function deps(logs: string[]): OperationDeps {
    return {
      log: {
        info: (m: string) => logs.push(m),
        warning: (m: string) => logs.push(`warning: ${m}`),
        group: <T>(_n: string, body: () => Promise<T>) => body(),
      },
      connect: async () => {
        throw new Error('replaced below');
      },
      now: () => 1_800_000_000_000,
      sleep: async () => undefined,
      run: { actor: 'octocat', runUrl: '', sha: '', ref: '', repository: 'o/r' },
    };
  }

  /** A runner whose lock is granted when the test says so; records every command in order. */
  function lockingRunner(state: () => string) {
    const events: string[] = [];
    let grant: (held: HeldProcess) => void = () => undefined;
    const runner: Runner = {
      target: 'deploy@example:22',
      exec: async (argv) => {
        events.push(argv[3] ?? argv[0] ?? '');
        return ok(argv[3] === 'berth-state' ? state() : '');
      },
      hold: () =>
        new Promise((resolve) => {
          events.push('lock requested');
          grant = resolve;
        }),
      writeFiles: async () => undefined,
      openTcp: async () => {
        throw new Error('not used');
      },
      close: async () => undefined,
    };
    return {
      runner,
      events,
      grant: () => grant({ release: async () => undefined }),
    };
  }

  async function open(runner: Runner, logs: string[]): Promise<SiteSession> {
    const d = deps(logs);
    return SiteSession.open(settings, { ...d, connect: async () => runner });
  }

  // Bug: the state was read in parallel with taking the lock, so an operation that
  // waited for another one (a rollback behind a deploy) acted on the state from before
  // that operation: it rolled back past the release the deploy had just made current.
  it('reads the state only once the lock is held', async () => {
    let current = A;
    const fake = lockingRunner(() => `home\t/h\ncurrent\treleases/${current}\n`);
    const session = await open(fake.runner, []);
    const both = Promise.all([session.acquireLock('rollback'), session.readState()]);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(fake.events).toEqual(['lock requested']);
    current = B; // the operation holding the lock finishes its switch
    fake.grant();
    const [, state] = await both;
    expect(state.currentReleaseId).toBe(B);
    expect(fake.events.slice(0, 2)).toEqual(['lock requested', expect.any(String)]);
    expect(fake.events).toContain('berth-state');
  });

  it('rewrites a damaged manifest under the lock, and only under the lock', async () => {
    const meta = b64(JSON.stringify({ release_id: A, health_status: 'healthy' }));
    const text = `home\t/h\ncurrent\treleases/${A}\ncurrent_meta\t${meta}\nmanifest\t${b64('{{')}\n`;
    const locked = lockingRunner(() => text);
    const logs: string[] = [];
    const session = await open(locked.runner, logs);
    const both = Promise.all([session.acquireLock('deploy'), session.readState()]);
    locked.grant();
    await both;
    expect(locked.events).toContain('berth-write');
    expect(logs.find((l) => l.includes('damaged'))).toContain('rewriting it from');

    const unlocked = lockingRunner(() => text);
    const readOnly = await open(unlocked.runner, []);
    await readOnly.readState();
    expect(unlocked.events).toEqual(['berth-state']);
  });
});

describe('regressions (release verification)', () => {
  function sessionReading(files: Record<string, string | null>): SiteSession {
    const runner = {
      exec: async (argv: readonly string[]) => {
        const paths = argv.slice(4);
        return ok(
          paths
            .map(
              (p) =>
                `${p}\t${files[p.split('/').pop() as string] == null ? '!' : b64(files[p.split('/').pop() as string] as string)}`,
            )
            .join('\n') + '\n',
        );
      },
    };
    return { runner, layout } as unknown as SiteSession;
  }

  // Bug: a release.json that is JSON but lacks `files` crashed verification with
  // "metadata.files is not iterable" instead of naming the damaged file.
  it('names a release.json that lacks the fields verification needs', async () => {
    const session = sessionReading({
      'release.json': JSON.stringify({ release_id: A, services: 'web' }),
      'artifact_hash.txt': 'a'.repeat(64),
    });
    const error = await verifyRelease(session, A).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteStateError);
    expect((error as Error).message).toBe(
      `berth/shop/releases/${A}/release.json is damaged: files, services missing or wrong; the release cannot be verified`,
    );
  });

  // Bug: a tampered release was refused without saying where to look.
  it('a tampered release names its directory and the files the hash covers', async () => {
    const session = sessionReading({
      'release.json': JSON.stringify({
        release_id: A,
        artifact_hash: 'a'.repeat(64),
        files: ['.env', 'compose.yml'],
        services: [{ service: 'web', image_id: 'sha256:1', pinned_tag: 't' }],
      }),
      'artifact_hash.txt': 'a'.repeat(64),
      '.env': 'X=1\n',
      'compose.yml': 'services: {}\n# edited\n',
      'berth.pin.yml': 'services: {}\n',
    });
    const error = await verifyRelease(session, A).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteStateError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^Release ${A} was modified after it was made: its files in berth/shop/releases/${A} ` +
          `\\(\\.env, compose\\.yml\\) and the image ids in release\\.json hash to [0-9a-f]{12}…, ` +
          `not to the recorded a{12}…$`,
      ),
    );
  });
});
