import { appendFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  currentLink,
  errorAnnotations,
  imageId,
  releaseIds,
  removeReleaseTags,
  runningContainers,
  siteDir,
} from './support/deploy-site.js';
import {
  docker,
  freePort,
  httpGet,
  makeWorkspace,
  removeProject,
  uniqueSite,
  webCompose,
} from './support/fixtures.js';
import {
  acceptsTcp,
  auditOf,
  composeUp,
  containerHealth,
  explain,
  externalIpv4,
  manifestOf,
  RELEASE_ID,
  releaseJsonOf,
  sleep,
  sshdLogLength,
  sshdLogSince,
  watchServedAgain,
} from './support/rollback-site.js';
import { runAction, type ActionRun } from './support/run-action.js';
import { connectionInputs } from './support/target.js';

const sites: string[] = [];
const extraTags: string[] = [];
const workspaces: string[] = [];

function newSite(prefix: string): string {
  const name = uniqueSite(prefix);
  sites.push(name);
  return name;
}

function workspace(compose = webCompose()): string {
  const ws = makeWorkspace({ 'deploy/compose.yml': compose });
  workspaces.push(ws);
  return ws;
}

afterAll(() => {
  for (const site of sites) {
    removeProject(site.toLowerCase());
    removeReleaseTags(site.toLowerCase());
  }
  for (const tag of extraTags) docker('image', 'rm', '--no-prune', tag);
  for (const ws of workspaces) rmSync(ws, { recursive: true, force: true });
});

const envText = (port: number, tag: string): string => `WEB_PORT=${port}\nWEB_TAG=${tag}\n`;

/** Deploys `tag` of the fixture web image; fast health settings unless overridden (null: the default). */
function deploy(
  site: string,
  port: number,
  tag: string,
  ws: string,
  extra: Record<string, string | null> = {},
): Promise<ActionRun> {
  const inputs: Record<string, string | null> = {
    ...connectionInputs(),
    site,
    'compose-file': 'deploy/compose.yml',
    env: envText(port, tag),
    pull: 'false',
    'health-url': `http://127.0.0.1:${port}/health`,
    'health-backoff': '0.2',
    'health-timeout': '20',
    ...extra,
  };
  const given = Object.entries(inputs).filter((e): e is [string, string] => e[1] !== null);
  return runAction('deploy-release', Object.fromEntries(given), { workspace: ws });
}

async function deployOk(site: string, port: number, tag: string, ws: string): Promise<string> {
  const run = await deploy(site, port, tag, ws);
  expect(run.code, explain(run)).toBe(0);
  expect(run.outputs['health-status']).toBe('healthy');
  const id = run.outputs['release-id'] as string;
  expect(id).toMatch(RELEASE_ID);
  expect(await httpGet(port)).toEqual({ status: 200, body: tag });
  return id;
}

function rollback(site: string, port: number, extra: Record<string, string> = {}) {
  return runAction('rollback', {
    ...connectionInputs(),
    site,
    'health-url': `http://127.0.0.1:${port}/health`,
    'health-backoff': '0.2',
    'health-timeout': '20',
    ...extra,
  });
}

function gate(inputs: Record<string, string>): Promise<ActionRun> {
  return runAction('health-gate', { ...connectionInputs(), ...inputs });
}

/** The image the (single) running container of a project was created from. */
function runningImage(project: string): string {
  const ids = runningContainers(project);
  expect(ids).toHaveLength(1);
  return docker('inspect', '--format', '{{.Image}}', ids[0] as string);
}

/** Everything a failed rollback must leave as it was. */
interface SiteSnapshot {
  link: string;
  manifest: string;
  containers: string[];
  releases: string[];
  audit: string;
  served: { status: number; body: string } | null;
}

async function snapshotSite(site: string, port: number): Promise<SiteSnapshot> {
  return {
    link: currentLink(site),
    manifest: readFileSync(`${siteDir(site)}/manifest.json`, 'utf8'),
    containers: runningContainers(site),
    releases: releaseIds(site),
    audit: readFileSync(`${siteDir(site)}/audit.log`, 'utf8'),
    served: await httpGet(port),
  };
}

/** A rollback that fails cleanly: step failed, success=false, one error annotation, site untouched. */
async function expectCleanFailure(
  run: ActionRun,
  site: string,
  port: number,
  before: SiteSnapshot,
): Promise<string> {
  expect(run.code, explain(run)).toBe(1);
  expect(run.outputs.success, explain(run)).toBe('false');
  const errors = errorAnnotations(run);
  expect(errors, explain(run)).toHaveLength(1);
  expect(run.outputs.message).toBe(errors[0]?.message);
  // Not even an audit line: nothing was changed.
  expect(await snapshotSite(site, port)).toEqual(before);
  return errors[0]?.message as string;
}

