import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  currentLink,
  errorAnnotations,
  imageId,
  readJson,
  releaseIds,
  siteDir,
  snapshotTree,
} from './support/deploy-site.js';
import { docker, freePort, httpGet, uniqueSite } from './support/fixtures.js';
import {
  auditRecords,
  buildDistinctImage,
  cleanupSite,
  deployInputs,
  deployRev,
  forkPullRequestEnv,
  imageExists,
  lifecycleRun,
  lifecycleWorkspace,
  makeIncompleteRelease,
  projectContainers,
  pruneRun,
  releaseSecond,
  releaseTag,
  rootAuditLog,
  untag,
  volumeNames,
  waitPastSecond,
  type LifecycleSite,
} from './support/lifecycle-site.js';
import { runAction, type ActionRun } from './support/run-action.js';
import { connectionInputs } from './support/target.js';

const HEX64 = /^[a-f0-9]{64}$/;
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const INCOMPLETE = 'rel_0000000001_deadbeef';

interface ServiceOutput {
  name: string;
  container: string;
  state: string;
  health: string;
  image_id: string;
  started_at: string;
}

interface ReleaseOutput {
  release_id: string;
  artifact_hash: string | null;
  created_at: string | null;
  health_status: string;
  pinned: boolean;
  current: boolean;
}

interface ReleaseJson {
  release_id: string;
  artifact_hash: string;
  created_at: string;
  health_status: string;
  pinned?: boolean;
}

interface ManifestJson {
  current_release_id: string | null;
  stopped?: boolean;
}

const sorted = (values: readonly string[]): string[] => [...values].sort();
const jsonArray = (run: ActionRun, name: string): string[] =>
  JSON.parse(run.outputs[name] ?? 'null') as string[];
const servicesOf = (run: ActionRun): ServiceOutput[] =>
  JSON.parse(run.outputs.services ?? 'null') as ServiceOutput[];
const describeRun = (run: ActionRun): string => `code ${run.code}\n${run.stdout}\n${run.stderr}`;

function expectOk(run: ActionRun): void {
  expect(run.code, describeRun(run)).toBe(0);
  expect(errorAnnotations(run), describeRun(run)).toEqual([]);
}

function newSite(prefix: string, options: { volume?: boolean } = {}): LifecycleSite {
  return { site: uniqueSite(prefix), port: freePort(), workspace: lifecycleWorkspace(options) };
}

