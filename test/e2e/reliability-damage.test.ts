import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { annotationsOf } from './support/deploy-site.js';
import { docker, freePort, httpGet, uniqueSite } from './support/fixtures.js';
import {
  cleanupSite,
  deployInputs,
  lifecycleRun,
  lifecycleWorkspace,
  releaseSecond,
  waitPastSecond,
  type LifecycleSite,
} from './support/lifecycle-site.js';
import { recordResult } from './support/results.js';
import { explain, RELEASE_ID } from './support/rollback-site.js';
import { runAction, type ActionRun } from './support/run-action.js';
import { connectionInputs, target } from './support/target.js';

const DAMAGE = '8. Damage on the server';
const DISK = '9. Disk space';
const ALONG = 'Found along the way (5, 8, 9)';
const V1 = 'berth-fixture/web:v1';
const V2 = 'berth-fixture/web:v2';
const BROKEN = 'berth-fixture/web:broken';

/** A test site; `root` is its deploy root on the target when not the default `~/berth`. */
interface Site extends LifecycleSite {
  readonly root: string;
}

const sites: Site[] = [];
const cleanups: Array<() => void> = [];

afterAll(() => {
  for (const s of sites) {
    cleanupSite(s.site);
    rmSync(s.workspace, { recursive: true, force: true });
  }
  for (const cleanup of cleanups.reverse()) cleanup();
});

function newSite(prefix: string, root = `${target().home}/berth`): Site {
  const s: Site = {
    site: uniqueSite(prefix),
    port: freePort(),
    workspace: lifecycleWorkspace({ volume: true }),
    root,
  };
  sites.push(s);
  return s;
}

const dirOf = (s: Site): string => `${s.root}/${s.site}`;
/** How Berth names a path under the default deploy root in its messages (relative to home). */
const shown = (s: Site, path = ''): string => `berth/${s.site}${path}`;
const releasesOf = (s: Site): string[] =>
  existsSync(`${dirOf(s)}/releases`) ? readdirSync(`${dirOf(s)}/releases`).sort() : [];
const linkOf = (s: Site): string => readlinkSync(`${dirOf(s)}/current`);
const manifestText = (s: Site): string => readFileSync(`${dirOf(s)}/manifest.json`, 'utf8');
const manifestOf = (s: Site): Record<string, unknown> =>
  JSON.parse(manifestText(s)) as Record<string, unknown>;

const lastSecond = new Map<string, number>();

/** A deploy of revision `rev` with `image`; release ids of one site get distinct seconds. */
async function deploy(
  s: Site,
  rev: number,
  image: string,
  extra: Record<string, string> = {},
): Promise<ActionRun> {
  const last = lastSecond.get(s.site);
  if (last !== undefined) await waitPastSecond(last);
  const run = await runAction(
    'deploy-release',
    deployInputs(s, rev, { 'health-timeout': '30', ...extra }, image),
    { workspace: s.workspace },
  );
  const id = run.outputs['release-id'];
  if (id && RELEASE_ID.test(id)) lastSecond.set(s.site, releaseSecond(id));
  return run;
}

async function deployOk(s: Site, rev: number, image: string, extra = {}): Promise<string> {
  const run = await deploy(s, rev, image, extra);
  expect(run.code, explain(run)).toBe(0);
  expect(run.outputs.deployed, explain(run)).toBe('true');
  expect(run.outputs['health-status']).toBe('healthy');
  return run.outputs['release-id'] as string;
}

function rollback(s: Site, extra: Record<string, string> = {}): Promise<ActionRun> {
  return runAction(
    'rollback',
    {
      ...connectionInputs(),
      site: s.site,
      'health-url': `http://127.0.0.1:${s.port}/health`,
      'health-backoff': '0.2',
      'health-timeout': '30',
      ...extra,
    },
    { workspace: s.workspace },
  );
}

const served = async (s: Site): Promise<string> => {
  const response = await httpGet(s.port);
  return response ? `${response.status} ${response.body}` : 'nothing';
};

const messages = (run: ActionRun, kind: 'error' | 'warning'): string[] =>
  annotationsOf(run)
    .filter((a) => a.kind === kind)
    .map((a) => a.message);