describe('deploy health gate and automatic rollback', () => {
  const site = newSite('hr');
  const port = freePort();
  const ws = workspace();
  let rel1 = '';
  let rel2 = '';
  let broken = '';

  it('a healthy deploy records healthy in release.json, manifest.json and the health-status output', async () => {
    const run1 = await deploy(site, port, 'v1', ws);
    expect(run1.code, explain(run1)).toBe(0);
    rel1 = run1.outputs['release-id'] as string;
    expect(rel1).toMatch(RELEASE_ID);
    expect(run1.outputs['health-status']).toBe('healthy');
    expect(run1.outputs['rolled-back']).toBe('false');
    expect(releaseJsonOf(site, rel1).health_status).toBe('healthy');
    expect(manifestOf(site)).toMatchObject({
      current_release_id: rel1,
      last_health_status: 'healthy',
    });

    const run2 = await deploy(site, port, 'v2', ws);
    expect(run2.code, explain(run2)).toBe(0);
    rel2 = run2.outputs['release-id'] as string;
    expect(rel2).toMatch(RELEASE_ID);
    expect(rel2).not.toBe(rel1);
    expect(run2.outputs['health-status']).toBe('healthy');
    expect(releaseJsonOf(site, rel2).health_status).toBe('healthy');
    expect(manifestOf(site)).toMatchObject({
      current_release_id: rel2,
      previous_release_id: rel1,
      last_health_status: 'healthy',
    });
    expect(await httpGet(port)).toEqual({ status: 200, body: 'v2' });
  });

  it('a broken image is detected and rolled back; the old version serves again; the step fails', async () => {
    expect(rel2).toMatch(RELEASE_ID);
    // Default backoff (5 s) and retries (3): the 404s end the check at the 10 s timeout.
    const watched = await watchServedAgain(port, 'v2', () =>
      deploy(site, port, 'broken', ws, { 'health-timeout': '10', 'health-backoff': null }),
    );
    const run = watched.result;
    expect(watched.seen, explain(run)).toContain('200 broken');
    expect(watched.servedAgainAt, JSON.stringify(watched.seen)).not.toBeNull();
    const seconds = ((watched.servedAgainAt as number) - watched.startedAt) / 1000;
    console.log(
      `broken deploy -> old release serving again: ${seconds.toFixed(2)} s ` +
        `(step ${(run.durationMs / 1000).toFixed(2)} s; served: ${watched.seen.join(' | ')})`,
    );
    expect(seconds).toBeLessThan(30);

    expect(run.code, explain(run)).toBe(1);
    broken = run.outputs['release-id'] as string;
    expect(broken).toMatch(RELEASE_ID);
    expect(broken).not.toBe(rel2);
    expect(run.outputs).toMatchObject({
      deployed: 'true',
      'previous-release-id': rel2,
      'health-status': 'unhealthy',
      'rolled-back': 'true',
      'current-release-id': rel2,
    });
    const errors = errorAnnotations(run);
    expect(errors, explain(run)).toHaveLength(1);
    expect(errors[0]?.title).toBe('Berth: release rolled back');
    expect(errors[0]?.message).toContain(`Release ${broken} is unhealthy`);
    expect(errors[0]?.message).toContain(`rolled back to ${rel2}`);

    expect(await httpGet(port)).toEqual({ status: 200, body: 'v2' });
    expect(runningImage(site)).toBe(imageId('berth-fixture/web:v2'));
    expect(currentLink(site)).toBe(`releases/${rel2}`);
    expect(releaseIds(site)).toEqual([rel1, rel2, broken].sort());
    expect(releaseJsonOf(site, broken).health_status).toBe('unhealthy');
    expect(releaseJsonOf(site, rel2).health_status).toBe('healthy');
    expect(manifestOf(site)).toMatchObject({
      current_release_id: rel2,
      previous_release_id: broken,
      last_health_status: 'healthy',
    });
    expect(auditOf(site).at(-1)).toMatchObject({
      operation: 'deploy',
      from_release: rel2,
      to_release: rel2,
      result: 'rolled-back',
    });
  });

  it('rollback without release-id goes to the release before the current one, never the unhealthy one', async () => {
    expect(broken).toMatch(RELEASE_ID);
    const run = await rollback(site, port, { reason: 'manual check' });
    expect(run.code, explain(run)).toBe(0);
    expect(run.outputs).toMatchObject({
      success: 'true',
      'from-release': rel2,
      'to-release': rel1,
      'health-status': 'healthy',
      'lifecycle-status': 'running',
      warnings: '[]',
    });
    expect(run.outputs['to-release']).not.toBe(broken);
    expect(await httpGet(port)).toEqual({ status: 200, body: 'v1' });
    expect(runningImage(site)).toBe(imageId('berth-fixture/web:v1'));
    expect(currentLink(site)).toBe(`releases/${rel1}`);
    expect(manifestOf(site)).toMatchObject({
      current_release_id: rel1,
      previous_release_id: rel2,
      last_health_status: 'healthy',
    });
    expect(releaseIds(site)).toEqual([rel1, rel2, broken].sort());
    expect(releaseJsonOf(site, broken).health_status).toBe('unhealthy');
    expect(auditOf(site).at(-1)).toMatchObject({
      operation: 'rollback',
      from_release: rel2,
      to_release: rel1,
      result: 'success',
      detail: 'manual check',
    });
  });

  it('rollback to a given release-id restores that release', async () => {
    expect(rel1).toMatch(RELEASE_ID);
    const run = await rollback(site, port, { 'release-id': rel2 });
    expect(run.code, explain(run)).toBe(0);
    expect(run.outputs).toMatchObject({
      success: 'true',
      'from-release': rel1,
      'to-release': rel2,
      'health-status': 'healthy',
    });
    expect(await httpGet(port)).toEqual({ status: 200, body: 'v2' });
    expect(runningImage(site)).toBe(imageId('berth-fixture/web:v2'));
    expect(currentLink(site)).toBe(`releases/${rel2}`);
    expect(manifestOf(site)).toMatchObject({
      current_release_id: rel2,
      previous_release_id: rel1,
      last_health_status: 'healthy',
    });
    expect(auditOf(site).at(-1)).toMatchObject({
      operation: 'rollback',
      from_release: rel1,
      to_release: rel2,
      result: 'success',
    });
  });

  describe('failed rollbacks change nothing', () => {
    let before: SiteSnapshot;
    beforeAll(async () => {
      expect(currentLink(site)).toBe(`releases/${rel2}`);
      before = await snapshotSite(site, port);
      expect(before.served).toEqual({ status: 200, body: 'v2' });
    });

    it('to a well-formed id that does not exist', async () => {
      const missing = 'rel_1000000000_deadbeef';
      const run = await rollback(site, port, { 'release-id': missing });
      expect(run.code, explain(run)).toBe(1);
      expect(run.outputs.success, explain(run)).toBe('false');
      expect(run.outputs['from-release']).toBe(rel2);
      expect(run.outputs['to-release']).toBe(missing);
      const errors = errorAnnotations(run);
      expect(errors).toHaveLength(1);
      expect(errors[0]?.title).toBe('Berth: rollback failed');
      expect(errors[0]?.message).toMatch(
        new RegExp(`^Release ${missing} does not exist on .*input 'release-id'.*left as it was`),
      );
      expect(run.outputs.message).toBe(errors[0]?.message);
      expect(await snapshotSite(site, port)).toEqual(before);
    });

    it('to a malformed id (rel_123): an input error naming release-id, before connecting', async () => {
      const run = await rollback(site, port, { 'release-id': 'rel_123' });
      expect(run.code, explain(run)).toBe(1);
      const errors = errorAnnotations(run);
      expect(errors).toHaveLength(1);
      expect(errors[0]?.title).toBe("Berth: input 'release-id'");
      expect(errors[0]?.message).toMatch(/^Input 'release-id': must match /);
      expect(run.stdout).not.toContain('::group::connect');
      expect(await snapshotSite(site, port)).toEqual(before);
      // The issue asks for success=false on every failed rollback, input errors included.
      expect(run.outputs.success, explain(run)).toBe('false');
    });

    it.each(['.env', 'deploy/compose.yml'])(
      'to a release whose %s was modified on disk (then put back)',
      async (file) => {
        expect(rel1).toMatch(RELEASE_ID);
        const path = `${siteDir(site)}/releases/${rel1}/${file}`;
        const original = readFileSync(path);
        const stat = statSync(path);
        appendFileSync(path, '# tampered\n');
        try {
          const after = statSync(path);
          expect([after.mode, after.uid, after.gid]).toEqual([stat.mode, stat.uid, stat.gid]);

          const run = await rollback(site, port, { 'release-id': rel1 });
          const message = await expectCleanFailure(run, site, port, before);
          expect(message).toContain(`Release ${rel1} was modified after it was made`);
          expect(message).toContain('The site was left as it was');
          expect(run.outputs['from-release']).toBe(rel2);
          expect(run.outputs['to-release']).toBe(rel1);
        } finally {
          writeFileSync(path, original);
        }
      },
    );
  });
});