/** Container state as docker sees it, polled until `want` (a killed container exits by itself). */
async function waitForContainerState(id: string, want: string): Promise<string> {
  let state = '';
  for (let i = 0; i < 50; i++) {
    state = docker('container', 'inspect', '--format', '{{.State.Status}}', id);
    if (state === want) return state;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return state;
}

function diskBytes(dirs: readonly string[]): number {
  return execFileSync('du', ['-sb', '--', ...dirs], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .reduce((sum, line) => sum + Number(line.split('\t')[0]), 0);
}

describe('prune-releases', () => {
  const s = newSite('prune');
  const dir = siteDir(s.site);
  const auditLog = `${dir}/audit.log`;
  const u1Tag = `berth-lc/${s.site}:u1`;
  const u2Tag = `berth-lc/${s.site}:u2`;
  let u1Id = '';
  let u2Id = '';
  /** Release ids in deploy order. */
  const ids: string[] = [];

  beforeAll(async () => {
    // Two images of their own, so "image gone" and "image kept" say something about Berth's tags.
    u1Id = buildDistinctImage(u1Tag, `${s.site}-u1`);
    u2Id = buildDistinctImage(u2Tag, `${s.site}-u2`);
    for (let rev = 1; rev <= 6; rev++) {
      ids.push(await deployRev(s, rev, { image: rev <= 2 ? u1Tag : u2Tag }));
    }
    // From here on only Berth's release tags (and the running container) hold the two images.
    untag(u1Tag);
    untag(u2Tag);
  });
  afterAll(() => cleanupSite(s.site, [u1Tag, u2Tag, u1Id, u2Id].filter(Boolean)));

  it('made six releases whose ids sort in deploy order, each with its image tag', () => {
    expect(new Set(ids).size).toBe(6);
    expect(releaseIds(s.site)).toEqual(ids);
    expect(sorted(ids)).toEqual(ids);
    expect(currentLink(s.site)).toBe(`releases/${ids[5]}`);
    ids.forEach((id, i) => expect(imageId(releaseTag(s.site, id))).toBe(i < 2 ? u1Id : u2Id));
  });

  it('dry run lists what it would delete and changes nothing', async () => {
    const before = snapshotTree(dir);
    const run = await pruneRun(s, 3, { 'dry-run': 'true' });
    expectOk(run);
    expect(sorted(jsonArray(run, 'pruned-releases'))).toEqual(ids.slice(0, 3));
    expect(sorted(jsonArray(run, 'kept-releases'))).toEqual(ids.slice(3));
    expect(Number(run.outputs['freed-bytes'])).toBe(
      diskBytes(ids.slice(0, 3).map((id) => `${dir}/releases/${id}`)),
    );
    expect(snapshotTree(dir)).toEqual(before);
    for (const id of ids) expect(imageExists(releaseTag(s.site, id))).toBe(true);
  });

  it('prunes six releases to three: dirs, image tags and unused images go; audit lists them', async () => {
    const pruned = ids.slice(0, 3);
    const kept = ids.slice(3);
    const expectedBytes = diskBytes(pruned.map((id) => `${dir}/releases/${id}`));
    const auditBefore = auditRecords(auditLog).length;

    const run = await pruneRun(s, 3);
    expectOk(run);
    expect(sorted(jsonArray(run, 'pruned-releases'))).toEqual(pruned);
    expect(sorted(jsonArray(run, 'kept-releases'))).toEqual(kept);
    const freed = Number(run.outputs['freed-bytes']);
    console.log(`prune-releases keep 3 freed ${freed} bytes (${pruned.join(', ')})`);
    expect(Number.isInteger(freed)).toBe(true);
    expect(freed).toBeGreaterThan(0);
    expect(freed).toBe(expectedBytes);

    expect(releaseIds(s.site)).toEqual(kept);
    for (const id of pruned) expect(existsSync(`${dir}/releases/${id}`)).toBe(false);
    expect(currentLink(s.site)).toBe(`releases/${ids[5]}`);

    const added = auditRecords(auditLog).slice(auditBefore);
    expect(added.map((r) => r.operation)).toEqual(['prune']);
    expect(added[0]).toMatchObject({ site: s.site, result: 'success', actor: 'octocat' });
    for (const id of pruned) expect(added[0]?.detail).toContain(id);
    for (const id of kept) expect(added[0]?.detail).not.toContain(id);
    expect(added[0]?.detail).toContain(`${freed} bytes`);

    for (const id of pruned) expect(imageExists(releaseTag(s.site, id))).toBe(false);
    for (const id of kept) expect(imageId(releaseTag(s.site, id))).toBe(u2Id);
    expect(imageExists(u1Id)).toBe(false); // only the pruned releases 1 and 2 used it
    expect(imageExists(u2Id)).toBe(true); // release 3 used it too, but 4–6 still do
    expect(imageExists('berth-fixture/web:v1')).toBe(true);
    expect((await httpGet(s.port))?.body).toBe('v1');
  });

  it('a pinned release survives keep 1; unpinned, the next prune deletes it', async () => {
    makeIncompleteRelease(dir, INCOMPLETE);
    const [r4, r5, r6] = ids.slice(3) as [string, string, string];

    const pin = await lifecycleRun(s, 'pin', { 'release-id': r4 });
    expectOk(pin);
    expect(readJson<ReleaseJson>(`${dir}/releases/${r4}/release.json`).pinned).toBe(true);
    const pinIncomplete = await lifecycleRun(s, 'pin', { 'release-id': INCOMPLETE });
    expect(pinIncomplete.code, describeRun(pinIncomplete)).toBe(1);
    expect(errorAnnotations(pinIncomplete)[0]?.message).toContain(INCOMPLETE);
    expect(existsSync(`${dir}/releases/${INCOMPLETE}/release.json`)).toBe(false);
    const listed = await lifecycleRun(s, 'list-releases');
    expectOk(listed);
    const listing = JSON.parse(listed.outputs.releases ?? '[]') as ReleaseOutput[];
    expect(listing.map((r) => [r.release_id, r.pinned])).toEqual([
      [r6, false],
      [r5, false],
      [r4, true],
      [INCOMPLETE, false],
    ]);

    const first = await pruneRun(s, 1);
    expectOk(first);
    expect(sorted(jsonArray(first, 'pruned-releases'))).toEqual([r5]);
    expect(sorted(jsonArray(first, 'kept-releases'))).toEqual([INCOMPLETE, r4, r6]);
    expect(releaseIds(s.site)).toEqual([INCOMPLETE, r4, r6]);
    expect(imageId(releaseTag(s.site, r4))).toBe(u2Id);

    const unpin = await lifecycleRun(s, 'unpin', { 'release-id': r4 });
    expectOk(unpin);
    expect(readJson<ReleaseJson>(`${dir}/releases/${r4}/release.json`).pinned).toBe(false);

    const second = await pruneRun(s, 1);
    expectOk(second);
    expect(sorted(jsonArray(second, 'pruned-releases'))).toEqual([r4]);
    expect(sorted(jsonArray(second, 'kept-releases'))).toEqual([INCOMPLETE, r6]);
    expect(releaseIds(s.site)).toEqual([INCOMPLETE, r6]);
    expect(imageExists(releaseTag(s.site, r4))).toBe(false);
    // The directory without release.json is never touched.
    expect(existsSync(`${dir}/releases/${INCOMPLETE}/compose.yml`)).toBe(true);
  });

  it('keeps the current release when it is the oldest', async () => {
    const r6 = ids[5] as string;
    const r7 = await deployRev(s, 7);
    const r8 = await deployRev(s, 8);
    ids.push(r7, r8);
    expect(currentLink(s.site)).toBe(`releases/${r8}`);

    const rollback = await runAction('rollback', {
      ...connectionInputs(),
      site: s.site,
      'release-id': r6,
      'health-url': `http://127.0.0.1:${s.port}/health`,
      'health-backoff': '0.2',
    });
    expectOk(rollback);
    expect(rollback.outputs['to-release']).toBe(r6);
    expect(currentLink(s.site)).toBe(`releases/${r6}`);

    const run = await pruneRun(s, 1);
    expectOk(run);
    expect(sorted(jsonArray(run, 'pruned-releases'))).toEqual([r7]);
    expect(sorted(jsonArray(run, 'kept-releases'))).toEqual([INCOMPLETE, r6, r8]);
    expect(releaseIds(s.site)).toEqual([INCOMPLETE, r6, r8]);
    expect(currentLink(s.site)).toBe(`releases/${r6}`);
    expect(imageId(releaseTag(s.site, r6))).toBe(u2Id);
    expect((await httpGet(s.port))?.body).toBe('v1');
  });

  it('deploy with keep-releases: 2 leaves two releases (and the incomplete dir)', async () => {
    const [r6, r8] = [ids[5] as string, ids[7] as string];
    const auditBefore = auditRecords(auditLog).length;
    const r9 = await deployRev(s, 9, { extra: { 'keep-releases': '2' } });
    ids.push(r9);
    expect(releaseIds(s.site)).toEqual([INCOMPLETE, r8, r9]);
    expect(existsSync(`${dir}/releases/${INCOMPLETE}/compose.yml`)).toBe(true);
    expect(imageExists(releaseTag(s.site, r6))).toBe(false);
    const added = auditRecords(auditLog).slice(auditBefore);
    expect(added.map((r) => r.operation)).toEqual(['deploy', 'prune']);
    expect(added[1]?.detail).toContain(r6);
    expect(added[1]?.detail).not.toContain(INCOMPLETE);
  });
});

describe('lifecycle', () => {
  const s = newSite('life', { volume: true });
  const project = s.site.toLowerCase();
  const dir = siteDir(s.site);
  const volume = `${project}_data`;
  let r1 = '';
  let r2 = '';
  const v1Id = (): string => imageId('berth-fixture/web:v1');

  beforeAll(async () => {
    r1 = await deployRev(s, 1);
    r2 = await deployRev(s, 2);
  });
  afterAll(() => cleanupSite(s.site));

  it('status of a running site: running, services, current release', async () => {
    const run = await lifecycleRun(s, 'status');
    expectOk(run);
    expect(run.outputs.status).toBe('running');
    expect(run.outputs['current-release-id']).toBe(r2);
    const [container] = projectContainers(project);
    const name = docker('container', 'inspect', '--format', '{{.Name}}', container as string);
    const services = servicesOf(run);
    expect(services).toEqual([
      {
        name: 'web',
        container: name.replace(/^\//, ''),
        state: 'running',
        health: 'none',
        image_id: v1Id(),
        started_at: expect.stringMatching(ISO_TIME) as unknown as string,
      },
    ]);
    expect(Date.now() - Date.parse(services[0]?.started_at ?? '')).toBeLessThan(10 * 60_000);
  });

  it('stop: stopped, port closed; stopping again succeeds', async () => {
    const run = await lifecycleRun(s, 'stop');
    expectOk(run);
    expect(run.outputs.status).toBe('stopped');
    expect(servicesOf(run).map((x) => x.state)).toEqual(['exited']);
    expect(await httpGet(s.port)).toBeNull();
    expect(readJson<ManifestJson>(`${dir}/manifest.json`).stopped).toBe(true);

    const status = await lifecycleRun(s, 'status');
    expectOk(status);
    expect(status.outputs.status).toBe('stopped');

    const again = await lifecycleRun(s, 'stop');
    expectOk(again);
    expect(again.outputs.status).toBe('stopped');
    expect(await httpGet(s.port)).toBeNull();
  });

  it('start serves again', async () => {
    const run = await lifecycleRun(s, 'start');
    expectOk(run);
    expect(run.outputs.status).toBe('running');
    expect((await httpGet(s.port))?.body).toBe('v1');
    expect(readJson<ManifestJson>(`${dir}/manifest.json`).stopped).toBeUndefined();
  });

  it('restart serves and changes started_at', async () => {
    const before = servicesOf(await lifecycleRun(s, 'status'))[0]?.started_at ?? '';
    expect(before).toMatch(ISO_TIME);
    const run = await lifecycleRun(s, 'restart');
    expectOk(run);
    expect(run.outputs.status).toBe('running');
    const after = servicesOf(run)[0]?.started_at ?? '';
    expect(after).toMatch(ISO_TIME);
    expect(after).not.toBe(before);
    expect(Date.parse(after)).toBeGreaterThan(Date.parse(before));
    expect((await httpGet(s.port))?.body).toBe('v1');
  });

  it('a container killed or stopped outside Berth reports exited, not stopped', async () => {
    const [container] = projectContainers(project) as [string];
    docker('kill', container);
    expect(await waitForContainerState(container, 'exited')).toBe('exited');
    const killed = await lifecycleRun(s, 'status');
    expectOk(killed);
    expect(killed.outputs.status).toBe('exited');
    expect(servicesOf(killed).map((x) => x.state)).toEqual(['exited']);

    const started = await lifecycleRun(s, 'start');
    expectOk(started);
    expect(started.outputs.status).toBe('running');
    expect((await httpGet(s.port))?.body).toBe('v1');

    docker('stop', (projectContainers(project) as [string])[0]);
    const stopped = await lifecycleRun(s, 'status');
    expectOk(stopped);
    expect(stopped.outputs.status).toBe('exited');

    expectOk(await lifecycleRun(s, 'start'));
    expect((await httpGet(s.port))?.body).toBe('v1');
  });

  it('list-releases: newest first with id, hash, time, health, pinned, current', async () => {
    const run = await lifecycleRun(s, 'list-releases');
    expectOk(run);
    const releases = JSON.parse(run.outputs.releases ?? 'null') as ReleaseOutput[];
    const meta = (id: string) => readJson<ReleaseJson>(`${dir}/releases/${id}/release.json`);
    expect(releases).toEqual([
      {
        release_id: r2,
        artifact_hash: meta(r2).artifact_hash,
        created_at: meta(r2).created_at,
        health_status: 'healthy',
        pinned: false,
        current: true,
      },
      {
        release_id: r1,
        artifact_hash: meta(r1).artifact_hash,
        created_at: meta(r1).created_at,
        health_status: 'healthy',
        pinned: false,
        current: false,
      },
    ]);
    for (const r of releases) {
      expect(r.artifact_hash).toMatch(HEX64);
      expect(r.created_at).toMatch(ISO_TIME);
    }
    expect(releases[0]?.artifact_hash).not.toBe(releases[1]?.artifact_hash);
  });

  it('remove (keep-data default) removes containers, keeps releases and the volume, audits', async () => {
    expect(volumeNames()).toContain(volume);
    const rootBefore = auditRecords(rootAuditLog()).length;
    const run = await lifecycleRun(s, 'remove');
    expectOk(run);
    expect(run.outputs.status).toBe('absent');
    expect(projectContainers(project)).toEqual([]);
    expect(await httpGet(s.port)).toBeNull();
    expect(releaseIds(s.site)).toEqual([r1, r2]);
    expect(currentLink(s.site)).toBe(`releases/${r2}`);
    expect(volumeNames()).toContain(volume);
    expect(imageId(releaseTag(s.site, r2))).toBe(v1Id());
    const added = auditRecords(rootAuditLog())
      .slice(rootBefore)
      .filter((r) => r.site === s.site);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ operation: 'remove', result: 'success' });

    const status = await lifecycleRun(s, 'status');
    expectOk(status);
    expect(status.outputs.status).toBe('absent');
  });

  it('remove with keep-data false is refused without the right confirm; nothing changes', async () => {
    const before = snapshotTree(dir);
    const rootBefore = auditRecords(rootAuditLog()).filter((r) => r.site === s.site).length;
    // (Inputs are trimmed as the runner's getInput does, so ' site' would count as the site.)
    for (const confirm of [undefined, 'wrong-site', s.site.toUpperCase(), `${s.site}-2`]) {
      const run = await lifecycleRun(s, 'remove', {
        'keep-data': 'false',
        ...(confirm === undefined ? {} : { confirm }),
      });
      expect(run.code, describeRun(run)).toBe(1);
      const errors = errorAnnotations(run);
      expect(errors).toHaveLength(1);
      expect(errors[0]?.title).toContain("'confirm'");
      expect(errors[0]?.message).toContain(s.site);
    }
    expect(snapshotTree(dir)).toEqual(before);
    expect(volumeNames()).toContain(volume);
    expect(auditRecords(rootAuditLog()).filter((r) => r.site === s.site)).toHaveLength(rootBefore);
  });

  it('confirmed remove deletes the volume, the release tags and the site directory', async () => {
    const started = await lifecycleRun(s, 'start');
    expectOk(started);
    expect(started.outputs.status).toBe('running');
    expect((await httpGet(s.port))?.body).toBe('v1');

    const rootBefore = auditRecords(rootAuditLog()).length;
    const run = await lifecycleRun(s, 'remove', { 'keep-data': 'false', confirm: s.site });
    expectOk(run);
    expect(run.outputs.status).toBe('absent');
    expect(projectContainers(project)).toEqual([]);
    expect(volumeNames()).not.toContain(volume);
    expect(existsSync(dir)).toBe(false);
    expect(imageExists(releaseTag(s.site, r1))).toBe(false);
    expect(imageExists(releaseTag(s.site, r2))).toBe(false);
    expect(imageExists('berth-fixture/web:v1')).toBe(true);
    const added = auditRecords(rootAuditLog())
      .slice(rootBefore)
      .filter((r) => r.site === s.site);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ operation: 'remove', result: 'success' });
  });
});