function volumeMountpoint(s: Site): string {
  return docker('volume', 'inspect', '--format', '{{.Mountpoint}}', `${s.site.toLowerCase()}_data`);
}

/** A site with two healthy releases, A (v1) then B (v2, current), and a file in its volume. */
async function twoReleases(prefix: string): Promise<{ s: Site; a: string; b: string }> {
  const s = newSite(prefix);
  const a = await deployOk(s, 1, V1);
  const b = await deployOk(s, 2, V2);
  writeFileSync(`${volumeMountpoint(s)}/marker`, `data of ${s.site}\n`);
  expect(await served(s)).toBe('200 v2');
  return { s, a, b };
}

/** Every file of every release (paths) and the volume's marker: what must never go missing. */
function keptState(s: Site): { releases: Record<string, string[]>; marker: string } {
  const releases: Record<string, string[]> = {};
  for (const id of releasesOf(s)) {
    const files: string[] = [];
    const walk = (dir: string, rel: string): void => {
      for (const name of readdirSync(dir).sort()) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path, `${rel}${name}/`);
        else files.push(`${rel}${name}`);
      }
    };
    walk(`${dirOf(s)}/releases/${id}`, '');
    releases[id] = files;
  }
  return { releases, marker: readFileSync(`${volumeMountpoint(s)}/marker`, 'utf8') };
}

/** Nothing of `before` is gone: every release and each of its files, and the volume data. */
function expectNothingDeleted(s: Site, before: ReturnType<typeof keptState>): void {
  const after = keptState(s);
  for (const [id, files] of Object.entries(before.releases)) {
    expect(after.releases[id], `release ${id} and its files are all still there`).toEqual(files);
  }
  expect(after.marker).toBe(before.marker);
}

/** Replaces a file's content as an operator would by hand, keeping its owner and mode. */
function overwrite(path: string, content: string): void {
  const { uid, gid, mode } = statSync(path);
  writeFileSync(path, content);
  chownSync(path, uid, gid);
  chmodSync(path, mode & 0o7777);
}