describe('rollback restores exactly the pinned images', () => {
  const site = newSite('hrmv');
  const port = freePort();
  const movable = `berth-fixture/web:mv-${site}`;
  let first = '';
  let second = '';

  it('restores the old image after its tag moved to another image', async () => {
    docker('tag', 'berth-fixture/web:v1', movable);
    extraTags.push(movable);
    const v1Id = imageId('berth-fixture/web:v1');
    const v2Id = imageId('berth-fixture/web:v2');
    expect(v1Id).not.toBe(v2Id);

    first = await deployOk(site, port, 'v1', workspace(webCompose({ image: movable })));
    second = await deployOk(site, port, 'v2', workspace());
    docker('tag', 'berth-fixture/web:v2', movable);
    expect(imageId(movable)).toBe(v2Id);

    const run = await rollback(site, port, { 'release-id': first });
    expect(run.code, explain(run)).toBe(0);
    expect(run.outputs).toMatchObject({
      success: 'true',
      'from-release': second,
      'to-release': first,
      'health-status': 'healthy',
    });
    expect(await httpGet(port)).toEqual({ status: 200, body: 'v1' });
    expect(runningImage(site)).toBe(v1Id);
    expect(releaseJsonOf(site, first).services[0]).toMatchObject({
      image: movable,
      image_id: v1Id,
    });
    expect(currentLink(site)).toBe(`releases/${first}`);
  });

  it('fails naming the missing image when the pinned tag of the target was removed', async () => {
    expect(second).toMatch(RELEASE_ID);
    const pinned = `berth/${site}:${second}-web`;
    expect(releaseJsonOf(site, second).services[0]?.pinned_tag).toBe(pinned);
    docker('rmi', pinned);
    const before = await snapshotSite(site, port);
    expect(before.served).toEqual({ status: 200, body: 'v1' });

    const run = await rollback(site, port, { 'release-id': second });
    const message = await expectCleanFailure(run, site, port, before);
    expect(message).toContain(`Release ${second} cannot run: pinned image(s) missing on the host`);
    expect(message).toContain(`web (${pinned} = sha256:`);
    expect(runningImage(site)).toBe(imageId('berth-fixture/web:v1'));
  });
});

