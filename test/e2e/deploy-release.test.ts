import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  docker,
  freePort,
  httpGet,
  makeWorkspace,
  removeProject,
  uniqueSite,
  webCompose,
} from './support/fixtures.js';
import { runAction, type ActionRun } from './support/run-action.js';
import { connectionInputs, target } from './support/target.js';
import {
  composeVersion,
  currentLink,
  errorAnnotations,
  imageId,
  readJson,
  releaseIds,
  removeReleaseTags,
  runningContainers,
  siteDir,
  snapshotTree,
  strangerKnownHostsLine,
  visibleStdout,
} from './support/deploy-site.js';

const SECRET = 's3cr3t-value-XYZ';
const RELEASE_ID = /^rel_\d{10}_[a-f0-9]{8}$/;
const HEX64 = /^[a-f0-9]{64}$/;
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

interface Manifest {
  site_id: string;
  current_release_id: string | null;
  previous_release_id: string | null;
  last_health_status: string;
  updated_at: string;
}

interface ServicePin {
  service: string;
  image: string;
  image_id: string;
  repo_digest: string | null;
  pinned_tag: string;
}

interface ReleaseJson {
  release_id: string;
  site_id: string;
  artifact_hash: string;
  created_at: string;
  health_status: string;
  project_name: string;
  compose_command: string;
  compose_version: string;
  compose_files: string[];
  project_directory: string;
  files: string[];
  services: ServicePin[];
  git: { sha: string; ref: string; repository: string };
  run_url: string;
  actor: string;
}

interface AuditLine {
  operation: string;
  site: string;
  actor: string;
  from_release: string | null;
  to_release: string | null;
  result: string;
}

const manifestOf = (site: string): Manifest => readJson<Manifest>(`${siteDir(site)}/manifest.json`);
const releaseJsonOf = (site: string, id: string): ReleaseJson =>
  readJson<ReleaseJson>(`${siteDir(site)}/releases/${id}/release.json`);
const auditOf = (site: string): AuditLine[] =>
  readFileSync(`${siteDir(site)}/audit.log`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditLine);

function envText(port: number, tag: string): string {
  return `WEB_PORT=${port}\nWEB_TAG=${tag}\nSECRET_TOKEN=${SECRET}\n`;
}