describe('damage on the server', () => {
  it('a garbage manifest.json: read around by status, rewritten from current by deploy and rollback', async () => {
    const { s, a, b } = await twoReleases('rel-dmg-manifest');
    const garbage = '\u0000{{ not json at all';
    overwrite(`${dirOf(s)}/manifest.json`, garbage);
    const before = keptState(s);
    const damaged = `${shown(s, '/manifest.json')} is damaged`;

    // status is read-only: it says what it uses instead and leaves the file alone.
    const status = await lifecycleRun(s, 'status');
    expect(status.code, explain(status)).toBe(0);
    expect(status.outputs.status).toBe('running');
    expect(status.outputs['current-release-id']).toBe(b);
    expect(messages(status, 'warning'), explain(status)).toEqual([
      expect.stringContaining(`${damaged} (Unexpected token`),
    ]);
    expect(messages(status, 'warning')[0]).toContain(
      `; using ${shown(s, '/current')} (${b}, last health 'healthy' from its release.json) instead`,
    );
    expect(manifestText(s)).toBe(garbage);

    // rollback takes the lock: it rewrites the manifest from current, then records the rollback.
    const back = await rollback(s);
    expect(back.code, explain(back)).toBe(0);
    expect(back.outputs['to-release']).toBe(a);
    expect(messages(back, 'warning').join('\n')).toContain(`${damaged} (Unexpected token`);
    expect(messages(back, 'warning').join('\n')).toContain(
      `; rewriting it from ${shown(s, '/current')} (${b}, last health 'healthy'`,
    );
    expect(manifestOf(s)).toMatchObject({
      current_release_id: a,
      previous_release_id: b,
      last_health_status: 'healthy',
    });
    expect(await served(s)).toBe('200 v1');
    expectNothingDeleted(s, before);

    // deploy: the same, and the new release records the link's release as previous.
    overwrite(`${dirOf(s)}/manifest.json`, garbage);
    const next = await deploy(s, 3, V2);
    expect(next.code, explain(next)).toBe(0);
    expect(messages(next, 'warning').join('\n')).toContain(`${damaged} (Unexpected token`);
    const c = next.outputs['release-id'];
    expect(manifestOf(s)).toMatchObject({
      current_release_id: c,
      previous_release_id: a,
      last_health_status: 'healthy',
    });
    expectNothingDeleted(s, before);

    // An unreadable manifest (root's, mode 000) and a deploy that changes nothing: still repaired.
    chownSync(`${dirOf(s)}/manifest.json`, 0, 0);
    chmodSync(`${dirOf(s)}/manifest.json`, 0o000);
    const same = await deploy(s, 3, V2);
    expect(same.code, explain(same)).toBe(0);
    expect(same.outputs.deployed).toBe('false');
    expect(messages(same, 'warning'), explain(same)).toEqual([
      `${damaged} (empty or unreadable); rewriting it from ${shown(s, '/current')} ` +
        `(${c}, last health 'healthy' from its release.json)`,
    ]);
    expect(statSync(`${dirOf(s)}/manifest.json`).uid).not.toBe(0);
    expect(manifestOf(s)).toMatchObject({
      current_release_id: c,
      previous_release_id: null,
      last_health_status: 'healthy',
    });
    expect(await served(s)).toBe('200 v2');
    expectNothingDeleted(s, before);
    recordResult(DAMAGE, 'garbage / unreadable manifest.json: status, rollback, deploy', 'passed');
  });

  it('a dangling current (its release directory removed) is named; rollback and deploy repair it', async () => {
    const { s, a, b } = await twoReleases('rel-dmg-dangling');
    rmSync(`${dirOf(s)}/releases/${b}`, { recursive: true });
    const before = keptState(s);
    const dangling = `${shown(s, '/current')} points to releases/${b}, which does not exist`;

    const status = await lifecycleRun(s, 'status');
    expect(status.code, explain(status)).toBe(0);
    expect(status.outputs.status).toBe('running');
    expect(messages(status, 'warning'), explain(status)).toEqual([
      expect.stringContaining(dangling),
    ]);

    const restart = await lifecycleRun(s, 'restart');
    expect(restart.code, explain(restart)).toBe(1);
    expect(messages(restart, 'warning')).toEqual([expect.stringContaining(dangling)]);
    expect(messages(restart, 'error')).toEqual([
      expect.stringContaining(`Site ${s.site} has no current release`),
    ]);
    expect(await served(s)).toBe('200 v2');

    const back = await rollback(s);
    expect(back.code, explain(back)).toBe(0);
    expect(messages(back, 'warning')).toEqual([expect.stringContaining(dangling)]);
    expect(back.outputs['from-release']).toBe(b);
    expect(back.outputs['to-release']).toBe(a);
    expect(linkOf(s)).toBe(`releases/${a}`);
    expect(await served(s)).toBe('200 v1');
    expect(releasesOf(s)).toEqual([a]);
    expectNothingDeleted(s, before);

    const c = await deployOk(s, 3, V2);
    rmSync(`${dirOf(s)}/releases/${c}`, { recursive: true });
    const next = await deploy(s, 4, V1);
    expect(next.code, explain(next)).toBe(0);
    expect(messages(next, 'warning')).toEqual([
      expect.stringContaining(
        `${shown(s, '/current')} points to releases/${c}, which does not exist`,
      ),
    ]);
    expect(next.outputs['previous-release-id']).toBe(c);
    expect(linkOf(s)).toBe(`releases/${next.outputs['release-id']}`);
    expect(await served(s)).toBe('200 v1');
    expectNothingDeleted(s, before);
    recordResult(DAMAGE, 'dangling current: status, restart, rollback, deploy', 'passed');
  });

  it('a deleted rollback target is reported and skipped; the site is left as it was', async () => {
    const { s, a, b } = await twoReleases('rel-dmg-deleted');
    rmSync(`${dirOf(s)}/releases/${a}`, { recursive: true });
    const before = keptState(s);
    const target_ = `${target().user}@${target().host}:${target().port}`;

    const named = await rollback(s, { 'release-id': a });
    expect(named.code, explain(named)).toBe(1);
    expect(messages(named, 'error')).toEqual([
      `Release ${a} does not exist on ${target_} (input 'release-id'); the site was left as it was`,
    ]);
    const auto = await rollback(s);
    expect(auto.code, explain(auto)).toBe(1);
    expect(messages(auto, 'error')).toEqual([
      `No release older than ${b} that is not marked unhealthy; the site was left as it was`,
    ]);
    expect(linkOf(s)).toBe(`releases/${b}`);
    expect(await served(s)).toBe('200 v2');

    const list = await lifecycleRun(s, 'list-releases');
    expect(list.code, explain(list)).toBe(0);
    expect(
      (JSON.parse(list.outputs.releases ?? '[]') as Array<{ release_id: string }>).map(
        (r) => r.release_id,
      ),
    ).toEqual([b]);

    // A broken deploy rolls back to the release that is still there.
    const broken = await deploy(s, 3, BROKEN, { 'health-timeout': '6' });
    expect(broken.code, explain(broken)).toBe(1);
    expect(broken.outputs['rolled-back']).toBe('true');
    expect(broken.outputs['current-release-id']).toBe(b);
    expect(await served(s)).toBe('200 v2');
    expectNothingDeleted(s, before);
    recordResult(DAMAGE, 'deleted rollback target: rollback (named, auto), list, deploy', 'passed');
  });

  it('a tampered release is refused as a rollback target, naming its directory', async () => {
    const { s, a, b } = await twoReleases('rel-dmg-tamper');
    appendFileSync(`${dirOf(s)}/releases/${a}/compose.yml`, '# edited on the server\n');
    const before = keptState(s);
    const refusal = new RegExp(
      `Release ${a} was modified after it was made: its files in ${shown(s)}/releases/${a} ` +
        `\\(\\.env, compose\\.yml\\) and the image ids in release\\.json hash to [0-9a-f]{12}…, ` +
        `not to the recorded [0-9a-f]{12}…`,
    );
    const choices: Array<Record<string, string>> = [{}, { 'release-id': a }];
    for (const extra of choices) {
      const run = await rollback(s, extra);
      expect(run.code, explain(run)).toBe(1);
      expect(messages(run, 'error')).toEqual([expect.stringMatching(refusal)]);
      expect(messages(run, 'error')[0]).toMatch(/^Rollback could not start \(verify\): /);
      expect(messages(run, 'error')[0]).toMatch(/The site was left as it was\.$/);
      expect(linkOf(s)).toBe(`releases/${b}`);
      expect(await served(s)).toBe('200 v2');
    }

    // The current release tampered with, and a broken deploy whose rollback would need it.
    appendFileSync(`${dirOf(s)}/releases/${b}/compose.yml`, '# edited on the server\n');
    const broken = await deploy(s, 3, BROKEN, { 'health-timeout': '6' });
    expect(broken.code, explain(broken)).toBe(1);
    expect(messages(broken, 'error')).toEqual([
      expect.stringContaining(`Release ${b} was modified after it was made: its files in`),
    ]);
    expectNothingDeleted(s, before);
    recordResult(DAMAGE, 'tampered release: rollback (auto, named), deploy needing it', 'passed');
  });

  it('an unreadable .env (root, mode 000) is named; nothing else is touched', async () => {
    const { s, a, b } = await twoReleases('rel-dmg-env');
    for (const id of [a, b]) {
      const env = `${dirOf(s)}/releases/${id}/.env`;
      chownSync(env, 0, 0);
      chmodSync(env, 0o000);
    }
    const before = keptState(s);

    const back = await rollback(s);
    expect(back.code, explain(back)).toBe(1);
    expect(messages(back, 'error')).toEqual([
      `Rollback could not start (verify): Release ${a}: ${shown(s)}/releases/${a}/.env ` +
        'is missing or unreadable. The site was left as it was.',
    ]);
    expect(await served(s)).toBe('200 v2');

    const status = await lifecycleRun(s, 'status');
    expect(status.code, explain(status)).toBe(0);
    expect(status.outputs.status).toBe('running');

    const restart = await lifecycleRun(s, 'restart');
    expect(restart.code, explain(restart)).toBe(1);
    expect(messages(restart, 'error')).toEqual([
      expect.stringContaining(`${target().home}/${shown(s)}/releases/${b}/.env: permission denied`),
    ]);
    expect(await served(s)).toBe('200 v2');

    // A new release has its own .env: deploying is not affected.
    const c = await deployOk(s, 3, V1);
    expect(linkOf(s)).toBe(`releases/${c}`);
    expect(await served(s)).toBe('200 v1');
    expectNothingDeleted(s, before);
    for (const id of [a, b]) {
      expect(statSync(`${dirOf(s)}/releases/${id}/.env`).mode & 0o777).toBe(0);
    }
    recordResult(DAMAGE, 'unreadable .env: rollback, status, restart, deploy', 'passed');
  });
});