describe('root action', () => {
  const s = newSite('root');
  afterAll(() => cleanupSite(s.site));

  it('runs deploy, health, rollback, prune and lifecycle by command', async () => {
    const ids: string[] = [];
    for (const rev of [1, 2, 3]) {
      const run = await runAction(
        'berth',
        { command: 'deploy', ...deployInputs(s, rev) },
        { workspace: s.workspace },
      );
      expectOk(run);
      expect(run.outputs.deployed).toBe('true');
      ids.push(run.outputs['release-id'] as string);
      await waitPastSecond(releaseSecond(ids[ids.length - 1] as string));
    }
    const [r1, r2, r3] = ids as [string, string, string];
    expect(releaseIds(s.site)).toEqual([r1, r2, r3]);

    const health = await runAction('berth', {
      command: 'health',
      ...connectionInputs(),
      site: s.site,
      url: `http://127.0.0.1:${s.port}/health`,
      backoff: '0.2',
    });
    expectOk(health);
    expect(health.outputs.status).toBe('healthy');
    expect(health.outputs['http-status']).toBe('200');

    const rollback = await runAction('berth', {
      command: 'rollback',
      ...connectionInputs(),
      site: s.site,
      'health-url': `http://127.0.0.1:${s.port}/health`,
      'health-backoff': '0.2',
    });
    expectOk(rollback);
    expect(rollback.outputs).toMatchObject({
      success: 'true',
      'from-release': r3,
      'to-release': r2,
    });
    expect(currentLink(s.site)).toBe(`releases/${r2}`);

    const prune = await runAction('berth', {
      command: 'prune',
      ...connectionInputs(),
      site: s.site,
      keep: '1',
    });
    expectOk(prune);
    expect(sorted(jsonArray(prune, 'pruned-releases'))).toEqual([r1]);
    expect(sorted(jsonArray(prune, 'kept-releases'))).toEqual([r2, r3]);
    expect(releaseIds(s.site)).toEqual([r2, r3]);

    const status = await runAction('berth', {
      command: 'lifecycle',
      ...connectionInputs(),
      site: s.site,
      operation: 'status',
    });
    expectOk(status);
    expect(status.outputs.status).toBe('running');
    expect(status.outputs['current-release-id']).toBe(r2);
    expect((await httpGet(s.port))?.body).toBe('v1');
  });

  it('an unknown or missing command fails naming the valid ones', async () => {
    const before = snapshotTree(siteDir(s.site));
    for (const command of ['destroy', 'deploy-release', '']) {
      const run = await runAction('berth', { command, ...connectionInputs(), site: s.site });
      expect(run.code, describeRun(run)).toBe(1);
      const errors = errorAnnotations(run);
      expect(errors).toHaveLength(1);
      expect(errors[0]?.title).toContain("'command'");
      if (command) expect(errors[0]?.message).toContain(`'${command}'`);
      else expect(errors[0]?.message).toContain('required');
      for (const valid of ['deploy', 'health', 'rollback', 'prune', 'lifecycle']) {
        expect(errors[0]?.message).toContain(valid);
      }
    }
    expect(snapshotTree(siteDir(s.site))).toEqual(before);
  });
});