/** Full diagnostics on failure: the action's own log explains what went wrong. */
function explain(run: ActionRun): string {
  return `code ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}

/** The secret env value must not show in what the job log, the summary or the outputs expose. */
function expectNoSecretIn(run: ActionRun): void {
  expect(visibleStdout(run)).not.toContain(SECRET);
  expect(run.stderr).not.toContain(SECRET);
  expect(run.summary).not.toContain(SECRET);
  expect(JSON.stringify(run.outputs)).not.toContain(SECRET);
}

function expectTimeWithin(value: string, from: number, to: number): void {
  expect(value).toMatch(ISO_TIME);
  const t = Date.parse(value);
  expect(t).toBeGreaterThanOrEqual(from - 1000);
  expect(t).toBeLessThanOrEqual(to + 1000);
}

describe.each(['docker compose', 'docker-compose'] as const)(
  'deploy-release with compose-command %s',
  (composeCommand) => {
    const sites: string[] = [];
    const site = (prefix: string): string => {
      const name = uniqueSite(prefix);
      sites.push(name);
      return name;
    };
    const extraTags: string[] = [];
    afterAll(() => {
      for (const s of sites) {
        removeProject(s.toLowerCase());
        removeReleaseTags(s.toLowerCase());
      }
      for (const tag of extraTags) docker('image', 'rm', '--no-prune', tag);
    });

    /** Inputs of a normal deploy of the fixture web service for `site` on `port`. */
    function deployInputs(
      siteName: string,
      port: number,
      extra: Record<string, string> = {},
    ): Record<string, string> {
      return {
        ...connectionInputs(),
        site: siteName,
        'compose-command': composeCommand,
        'compose-file': 'deploy/compose.yml',
        env: envText(port, 'v1'),
        pull: 'false',
        'health-url': `http://127.0.0.1:${port}/health`,
        'health-backoff': '0.2',
        'health-timeout': '20',
        ...extra,
      };
    }

    describe('release lifecycle of one site', () => {
      const name = site('rel');
      const port = freePort();
      const ws = makeWorkspace({ 'deploy/compose.yml': webCompose() });
      const dir = siteDir(name);
      let first = '';
      let second = '';
      let secondHash = '';

      it('first deploy: outputs, serves v1, release files, manifest, audit, no secret leaked', async () => {
        const started = Date.now();
        const run = await runAction('deploy-release', deployInputs(name, port), { workspace: ws });
        const ended = Date.now();
        expect(run.code, explain(run)).toBe(0);

        const out = run.outputs;
        expect(out['release-id']).toMatch(RELEASE_ID);
        first = out['release-id'] as string;
        expect(out.deployed).toBe('true');
        expect(out['artifact-hash']).toMatch(HEX64);
        expect(out['release-dir']).toBe(`${dir}/releases/${first}`);
        expect(out['previous-release-id']).toBe('');
        expect(out['current-release-id']).toBe(first);
        expect(out['health-status']).toBe('healthy');
        expect(out['rolled-back']).toBe('false');
        expect(first.slice(-8)).toBe(out['artifact-hash']?.slice(0, 8));

        expect(await httpGet(port)).toEqual({ status: 200, body: 'v1' });

        expect(currentLink(name)).toBe(`releases/${first}`);
        expect(releaseIds(name)).toEqual([first]);

        const manifest = manifestOf(name);
        expect(manifest).toMatchObject({
          site_id: name,
          current_release_id: first,
          previous_release_id: null,
          last_health_status: 'healthy',
        });
        expectTimeWithin(manifest.updated_at, started, ended);

        const release = releaseJsonOf(name, first);
        const v1Id = imageId('berth-fixture/web:v1');
        const pinnedTag = `berth/${name}:${first}-web`;
        expect(release).toMatchObject({
          release_id: first,
          site_id: name,
          artifact_hash: out['artifact-hash'],
          health_status: 'healthy',
          project_name: name,
          compose_command: composeCommand,
          compose_version: composeVersion(composeCommand),
          compose_files: ['deploy/compose.yml'],
          project_directory: 'deploy',
          files: ['.env', 'deploy/compose.yml'],
          git: { sha: 'a'.repeat(40), ref: 'refs/tags/v1.0.0', repository: 'acme/shop' },
          run_url: 'https://github.com/acme/shop/actions/runs/1001/attempts/1',
          actor: 'octocat',
        });
        expect(release.compose_version).not.toBe('');
        expectTimeWithin(release.created_at, started, ended);
        expect(release.services).toEqual([
          {
            service: 'web',
            image: 'berth-fixture/web:v1',
            image_id: v1Id,
            repo_digest: null,
            pinned_tag: pinnedTag,
          },
        ]);
        expect(v1Id).toMatch(/^sha256:[a-f0-9]{64}$/);
        expect(imageId(pinnedTag)).toBe(v1Id);
        const pin = parse(readFileSync(`${dir}/releases/${first}/berth.pin.yml`, 'utf8')) as {
          services: Record<string, { image: string }>;
        };
        expect(pin.services).toEqual({ web: { image: pinnedTag } });

        const envFile = `${dir}/releases/${first}/.env`;
        expect(statSync(envFile).mode & 0o777).toBe(0o600);
        // The runner trims inputs, so the trailing newline of the env text may be gone.
        expect(readFileSync(envFile, 'utf8').trimEnd()).toBe(envText(port, 'v1').trimEnd());
        expect(readFileSync(`${dir}/releases/${first}/artifact_hash.txt`, 'utf8').trim()).toBe(
          out['artifact-hash'],
        );
        expect(readFileSync(`${dir}/releases/${first}/deploy/compose.yml`, 'utf8')).toBe(
          webCompose(),
        );

        const audit = auditOf(name);
        expect(audit).toHaveLength(1);
        expect(audit[0]).toMatchObject({
          operation: 'deploy',
          site: name,
          actor: 'octocat',
          from_release: null,
          to_release: first,
          result: 'success',
        });

        const staging = `${dir}/.staging`;
        expect(existsSync(staging) ? snapshotTree(staging) : {}).toEqual({});
        expect(readJson(`${dir}/.lock.info`)).toMatchObject({
          operation: 'deploy',
          actor: 'octocat',
        });

        // The secret did reach the server (the .env above) and the container, and nowhere else.
        const [container] = runningContainers(name);
        expect(
          docker('inspect', '--format', '{{json .Config.Env}}', container as string),
        ).toContain(`SECRET_TOKEN=${SECRET}`);
        expect(run.stdout).toContain(`::add-mask::${SECRET}`);
        const places: Record<string, string> = {
          stdout: visibleStdout(run),
          stderr: run.stderr,
          summary: run.summary,
          outputs: JSON.stringify(run.outputs),
          'release.json': readFileSync(`${dir}/releases/${first}/release.json`, 'utf8'),
          'manifest.json': readFileSync(`${dir}/manifest.json`, 'utf8'),
          'audit.log': readFileSync(`${dir}/audit.log`, 'utf8'),
          '.lock.info': readFileSync(`${dir}/.lock.info`, 'utf8'),
        };
        for (const [place, text] of Object.entries(places)) {
          expect(text.includes(SECRET), `secret value found in ${place}`).toBe(false);
        }
      });

      it('second deploy with WEB_TAG=v2: new release, previous = first, serves v2', async () => {
        expect(first).toMatch(RELEASE_ID);
        const run = await runAction(
          'deploy-release',
          deployInputs(name, port, { env: envText(port, 'v2') }),
          { workspace: ws },
        );
        expect(run.code, explain(run)).toBe(0);
        second = run.outputs['release-id'] as string;
        secondHash = run.outputs['artifact-hash'] as string;
        expect(second).toMatch(RELEASE_ID);
        expect(second).not.toBe(first);
        expect(run.outputs['previous-release-id']).toBe(first);
        expect(run.outputs.deployed).toBe('true');
        expect(run.outputs['current-release-id']).toBe(second);
        expect(secondHash).not.toBe(releaseJsonOf(name, first).artifact_hash);

        expect(await httpGet(port)).toEqual({ status: 200, body: 'v2' });
        expect(currentLink(name)).toBe(`releases/${second}`);
        expect(releaseIds(name)).toEqual([first, second].sort());
        expect(manifestOf(name)).toMatchObject({
          current_release_id: second,
          previous_release_id: first,
          last_health_status: 'healthy',
        });
        expect(releaseJsonOf(name, second).services[0]?.image_id).toBe(
          imageId('berth-fixture/web:v2'),
        );
        expect(auditOf(name).map((a) => [a.result, a.from_release, a.to_release])).toEqual([
          ['success', null, first],
          ['success', first, second],
        ]);
      });

      it('same artifact again: deployed=false, nothing restarted, no new release', async () => {
        expect(second).toMatch(RELEASE_ID);
        const containersBefore = runningContainers(name);
        expect(containersBefore).toHaveLength(1);
        const manifestBefore = readFileSync(`${dir}/manifest.json`, 'utf8');

        const run = await runAction(
          'deploy-release',
          deployInputs(name, port, { env: envText(port, 'v2') }),
          { workspace: ws },
        );
        expect(run.code, explain(run)).toBe(0);
        expect(run.outputs.deployed).toBe('false');
        expect(run.outputs['release-id']).toBe(second);
        expect(run.outputs['current-release-id']).toBe(second);
        expect(run.outputs['artifact-hash']).toBe(secondHash);
        expect(run.outputs['release-dir']).toBe(`${dir}/releases/${second}`);

        expect(runningContainers(name)).toEqual(containersBefore);
        expect(releaseIds(name)).toEqual([first, second].sort());
        expect(currentLink(name)).toBe(`releases/${second}`);
        expect(readFileSync(`${dir}/manifest.json`, 'utf8')).toBe(manifestBefore);
        expect(existsSync(`${dir}/.staging`) ? snapshotTree(`${dir}/.staging`) : {}).toEqual({});
        expect(auditOf(name).at(-1)).toMatchObject({
          operation: 'deploy',
          result: 'unchanged',
          from_release: second,
          to_release: second,
        });
        expect(await httpGet(port)).toEqual({ status: 200, body: 'v2' });
      });

      it('failing before-up: step fails, previous release keeps serving, current unchanged', async () => {
        expect(second).toMatch(RELEASE_ID);
        const containersBefore = runningContainers(name);
        const manifestBefore = readFileSync(`${dir}/manifest.json`, 'utf8');

        // A one-off `migrate` service (profile, never started by `up`): Compose v1 cannot `run`
        // a host-network service while its own container runs ("can't be used with links").
        const migrateWs = makeWorkspace({
          'deploy/compose.yml':
            webCompose() +
            [
              '  migrate:',
              '    image: "berth-fixture/web:${WEB_TAG:-v1}"',
              '    network_mode: host',
              '    profiles: ["tools"]',
              '',
            ].join('\n'),
        });
        const run = await runAction(
          'deploy-release',
          deployInputs(name, port, {
            env: envText(port, 'v1'),
            'before-up': JSON.stringify([['run', '--rm', 'migrate', 'sh', '-c', 'exit 3']]),
          }),
          { workspace: migrateWs },
        );
        expect(run.code, explain(run)).toBe(1);
        const errors = errorAnnotations(run);
        expect(errors, explain(run)).toHaveLength(1);
        expect(errors[0]?.title, explain(run)).toBe('Berth: before-up failed');
        // The before-up command itself ran and failed with its own status.
        expect(errors[0]?.message, explain(run)).toMatch(
          / run --rm migrate sh -c .*exit 3.* exited 3/,
        );
        expectNoSecretIn(run);
        const failedRelease = releaseIds(name).filter((id) => id !== first && id !== second);
        expect(failedRelease).toHaveLength(1);
        // It never served, so no automatic rollback may ever choose it.
        expect(
          JSON.parse(readFileSync(`${dir}/releases/${failedRelease[0]}/release.json`, 'utf8')),
        ).toMatchObject({ health_status: 'unhealthy', deploy_failure: 'before-up failed' });

        expect(await httpGet(port)).toEqual({ status: 200, body: 'v2' });
        expect(currentLink(name)).toBe(`releases/${second}`);
        expect(readFileSync(`${dir}/manifest.json`, 'utf8')).toBe(manifestBefore);
        expect(runningContainers(name)).toEqual(containersBefore);
        expect(auditOf(name).at(-1)).toMatchObject({
          operation: 'deploy',
          result: 'failed',
          from_release: second,
          to_release: failedRelease[0],
        });
      });

      it('dry run on an existing site changes nothing and prints the planned commands', async () => {
        expect(second).toMatch(RELEASE_ID);
        const before = snapshotTree(dir);
        const containersBefore = runningContainers(name);

        const run = await runAction(
          'deploy-release',
          deployInputs(name, port, {
            env: envText(port, 'v1'),
            'before-up': JSON.stringify([['run', '--rm', 'web', 'true']]),
            'dry-run': 'true',
          }),
          { workspace: ws },
        );
        expect(run.code, explain(run)).toBe(0);
        expect(run.outputs.deployed).toBe('false');
        expect(run.outputs['release-id']).toBe(second);
        expect(run.outputs['current-release-id']).toBe(second);
        const stdout = visibleStdout(run);
        expect(stdout).toContain('Dry run: nothing was changed. A deploy would run:');
        const cmd = composeCommand === 'docker compose' ? 'docker compose' : 'docker-compose';
        expect(stdout).toMatch(new RegExp(`  ${cmd} --project-name ${name} .* config`));
        expect(stdout).toMatch(new RegExp(`  ${cmd} --project-name ${name} .* run --rm web true`));
        expect(stdout).toMatch(
          new RegExp(`  ${cmd} --project-name ${name} .* up --detach --remove-orphans`),
        );
        expect(stdout).toContain('sftp put ');
        expect(run.summary).toContain('### Commands a deploy would run');
        expectNoSecretIn(run);

        expect(snapshotTree(dir)).toEqual(before);
        expect(runningContainers(name)).toEqual(containersBefore);
        expect(await httpGet(port)).toEqual({ status: 200, body: 'v2' });
      });
    });

    describe('host key verification', () => {
      const ws = makeWorkspace({ 'deploy/compose.yml': webCompose() });
      const t = target();
      const otherPortLines = t.knownHosts
        .split('\n')
        .filter(Boolean)
        .map((line) => line.replace(`[${t.host}]:${t.port} `, `[${t.host}]:${t.port + 1} `))
        .join('\n');

      it.each([
        ['known-hosts of another host', otherPortLines],
        ['empty known-hosts and no fingerprint', ''],
      ])('unknown host key (%s) is refused, pointing to ssh-keyscan', async (_label, known) => {
        expect(known).not.toContain(`[${t.host}]:${t.port} `);
        const name = site('hk');
        const port = freePort();
        const run = await runAction(
          'deploy-release',
          deployInputs(name, port, { 'known-hosts': known }),
          { workspace: ws },
        );
        expect(run.code, explain(run)).toBe(1);
        const errors = errorAnnotations(run);
        expect(errors, explain(run)).toHaveLength(1);
        expect(errors[0]?.message).toContain(`ssh-keyscan -p ${t.port} ${t.host}`);
        expect(existsSync(siteDir(name))).toBe(false);
      });

      it('a wrong key for the host is refused', async () => {
        const name = site('hk');
        const port = freePort();
        const run = await runAction(
          'deploy-release',
          deployInputs(name, port, {
            'known-hosts': strangerKnownHostsLine(`[${t.host}]:${t.port}`),
          }),
          { workspace: ws },
        );
        expect(run.code, explain(run)).toBe(1);
        const errors = errorAnnotations(run);
        expect(errors, explain(run)).toHaveLength(1);
        // Names the key the server really presented, which is not the one given.
        expect(errors[0]?.message).toContain(
          `Refusing to connect to ${t.user}@${t.host}:${t.port}`,
        );
        expect(errors[0]?.message).toContain(t.fingerprint);
        expect(visibleStdout(run)).not.toMatch(/^\$ /m);
        expect(existsSync(siteDir(name))).toBe(false);
      });
    });

    it('passphrase-protected PEM RSA key with host-fingerprint deploys', async () => {
      const t = target();
      expect(t.rsaKey).toContain('-----BEGIN RSA PRIVATE KEY-----');
      expect(t.rsaKey).toContain('Proc-Type: 4,ENCRYPTED');
      const name = site('rsa');
      const port = freePort();
      const ws = makeWorkspace({ 'deploy/compose.yml': webCompose() });
      const inputs = deployInputs(name, port, {
        'private-key': t.rsaKey,
        passphrase: t.rsaPassphrase,
        'host-fingerprint': t.fingerprint,
      });
      delete inputs['known-hosts'];

      const run = await runAction('deploy-release', inputs, { workspace: ws });
      expect(run.code, explain(run)).toBe(0);
      expect(run.outputs.deployed).toBe('true');
      expect(run.outputs['release-id']).toMatch(RELEASE_ID);
      expect(run.annotations).toEqual([]);
      expect(await httpGet(port)).toEqual({ status: 200, body: 'v1' });
      expect(currentLink(name)).toBe(`releases/${run.outputs['release-id']}`);
      expect(visibleStdout(run)).not.toContain(t.rsaPassphrase);
    });

    it('dry run of a fresh site creates nothing and prints the planned commands', async () => {
      const name = site('dry');
      const port = freePort();
      const ws = makeWorkspace({ 'deploy/compose.yml': webCompose() });
      const run = await runAction(
        'deploy-release',
        deployInputs(name, port, { 'dry-run': 'true' }),
        { workspace: ws },
      );
      expect(run.code, explain(run)).toBe(0);
      expect(run.outputs.deployed).toBe('false');
      expect(run.outputs['release-id']).toBe('');
      const stdout = visibleStdout(run);
      expect(stdout).toContain('Dry run: nothing was changed. A deploy would run:');
      expect(stdout).toMatch(/ up --detach --remove-orphans/);
      expect(existsSync(siteDir(name))).toBe(false);
      expect(runningContainers(name)).toEqual([]);
      expect(await httpGet(port)).toBeNull();
    });

    it('a tag moved after a deploy does not change what that release runs', async () => {
      const name = site('mov');
      const port = freePort();
      const movable = `berth-fixture/web:movable-${name}`;
      docker('tag', 'berth-fixture/web:v1', movable);
      extraTags.push(movable);
      const v1Id = imageId('berth-fixture/web:v1');
      const v2Id = imageId('berth-fixture/web:v2');
      expect(v1Id).not.toBe(v2Id);
      const ws = makeWorkspace({ 'deploy/compose.yml': webCompose({ image: movable }) });

      const run1 = await runAction('deploy-release', deployInputs(name, port), { workspace: ws });
      expect(run1.code, explain(run1)).toBe(0);
      const rel1 = run1.outputs['release-id'] as string;
      expect(await httpGet(port)).toEqual({ status: 200, body: 'v1' });

      docker('tag', 'berth-fixture/web:v2', movable);
      expect(imageId(movable)).toBe(v2Id);

      const run2 = await runAction('deploy-release', deployInputs(name, port), { workspace: ws });
      expect(run2.code, explain(run2)).toBe(0);
      const rel2 = run2.outputs['release-id'] as string;
      expect(run2.outputs.deployed).toBe('true');
      expect(rel2).not.toBe(rel1);
      expect(run2.outputs['artifact-hash']).not.toBe(run1.outputs['artifact-hash']);
      expect(run2.outputs['previous-release-id']).toBe(rel1);
      expect(await httpGet(port)).toEqual({ status: 200, body: 'v2' });

      const meta1 = releaseJsonOf(name, rel1);
      const meta2 = releaseJsonOf(name, rel2);
      expect(meta1.services).toHaveLength(1);
      expect(meta1.services[0]).toMatchObject({ service: 'web', image: movable, image_id: v1Id });
      expect(meta2.services[0]).toMatchObject({ service: 'web', image: movable, image_id: v2Id });
      const tag1 = meta1.services[0]?.pinned_tag as string;
      expect(tag1).toBe(`berth/${name}:${rel1}-web`);
      // Release 1's pin file still names its own tag, and that tag is still v1 although movable is v2.
      const pin1 = parse(
        readFileSync(`${siteDir(name)}/releases/${rel1}/berth.pin.yml`, 'utf8'),
      ) as {
        services: Record<string, { image: string }>;
      };
      expect(pin1.services).toEqual({ web: { image: tag1 } });
      expect(imageId(tag1)).toBe(v1Id);
      expect(imageId(movable)).toBe(v2Id);
      expect(imageId(meta2.services[0]?.pinned_tag as string)).toBe(v2Id);
    });

    describe('bad inputs fail before connecting and change nothing', () => {
      const parent = mkdtempSync(join(tmpdir(), 'berth-bad-'));
      const ws = join(parent, 'ws');
      mkdirSync(join(ws, 'deploy'), { recursive: true });
      writeFileSync(join(ws, 'deploy/compose.yml'), webCompose());
      writeFileSync(join(parent, 'outside.yml'), webCompose());
      const base = site('bad');
      const port = freePort();
      const marker = `pwned-${base}`;
      const deployRoot = `${target().home}/berth`;

      const cases: Array<{
        label: string;
        input: string;
        inputs: Record<string, string>;
        /** Paths on the target that must not exist afterwards. */
        absent: string[];
        message?: RegExp;
      }> = [
        {
          label: 'site with /',
          input: 'site',
          inputs: { site: `${base}/sub` },
          absent: [`${deployRoot}/${base}`],
        },
        {
          label: 'site with ..',
          input: 'site',
          inputs: { site: `../${base}` },
          absent: [`${target().home}/${base}`, `${deployRoot}/${base}`],
        },
        {
          label: 'site with a space',
          input: 'site',
          inputs: { site: `${base} x` },
          absent: [`${deployRoot}/${base} x`, `${deployRoot}/${base}`],
        },
        {
          label: 'site with $(touch …)',
          input: 'site',
          inputs: { site: `$(touch ${marker})` },
          absent: [`${target().home}/${marker}`, `${deployRoot}/${marker}`, join(ws, marker)],
        },
        {
          label: 'site of 65 characters',
          input: 'site',
          inputs: { site: base.padEnd(65, 'x') },
          absent: [`${deployRoot}/${base.padEnd(65, 'x')}`],
        },
        {
          label: 'compose-file missing',
          input: 'compose-file',
          inputs: { 'compose-file': '' },
          absent: [`${deployRoot}/${base}`],
          message: /required/,
        },
        {
          label: 'compose-file outside the workspace',
          input: 'compose-file',
          inputs: { 'compose-file': '../outside.yml' },
          absent: [`${deployRoot}/${base}`],
          message: /outside the workspace/,
        },
        {
          label: 'env line that is not KEY=value',
          input: 'env',
          inputs: { env: `WEB_PORT=${port}\nnot a valid line\n` },
          absent: [`${deployRoot}/${base}`],
          message: /line 2\b/,
        },
        {
          label: 'before-up that is an object',
          input: 'before-up',
          inputs: { 'before-up': '{"a":1}' },
          absent: [`${deployRoot}/${base}`],
        },
        {
          label: 'before-up with a non-array entry',
          input: 'before-up',
          inputs: { 'before-up': '[["ok"], "x"]' },
          absent: [`${deployRoot}/${base}`],
        },
        {
          label: 'port 70000',
          input: 'port',
          inputs: { port: '70000' },
          absent: [`${deployRoot}/${base}`],
        },
        {
          label: 'lock-timeout abc',
          input: 'lock-timeout',
          inputs: { 'lock-timeout': 'abc' },
          absent: [`${deployRoot}/${base}`],
        },
        {
          label: 'compose-command podman-compose',
          input: 'compose-command',
          inputs: { 'compose-command': 'podman-compose' },
          absent: [`${deployRoot}/${base}`],
        },
      ];

      it.each(cases)('$label', async ({ input, inputs, absent, message }) => {
        const run = await runAction('deploy-release', deployInputs(base, port, inputs), {
          workspace: ws,
          timeoutMs: 30_000,
        });
        expect(run.code, explain(run)).toBe(1);
        const errors = errorAnnotations(run);
        expect(errors, explain(run)).toHaveLength(1);
        expect(errors[0]?.title).toBe(`Berth: input '${input}'`);
        expect(errors[0]?.message).toMatch(new RegExp(`^Input '${input}': `));
        if (message) expect(errors[0]?.message).toMatch(message);
        expect(errors[0]?.message).not.toContain('not a valid line');
        // Nothing was attempted on the server.
        expect(visibleStdout(run)).not.toContain('::group::connect');
        expect(visibleStdout(run)).not.toMatch(/^\$ /m);
        for (const path of absent) expect(existsSync(path), path).toBe(false);
        expect(run.outputs).toEqual({});
      });
    });

    it('services that build from source are refused, naming compose-file', async () => {
      const name = site('build');
      const port = freePort();
      const compose = [
        'services:',
        '  app:',
        '    build: .',
        '    network_mode: host',
        '  web:',
        '    image: "berth-fixture/web:v1"',
        '    network_mode: host',
        '    environment:',
        '      PORT: "${WEB_PORT}"',
        '',
      ].join('\n');
      const ws = makeWorkspace({ 'deploy/compose.yml': compose, 'deploy/Dockerfile': 'FROM x\n' });
      const run = await runAction('deploy-release', deployInputs(name, port), { workspace: ws });
      expect(run.code, explain(run)).toBe(1);
      const errors = errorAnnotations(run);
      expect(errors, explain(run)).toHaveLength(1);
      expect(errors[0]?.title).toBe("Berth: input 'compose-file'");
      expect(errors[0]?.message).toMatch(/^Input 'compose-file': service\(s\) app build/);
      expect(errors[0]?.message).not.toMatch(/\bweb\b/);
      expect(releaseIds(name)).toEqual([]);
      expect(existsSync(`${siteDir(name)}/current`)).toBe(false);
      expect(existsSync(`${siteDir(name)}/manifest.json`)).toBe(false);
      expect(runningContainers(name)).toEqual([]);
      expect(await httpGet(port)).toBeNull();
    });
  },
);