describe('disk space', () => {
  it('a deploy root with less than min-free-mb free is refused; the old release keeps serving', async () => {
    const mountpoint = `/tmp/berth-tmpfs-${process.pid}`;
    mkdirSync(mountpoint, { recursive: true });
    const uid = execFileSync('id', ['-u', target().user], { encoding: 'utf8' }).trim();
    const gid = execFileSync('id', ['-g', target().user], { encoding: 'utf8' }).trim();
    execFileSync('mount', [
      '-t',
      'tmpfs',
      '-o',
      `size=20m,mode=0755,uid=${uid},gid=${gid}`,
      'berth-test-tmpfs',
      mountpoint,
    ]);
    cleanups.push(() => {
      spawnSync('umount', [mountpoint]);
      rmdirSync(mountpoint);
    });
    const s = newSite('rel-disk', mountpoint);
    const root = { 'deploy-root': mountpoint };

    const first = await deploy(s, 1, V1, { ...root, 'min-free-mb': '1' });
    expect(first.code, explain(first)).toBe(0);
    const a = first.outputs['release-id'] as string;
    expect(first.outputs['release-dir']).toBe(`${mountpoint}/${s.site}/releases/${a}`);
    expect(existsSync(`${mountpoint}/${s.site}/releases/${a}/release.json`)).toBe(true);
    expect(await served(s)).toBe('200 v1');
    const manifest = manifestText(s);

    const refused = await deploy(s, 2, V2, root);
    expect(refused.code, explain(refused)).toBe(1);
    expect(messages(refused, 'error')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^Only (1[0-9]|20) MiB free under ${mountpoint} on ${target().user}@127\\.0\\.0\\.1:${target().port}; ` +
            `'min-free-mb' asks for at least 200 MiB$`,
        ),
      ),
    ]);
    expect(await served(s)).toBe('200 v1');
    expect(releasesOf(s)).toEqual([a]);
    expect(linkOf(s)).toBe(`releases/${a}`);
    expect(manifestText(s)).toBe(manifest);
    // Refused before anything was uploaded: nothing staged.
    const staging = `${mountpoint}/${s.site}/.staging`;
    expect(existsSync(staging) ? readdirSync(staging) : []).toEqual([]);
    recordResult(
      DISK,
      'min-free-mb refuses a small tmpfs deploy root; old release serves',
      'passed',
    );
  });
});

describe('state read under the lock', () => {
  it('a rollback that waited for a deploy acts on the state that deploy left', async () => {
    const { s, b } = await twoReleases('rel-dmg-stale');
    const project = s.site.toLowerCase();
    const sleeping = (): boolean =>
      docker(
        'ps',
        '--filter',
        `label=com.docker.compose.project=${project}`,
        '--format',
        '{{.Command}}',
      )
        .split('\n')
        .some((c) => c.includes('sleep 8'));
    // A deploy that holds the lock for a while (before-up), then switches to C.
    const deploying = deploy(s, 3, V1, {
      'before-up': JSON.stringify([['run', '--rm', 'web', 'sleep', '8']]),
    });
    const deadline = Date.now() + 60_000;
    while (!sleeping() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(sleeping(), 'before-up started').toBe(true);
    const back = await rollback(s, { 'lock-timeout': '120' });
    const deployed = await deploying;
    expect(deployed.code, explain(deployed)).toBe(0);
    const c = deployed.outputs['release-id'];
    // Before: the rollback read `current` (B) before it got the lock, then rolled back past B.
    expect(back.code, explain(back)).toBe(0);
    expect(back.outputs['from-release']).toBe(c);
    expect(back.outputs['to-release']).toBe(b);
    expect(linkOf(s)).toBe(`releases/${b}`);
    expect(await served(s)).toBe('200 v2');
    recordResult(ALONG, 'rollback queued behind a deploy reads the state after it', 'passed');
  });
});