describe('fork pull requests', () => {
  const s = newSite('fork');
  const project = s.site.toLowerCase();
  const dir = siteDir(s.site);
  let r1 = '';
  let r2 = '';
  beforeAll(async () => {
    r1 = await deployRev(s, 1);
    r2 = await deployRev(s, 2);
  });
  afterAll(() => cleanupSite(s.site));

  const containerFacts = (): string[] =>
    projectContainers(project).map((id) =>
      docker(
        'container',
        'inspect',
        '--format',
        '{{.Id}} {{.State.Status}} {{.State.StartedAt}}',
        id,
      ),
    );

  it('refuses every mutating operation, naming allow-fork-pull-requests', async () => {
    const env = forkPullRequestEnv();
    const conn = { ...connectionInputs(), site: s.site };
    /** [operation as the refusal names it, action, inputs] */
    type Attempt = [string, string, Record<string, string>];
    const attempts: Attempt[] = [
      ['deploy', 'deploy-release', deployInputs(s, 3)],
      ['rollback', 'rollback', { ...conn, 'release-id': r1 }],
      ['prune', 'prune-releases', { ...conn, keep: '1' }],
      ...['start', 'stop', 'restart', 'remove'].map((operation): Attempt => [
        `lifecycle ${operation}`,
        'lifecycle',
        { ...conn, operation },
      ]),
      ['lifecycle pin', 'lifecycle', { ...conn, operation: 'pin', 'release-id': r1 }],
      ['lifecycle unpin', 'lifecycle', { ...conn, operation: 'unpin', 'release-id': r1 }],
      ['deploy', 'berth', { command: 'deploy', ...deployInputs(s, 4) }],
      ['lifecycle stop', 'berth', { command: 'lifecycle', ...conn, operation: 'stop' }],
    ];
    const siteBefore = snapshotTree(dir);
    const containersBefore = containerFacts();
    expect(containersBefore).toHaveLength(1);
    const runs = await Promise.all(
      attempts.map(([, action, inputs]) =>
        runAction(action, inputs, { workspace: s.workspace, env }),
      ),
    );
    runs.forEach((run, i) => {
      const [operation, action] = attempts[i] as Attempt;
      expect(run.code, `${action} ${operation}: ${describeRun(run)}`).toBe(1);
      const errors = errorAnnotations(run);
      expect(errors, `${action} ${operation}`).toHaveLength(1);
      expect(errors[0]?.title).toBe("Berth: input 'allow-fork-pull-requests'");
      expect(errors[0]?.message).toContain(`'${operation}'`);
      expect(errors[0]?.message).toContain('allow-fork-pull-requests');
    });
    expect(snapshotTree(dir)).toEqual(siteBefore);
    expect(containerFacts()).toEqual(containersBefore);
    expect(releaseIds(s.site)).toEqual([r1, r2]);
    expect((await httpGet(s.port))?.body).toBe('v1');
  });

  it('status, list-releases and health-gate still work', async () => {
    const env = forkPullRequestEnv();
    const status = await lifecycleRun(s, 'status', {}, env);
    expectOk(status);
    expect(status.outputs.status).toBe('running');
    expect(status.outputs['current-release-id']).toBe(r2);

    const list = await lifecycleRun(s, 'list-releases', {}, env);
    expectOk(list);
    const releases = JSON.parse(list.outputs.releases ?? 'null') as ReleaseOutput[];
    expect(releases.map((r) => r.release_id)).toEqual([r2, r1]);

    const health = await runAction(
      'health-gate',
      {
        ...connectionInputs(),
        site: s.site,
        url: `http://127.0.0.1:${s.port}/health`,
        backoff: '0.2',
      },
      { env },
    );
    expectOk(health);
    expect(health.outputs.status).toBe('healthy');
  });

  it("with allow-fork-pull-requests: 'true' a stop runs", async () => {
    const run = await lifecycleRun(
      s,
      'stop',
      { 'allow-fork-pull-requests': 'true' },
      forkPullRequestEnv(),
    );
    expectOk(run);
    expect(run.outputs.status).toBe('stopped');
    expect(await httpGet(s.port)).toBeNull();
    expect(readJson<ManifestJson>(`${dir}/manifest.json`).stopped).toBe(true);
  });
});
