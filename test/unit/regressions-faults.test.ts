// Each test here guards a bug found by the fault-injection end-to-end tests
// (test/e2e/reliability-faults.test.ts); the comment names the bug.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deployRelease } from '../../src/actions/deploy-release.js';
import type { OperationDeps } from '../../src/actions/deps.js';
import { PhaseTimer } from '../../src/actions/phase-timer.js';
import { repairInterrupted } from '../../src/actions/restore-release.js';
import { SiteSession, parseSiteState, type SiteState } from '../../src/actions/site-session.js';
import {
  LOCK_BUSY_EXIT,
  LOCK_READY_LINE,
  lockHolderCommand,
  underSiteLock,
} from '../../src/commands/lock.js';
import { siteStateCommand } from '../../src/commands/release-files.js';
import { IN_FLIGHT_FILE, inFlightPath, siteLayout } from '../../src/commands/site-layout.js';
import { ConnectionError } from '../../src/errors.js';
import { parseDeploySettings } from '../../src/inputs/deploy-settings.js';
import type { SharedSettings } from '../../src/inputs/shared-settings.js';
import type { Manifest, ReleaseMetadata } from '../../src/release/metadata.js';
import type { ExecResult, Runner } from '../../src/remote/runner.js';

const OLD = 'rel_1700000000_aaaaaaaa';
const NEW = 'rel_1700000100_bbbbbbbb';
const layout = siteLayout('berth', 'shop');
const b64 = (text: string): string => Buffer.from(text).toString('base64');
const ok = (stdout = ''): ExecResult => ({ stdout, stderr: '', code: 0, durationMs: 1 });

function metadataOf(releaseId: string, health: ReleaseMetadata['health_status']): ReleaseMetadata {
  return {
    release_id: releaseId,
    site_id: 'shop',
    artifact_hash: 'c'.repeat(64),
    created_at: '2024-01-01T00:00:00.000Z',
    health_status: health,
    project_name: 'shop',
    compose_command: 'docker compose',
    compose_version: '2.26.1',
    compose_files: ['deploy/compose.yml'],
    project_directory: 'deploy',
    files: ['.env', 'deploy/compose.yml'],
    services: [
      {
        service: 'web',
        image: 'web:v1',
        image_id: `sha256:${'d'.repeat(64)}`,
        repo_digest: null,
        pinned_tag: `berth/shop:${releaseId}-web`,
      },
    ],
    git: { sha: '', ref: '', repository: '' },
    run_url: '',
    actor: 'octocat',
  };
}

const manifestOf = (current: string | null, previous: string | null = null): Manifest => ({
  site_id: 'shop',
  current_release_id: current,
  previous_release_id: previous,
  last_health_status: 'healthy',
  updated_at: '2024-01-01T00:00:00.000Z',
});

/** What the runner was asked to do, one readable label per command. */
function label(argv: readonly string[]): string {
  if (argv[3] === 'berth-locked') return `locked(${argv[4]}) ${label(argv.slice(5))}`;
  if (argv[0] === 'sh') return `${argv[3]} ${argv.slice(4).join(' ')}`;
  if (argv[0] === 'docker' && argv[1] === 'compose')
    return `compose ${argv.at(-3) ?? ''} ${argv.at(-1)}`;
  return argv.join(' ');
}

function fakeRunner(answer: (argv: readonly string[]) => ExecResult | Promise<ExecResult>): {
  runner: Runner;
  calls: string[];
} {
  const calls: string[] = [];
  const runner: Runner = {
    target: 'deploy@example:22',
    exec: async (argv) => {
      calls.push(label(argv));
      return answer(argv);
    },
    hold: async () => ({ release: async () => undefined }),
    writeFiles: async (files) => {
      calls.push(`sftp ${files.map((f) => f.path.split('/').pop()).join(',')}`);
    },
    openTcp: async () => {
      throw new Error('not used');
    },
    close: async () => undefined,
  };
  return { runner, calls };
}

function depsFor(runner: Runner, logs: string[]): OperationDeps {
  return {
    log: {
      info: (m) => logs.push(m),
      warning: (m) => logs.push(`warning: ${m}`),
      group: (_name, body) => body(),
    },
    connect: async () => runner,
    now: () => 1_700_000_200_000,
    sleep: async () => undefined,
    run: {
      actor: 'octocat',
      runUrl: 'https://github.com/o/r/actions/runs/1',
      sha: '',
      ref: '',
      repository: 'o/r',
    },
  };
}