describe('rollback skips a release marked unhealthy that is older than the current one', () => {
  const site = newSite('hrsk');
  const port = freePort();
  const ws = workspace();

  it('v1, broken left running (auto-rollback false), v2; rollback goes to v1', async () => {
    const v1 = await deployOk(site, port, 'v1', ws);
    const bad = await deploy(site, port, 'broken', ws, {
      'auto-rollback': 'false',
      'health-retries': '0',
    });
    expect(bad.code, explain(bad)).toBe(1);
    const brokenId = bad.outputs['release-id'] as string;
    expect(bad.outputs).toMatchObject({
      'rolled-back': 'false',
      'health-status': 'unhealthy',
      'current-release-id': brokenId,
    });
    expect(errorAnnotations(bad)[0]?.title).toBe('Berth: release unhealthy');
    expect(releaseJsonOf(site, brokenId).health_status).toBe('unhealthy');
    const v2 = await deployOk(site, port, 'v2', ws);
    expect(new Set([v1, brokenId, v2]).size).toBe(3);

    const run = await rollback(site, port);
    expect(run.code, explain(run)).toBe(0);
    expect(run.outputs).toMatchObject({ success: 'true', 'from-release': v2, 'to-release': v1 });
    expect(await httpGet(port)).toEqual({ status: 200, body: 'v1' });
    expect(currentLink(site)).toBe(`releases/${v1}`);
  });
});