const sharedSettings = {
  connection: { transport: 'local' },
  site: { site: 'shop', deployRoot: 'berth', lockTimeoutSeconds: 7, composeCommand: 'auto' },
} as unknown as SharedSettings;

const TOOL = { argv: ['docker', 'compose'], version: '2.26.1' } as const;

function stateWith(fields: Partial<SiteState>): SiteState {
  return {
    home: '/home/deploy',
    currentReleaseId: OLD,
    currentHash: 'c'.repeat(64),
    currentMetadata: null,
    manifest: manifestOf(OLD),
    freeKb: 1_000_000,
    ...fields,
  };
}

describe('regressions (faults)', () => {
  describe('the in-flight marker is part of the site state', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'berth-inflight-'));
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      for (const name of ['docker', 'docker-compose'])
        writeFileSync(join(bin, name), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const readState = (): SiteState => {
      const local = siteLayout(join(dir, 'root'), 'shop');
      const argv = siteStateCommand(local);
      const result = spawnSync(argv[0] as string, argv.slice(1), {
        cwd: dir,
        encoding: 'utf8',
        env: { PATH: `${join(dir, 'bin')}:/usr/bin:/bin`, HOME: dir },
      });
      expect(result.status).toBe(0);
      return parseSiteState(result.stdout, local, 'shop', () => undefined);
    };

    it('reports .in-flight, which a killed deploy leaves between up and the switch', () => {
      const site = join(dir, 'root', 'shop');
      mkdirSync(site, { recursive: true });
      expect(readState().inFlight).toBeUndefined();
      writeFileSync(join(site, IN_FLIGHT_FILE), '{"operation":"deploy","release_id":"x"}\n');
      expect(readState().inFlight).toBe('{"operation":"deploy","release_id":"x"}');
    });

    it('parses an empty marker as an unknown operation, and none as undefined', () => {
      expect(parseSiteState(`in_flight\t\n`, layout, 'shop', () => undefined).inFlight).toBe(
        'unknown operation',
      );
      expect(parseSiteState(`home\t/h\n`, layout, 'shop', () => undefined)).not.toHaveProperty(
        'inFlight',
      );
    });
  });

  describe('repairInterrupted', () => {
    async function repair(state: SiteState, current: ReleaseMetadata | null) {
      const { runner, calls } = fakeRunner((argv) =>
        argv[3] === 'berth-read'
          ? ok(`${argv[4]}\t${current ? b64(JSON.stringify(current)) : '!'}\n`)
          : ok(),
      );
      const logs: string[] = [];
      const deps = depsFor(runner, logs);
      const session = await SiteSession.open(sharedSettings, deps);
      const phases = new PhaseTimer(deps.log, deps.now);
      const after = await repairInterrupted(session, state, async () => TOOL, deps, phases);
      return { after, calls, logs, phases };
    }

    it('does nothing when the last operation finished', async () => {
      const state = stateWith({});
      const { after, calls, phases } = await repair(state, metadataOf(OLD, 'healthy'));
      expect(after).toBe(state);
      expect(calls).toEqual([]);
      expect(phases.timings).toEqual([]);
    });

    // Bug: a deploy killed between `compose up` and the switch left the new
    // release's containers running while `current` and manifest.json named the
    // old one; the next deploy of the current artifact even said "nothing to
    // change". Now the next operation under the lock brings `current` back up.
    it('brings current up again when a deploy stopped between up and the switch', async () => {
      const state = stateWith({ inFlight: `{"operation":"deploy","release_id":"${NEW}"}` });
      const { after, calls, logs, phases } = await repair(state, metadataOf(OLD, 'healthy'));
      expect(calls).toEqual([
        `berth-read berth/shop/releases/${OLD}/release.json`,
        `locked(berth/shop/.lock.ops) compose up --remove-orphans`,
        `rm -rf -- ${inFlightPath(layout)}`,
      ]);
      expect(after.inFlight).toBeUndefined();
      expect(after.manifest).toEqual(state.manifest);
      expect(phases.timings.map((t) => t.phase)).toEqual(['repair']);
      expect(logs.filter((l) => l.startsWith('warning:'))).toEqual([
        expect.stringContaining(`bringing the current release ${OLD} up again`),
      ]);
      expect(logs.join('\n')).toContain(NEW);
    });

    // Bug: a deploy killed after the switch but before the manifest was written
    // left manifest.json naming the previous release (and its health) for good.
    it('rewrites a manifest that names another release than current', async () => {
      const state = stateWith({ currentReleaseId: NEW, manifest: manifestOf(OLD, null) });
      const { after, calls } = await repair(state, metadataOf(NEW, 'unknown'));
      expect(calls.slice(0, 2)).toEqual([
        `berth-read berth/shop/releases/${NEW}/release.json`,
        'locked(berth/shop/.lock.ops) compose up --remove-orphans',
      ]);
      expect(calls[2]).toMatch(/^berth-write berth\/shop\/manifest\.json /);
      expect(calls).toHaveLength(3);
      expect(after.manifest).toMatchObject({
        current_release_id: NEW,
        previous_release_id: OLD,
        last_health_status: 'unknown',
      });
      expect(
        JSON.parse(calls[2]?.slice('berth-write berth/shop/manifest.json '.length) ?? ''),
      ).toEqual(after.manifest);
    });

    it('writes a manifest for a current release that has none', async () => {
      const state = stateWith({ currentReleaseId: NEW, manifest: null });
      const { after } = await repair(state, metadataOf(NEW, 'healthy'));
      expect(after.manifest).toMatchObject({ current_release_id: NEW, previous_release_id: null });
    });

    it('only warns when current cannot be read (nothing is guessed)', async () => {
      const state = stateWith({ inFlight: 'x' });
      const { after, calls, logs } = await repair(state, null);
      expect(after).toBe(state);
      expect(calls).toEqual([`berth-read berth/shop/releases/${OLD}/release.json`]);
      expect(logs.some((l) => l.startsWith('warning:') && l.includes('cannot be brought up'))).toBe(
        true,
      );
    });
  });

  // Bug: a job killed during before-up (a migration) or `compose up` freed the
  // site lock at once, while the command went on running on the server; the
  // next deploy ran its own migration and `up` beside it. Now such commands
  // hold `.lock.ops` shared and the lock holder waits for them before exiting.
  describe('the site lock covers commands that outlive their job', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'berth-opslock-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const started = (argv: readonly string[], line: string) => {
      const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['pipe', 'pipe', 'ignore'] });
      const ready = new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString('utf8');
          if (out.includes(line)) resolve();
        });
        child.on('exit', (code) => reject(new Error(`exited ${code} before '${line}': ${out}`)));
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      return { child, ready, exited };
    };
    const tryLock = (local: ReturnType<typeof siteLayout>) =>
      spawnSync('sh', lockHolderCommand(local, 0).slice(1), { input: '', encoding: 'utf8' });

    const waitFor = async (path: string) => {
      for (let i = 0; i < 200 && !existsSync(path); i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(existsSync(path)).toBe(true);
    };

    it('is freed only when the orphaned command has finished', async () => {
      const local = siteLayout(join(dir, 'root'), 'shop');
      const holder = started(lockHolderCommand(local, 0), LOCK_READY_LINE);
      await holder.ready;
      const running = join(dir, 'running');
      const orphan = spawn(
        'sh',
        underSiteLock(local, ['sh', '-c', 'touch "$1"; sleep 1.5', 'x', running]).slice(1),
        { stdio: 'ignore' },
      );
      const orphanExit = new Promise<number | null>((resolve) => orphan.on('exit', resolve));
      await waitFor(running);
      holder.child.stdin.end(); // the job is gone
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(tryLock(local).status).toBe(LOCK_BUSY_EXIT);
      expect(await orphanExit).toBe(0);
      expect(await holder.exited).toBe(0);
      const next = tryLock(local);
      expect(next.status).toBe(0);
      expect(next.stdout).toBe(`${LOCK_READY_LINE}\n`);
    });

    // Bug: `compose up` of a killed job died of SIGPIPE at its next progress
    // line, after removing the old container and before starting the new one:
    // the site served nothing until the next deploy.
    it('lets the command finish when nobody reads its output any more', async () => {
      const local = siteLayout(join(dir, 'root'), 'shop');
      mkdirSync(local.siteDir, { recursive: true });
      const started = join(dir, 'started');
      const finished = join(dir, 'finished');
      const script =
        'touch "$1"; sleep 0.3; echo progress; echo more >&2; sleep 0.2; echo done; touch "$2"';
      const argv = underSiteLock(local, ['sh', '-c', script, 'x', started, finished]);
      const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
      await waitFor(started);
      // The SSH channel is gone: both pipes lose their reader.
      child.stdout.destroy();
      child.stderr.destroy();
      await exited;
      // Wrapped, it ran to the end ...
      expect(existsSync(finished)).toBe(true);
      rmSync(finished);
      rmSync(started);
      // ... where, unwrapped, its first write killed it.
      const bare = spawn('sh', ['-c', script, 'x', started, finished], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const bareExit = new Promise<void>((resolve) => bare.on('close', () => resolve()));
      await waitFor(started);
      bare.stdout.destroy();
      bare.stderr.destroy();
      await bareExit;
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(existsSync(finished)).toBe(false);
    });

    it('passes the command, its output and its exit status through', () => {
      const local = siteLayout(join(dir, 'root'), 'shop');
      mkdirSync(local.siteDir, { recursive: true });
      const argv = underSiteLock(local, ['sh', '-c', 'echo out; echo err >&2; exit 3', '--detach']);
      expect(argv.slice(3, 5)).toEqual(['berth-locked', `${local.siteDir}/.lock.ops`]);
      const result = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' });
      expect(result.status).toBe(3);
      expect(result.stdout).toBe('out\n');
      expect(result.stderr).toBe('err\n');
      expect(readdirSync(local.siteDir)).toEqual(['.lock.ops']);
    });
  });

  describe('deployRelease', () => {
    function settings(workspace: string) {
      const inputs: Record<string, string> = {
        transport: 'local',
        site: 'shop',
        'compose-file': 'deploy/compose.yml',
        env: 'A=1',
        pull: 'false',
        'health-containers': 'false',
      };
      return parseDeploySettings((name) => inputs[name] ?? '', workspace);
    }

    it('marks .in-flight before up and clears it only after the switch', async () => {
      const workspace = mkdtempSync(join(tmpdir(), 'berth-ws-'));
      mkdirSync(join(workspace, 'deploy'));
      writeFileSync(
        join(workspace, 'deploy/compose.yml'),
        'services:\n  web:\n    image: web:v1\n',
      );
      try {
        const { runner, calls } = fakeRunner((argv) => {
          if (argv[3] === 'berth-state')
            return ok(
              `home\t/h\ncurrent\treleases/${OLD}\ncurrent_hash\t${'c'.repeat(64)}\n` +
                `manifest\t${b64(JSON.stringify(manifestOf(OLD)))}\nfree_kb\t99999999\n`,
            );
          if (argv[3] === 'berth-compose-probe') return ok('docker compose\t2.26.1\n');
          if (argv.at(-1) === 'config') return ok('services:\n  web:\n    image: web:v1\n');
          if (argv[1] === 'image') return ok(`sha256:${'e'.repeat(64)}\tnull\n`);
          // The connection goes right after `compose up`, as when the job is cancelled there.
          if (argv[3] === 'berth-switch') throw new ConnectionError('SSH connection lost');
          return ok();
        });
        const logs: string[] = [];
        const error = await deployRelease(settings(workspace), depsFor(runner, logs)).catch(
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ConnectionError);
        const marker = calls.findIndex((c) => c.startsWith(`berth-write ${inFlightPath(layout)} `));
        const up = calls.findIndex(
          (c) => c === 'locked(berth/shop/.lock.ops) compose up --remove-orphans',
        );
        const switched = calls.findIndex((c) => c.startsWith('berth-switch '));
        expect(marker).toBeGreaterThan(-1);
        expect(up).toBe(marker + 1);
        expect(switched).toBe(up + 1);
        expect(JSON.parse(calls[marker]?.split(' ').slice(2).join(' ') ?? '')).toMatchObject({
          operation: 'deploy',
          release_id: expect.stringMatching(/^rel_1700000200_[a-f0-9]{8}$/),
        });
        // Nothing removed the marker: the next operation will see it.
        expect(calls.filter((c) => c.startsWith('rm -rf -- berth/shop/.in-flight'))).toEqual([]);
      } finally {
        rmSync(workspace, { recursive: true, force: true });
      }
    });
  });
});