describe('health-gate action', () => {
  const site = newSite('hg');
  const port = freePort();
  const url = (path: string, p = port): string => `http://127.0.0.1:${p}${path}`;
  let release = '';

  beforeAll(async () => {
    release = await deployOk(site, port, 'v1', workspace());
  });

  it('url only (no site): a 2xx answer is healthy', async () => {
    const run = await gate({ url: url('/health'), backoff: '0.2', timeout: '5' });
    expect(run.code, explain(run)).toBe(0);
    expect(run.outputs).toMatchObject({ status: 'healthy', 'http-status': '200', attempts: '1' });
  });

  it('the fixture service listens on 127.0.0.1 only', async () => {
    expect(await acceptsTcp('127.0.0.1', port)).toBe(true);
    const external = externalIpv4();
    if (external) expect(await acceptsTcp(external, port)).toBe(false);
  });

  it.each(['host', 'runner'])(
    'via %s: a 2xx answer from the 127.0.0.1-only service is healthy, with its outputs',
    async (via) => {
      const run = await gate({
        url: url('/health'),
        via,
        containers: 'false',
        backoff: '0.2',
        timeout: '5',
      });
      expect(run.code, explain(run)).toBe(0);
      expect(run.outputs).toMatchObject({
        status: 'healthy',
        'http-status': '200',
        attempts: '1',
        message: `${url('/health')} answered HTTP 200`,
      });
      const elapsed = Number(run.outputs['elapsed-ms']);
      expect(Number.isInteger(elapsed)).toBe(true);
      expect(elapsed).toBeGreaterThanOrEqual(0);
      expect(elapsed).toBeLessThan(2000);
      expect(run.annotations).toEqual([]);
    },
  );

  it('a 404 is unhealthy after retries+1 responses, quickly', async () => {
    const run = await gate({
      url: url('/nope'),
      containers: 'false',
      retries: '1',
      backoff: '0.2',
      timeout: '30',
    });
    expect(run.code, explain(run)).toBe(1);
    expect(run.outputs).toMatchObject({ status: 'unhealthy', 'http-status': '404', attempts: '2' });
    expect(run.outputs.message).toContain('HTTP 404 is outside the expected statuses');
    const elapsed = Number(run.outputs['elapsed-ms']);
    expect(elapsed).toBeGreaterThanOrEqual(200);
    expect(elapsed).toBeLessThan(2000);
    const errors = errorAnnotations(run);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.title).toBe('Berth: health gate');
    expect(errors[0]?.message).toMatch(/^unhealthy: /);
  });

  it('a body that does not match expect-body is unhealthy; a matching /regex/ is healthy', async () => {
    const mismatch = await gate({
      url: url('/version'),
      containers: 'false',
      'expect-body': 'v2',
      retries: '0',
      backoff: '0.2',
      timeout: '10',
    });
    expect(mismatch.code, explain(mismatch)).toBe(1);
    expect(mismatch.outputs).toMatchObject({
      status: 'unhealthy',
      'http-status': '200',
      attempts: '1',
    });
    expect(mismatch.outputs.message).toContain('the body did not match the expected body');

    const regex = await gate({
      url: url('/version'),
      containers: 'false',
      'expect-body': '/v\\d/',
      retries: '0',
      backoff: '0.2',
      timeout: '10',
    });
    expect(regex.code, explain(regex)).toBe(0);
    expect(regex.outputs).toMatchObject({ status: 'healthy', 'http-status': '200' });
  });

  it('a closed port is unknown, ended by the timeout; via host the probe goes through sshd', async () => {
    const closed = freePort();
    expect(await acceptsTcp('127.0.0.1', closed)).toBe(false);
    const logFrom = sshdLogLength();
    const run = await gate({
      url: url('/health', closed),
      containers: 'false',
      timeout: '2',
      backoff: '0.5',
    });
    expect(run.code, explain(run)).toBe(1);
    expect(run.outputs).toMatchObject({ status: 'unknown', 'http-status': '' });
    expect(run.outputs.message).toMatch(new RegExp(`^No response from ${url('/health', closed)}`));
    const elapsed = Number(run.outputs['elapsed-ms']);
    expect(elapsed).toBeGreaterThanOrEqual(1500);
    expect(elapsed).toBeLessThanOrEqual(6000);
    const attempts = Number(run.outputs.attempts);
    expect(attempts).toBeGreaterThanOrEqual(3);
    // Each probe was a forward the server's sshd tried and refused.
    const refused = sshdLogSince(logFrom)
      .split(/\r?\n/)
      .filter((line) => line === `connect_to 127.0.0.1 port ${closed}: failed.`);
    expect(refused).toHaveLength(attempts);

    // From the runner, the same probe never touches sshd.
    const fromRunner = sshdLogLength();
    const direct = await gate({
      url: url('/health', closed),
      via: 'runner',
      containers: 'false',
      timeout: '1',
      backoff: '0.5',
    });
    expect(direct.code, explain(direct)).toBe(1);
    expect(direct.outputs.status).toBe('unknown');
    expect(sshdLogSince(fromRunner)).not.toContain(`port ${closed}`);
  });

  it('containers only: a running container without healthcheck is healthy', async () => {
    const run = await gate({ site, backoff: '0.2', timeout: '10' });
    expect(run.code, explain(run)).toBe(0);
    expect(run.outputs).toMatchObject({
      status: 'healthy',
      'http-status': '',
      message: 'all 1 container(s) running',
    });
    // "running" without a healthcheck must hold for a second before it counts.
    expect(Number(run.outputs['elapsed-ms'])).toBeGreaterThanOrEqual(1000);
    expect(Number(run.outputs.attempts)).toBeGreaterThanOrEqual(2);
  });

  describe('containers with a healthcheck', () => {
    const failing = newSite('hghc');
    const slow = newSite('hghs');
    const failingPort = freePort();
    const slowPort = freePort();
    beforeAll(async () => {
      const failingWs = workspace(
        webCompose({ healthcheck: true, envFile: null }).replace('/health"]', '/nope"]'),
      );
      const slowWs = workspace(
        webCompose({ healthcheck: true, envFile: null })
          .replace('interval: 1s', 'interval: 60s')
          .replace('start_period: 1s', 'start_period: 60s'),
      );
      composeUp(failing, `${failingWs}/deploy/compose.yml`, { WEB_PORT: String(failingPort) });
      composeUp(slow, `${slowWs}/deploy/compose.yml`, { WEB_PORT: String(slowPort) });
      for (let i = 0; i < 100 && containerHealth(failing) !== 'unhealthy'; i++) await sleep(100);
      expect(containerHealth(failing)).toBe('unhealthy');
    });

    it('whose healthcheck fails: unhealthy, naming the service', async () => {
      const run = await gate({ site: failing, backoff: '0.2', timeout: '10' });
      expect(run.code, explain(run)).toBe(1);
      expect(run.outputs).toMatchObject({
        status: 'unhealthy',
        attempts: '1',
        message: 'Containers failed: web is unhealthy',
      });
      // A project Berth did not deploy has no site directory, and the gate creates none.
      expect(existsSync(siteDir(failing))).toBe(false);
    });

    it('whose healthcheck has not run yet: starting when the timeout ends', async () => {
      expect(containerHealth(slow)).toBe('starting');
      const run = await gate({ site: slow, backoff: '0.2', timeout: '1' });
      expect(run.code, explain(run)).toBe(1);
      expect(run.outputs.status, explain(run)).toBe('starting');
      expect(run.outputs.message).toBe('Containers still starting after 1s: web is starting');
    });
  });

  it('with site: fail-on-unhealthy false passes the step and the result is recorded', async () => {
    expect(release).toMatch(RELEASE_ID);
    const auditBefore = auditOf(site).length;
    const started = Date.now();
    const run = await gate({
      site,
      url: url('/nope'),
      retries: '0',
      backoff: '0.2',
      timeout: '10',
      'fail-on-unhealthy': 'false',
    });
    expect(run.code, explain(run)).toBe(0);
    expect(run.outputs).toMatchObject({ status: 'unhealthy', 'http-status': '404' });
    expect(errorAnnotations(run)).toEqual([]);
    expect(manifestOf(site)).toMatchObject({
      current_release_id: release,
      last_health_status: 'unhealthy',
    });
    const recorded = releaseJsonOf(site, release);
    expect(recorded.health_status).toBe('unhealthy');
    expect(Date.parse(recorded.health_checked_at as string)).toBeGreaterThanOrEqual(started - 1000);
    const audit = auditOf(site);
    expect(audit).toHaveLength(auditBefore + 1);
    expect(audit.at(-1)).toMatchObject({
      operation: 'health',
      site,
      from_release: release,
      to_release: release,
      result: 'unhealthy',
    });

    const healthy = await gate({ site, url: url('/health'), backoff: '0.2', timeout: '10' });
    expect(healthy.code, explain(healthy)).toBe(0);
    expect(healthy.outputs.status).toBe('healthy');
    expect(manifestOf(site).last_health_status).toBe('healthy');
    expect(releaseJsonOf(site, release).health_status).toBe('healthy');
    expect(auditOf(site)).toHaveLength(auditBefore + 2);
    expect(auditOf(site).at(-1)).toMatchObject({ operation: 'health', result: 'healthy' });
    expect(currentLink(site)).toBe(`releases/${release}`);
  });
});
