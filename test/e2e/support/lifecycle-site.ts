import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, makeWorkspace, removeProject, webCompose } from './fixtures.js';
import { runAction, type ActionRun } from './run-action.js';
import { connectionInputs, target } from './target.js';

/** A test site: its name (also the compose project), port and workspace with `compose.yml`. */
export interface LifecycleSite {
  readonly site: string;
  readonly port: number;
  readonly workspace: string;
}

/**
 * A workspace whose `compose.yml` runs the fixture web image from `${WEB_IMAGE}`
 * (default berth-fixture/web:v1), optionally with a named volume `data`.
 */
export function lifecycleWorkspace(options: { volume?: boolean } = {}): string {
  let compose = webCompose({ envFile: null, image: '${WEB_IMAGE:-berth-fixture/web:v1}' });
  if (options.volume) compose += '    volumes:\n      - data:/data\nvolumes:\n  data: {}\n';
  return makeWorkspace({ 'compose.yml': compose });
}

/** Inputs every deploy of these tests shares: no pull, no automatic pruning, a fast health gate. */
export function deployInputs(
  s: LifecycleSite,
  rev: number | string,
  extra: Record<string, string> = {},
  image?: string,
): Record<string, string> {
  return {
    ...connectionInputs(),
    site: s.site,
    'compose-file': 'compose.yml',
    env: [`WEB_PORT=${s.port}`, `REV=${rev}`, ...(image ? [`WEB_IMAGE=${image}`] : [])].join('\n'),
    pull: 'false',
    'keep-releases': '0',
    'health-url': `http://127.0.0.1:${s.port}/health`,
    'health-backoff': '0.2',
    ...extra,
  };
}

const lastReleaseSecond = new Map<string, number>();

/** Resolves once the wall clock is past Unix second `second` (a release id's time). */
export async function waitPastSecond(second: number): Promise<void> {
  const wait = (second + 1) * 1000 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait + 20));
}

/** The Unix second in a release id `rel_<seconds>_<hash8>`. */
export const releaseSecond = (releaseId: string): number => Number(releaseId.split('_')[1]);

/**
 * Deploys revision `rev` (a distinct `.env`, so a distinct release) and fails
 * loudly if it did not deploy. Release ids carry whole Unix seconds, so two
 * deploys of one site within a second would sort by hash, not by time; this
 * waits for the next second to keep "newest" well defined.
 */
export async function deployRev(
  s: LifecycleSite,
  rev: number | string,
  options: { image?: string; extra?: Record<string, string> } = {},
): Promise<string> {
  const last = lastReleaseSecond.get(s.site);
  if (last !== undefined) await waitPastSecond(last);
  const run = await runAction(
    'deploy-release',
    deployInputs(s, rev, options.extra, options.image),
    {
      workspace: s.workspace,
    },
  );
  if (run.code !== 0 || run.outputs.deployed !== 'true') {
    throw new Error(
      `deploy of ${s.site} REV=${rev} failed (code ${run.code}):\n${run.stdout}\n${run.stderr}`,
    );
  }
  const releaseId = run.outputs['release-id'] as string;
  lastReleaseSecond.set(s.site, releaseSecond(releaseId));
  return releaseId;
}

export function lifecycleRun(
  s: LifecycleSite,
  operation: string,
  extra: Record<string, string> = {},
  env?: Record<string, string>,
): Promise<ActionRun> {
  return runAction(
    'lifecycle',
    { ...connectionInputs(), site: s.site, operation, ...extra },
    { workspace: s.workspace, env },
  );
}

export function pruneRun(
  s: LifecycleSite,
  keep: number,
  extra: Record<string, string> = {},
  env?: Record<string, string>,
): Promise<ActionRun> {
  return runAction(
    'prune-releases',
    { ...connectionInputs(), site: s.site, keep: String(keep), ...extra },
    { workspace: s.workspace, env },
  );
}

export interface AuditRecord {
  time: string;
  operation: string;
  site: string;
  actor: string;
  run_url: string;
  from_release: string | null;
  to_release: string | null;
  result: string;
  duration_ms: number;
  detail?: string;
}

/** JSON lines of an audit log (empty when it does not exist). */
export function auditRecords(path: string): AuditRecord[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as AuditRecord);
}

export function rootAuditLog(): string {
  return `${target().home}/berth/audit.log`;
}

/** True when `docker image inspect` finds the reference (tag or id). */
export function imageExists(reference: string): boolean {
  return (
    spawnSync('docker', ['image', 'inspect', '--', reference], { stdio: 'ignore' }).status === 0
  );
}

/** `berth/<site>:<release>-web`, the tag Berth pins a release's web image with. */
export function releaseTag(site: string, releaseId: string, service = 'web'): string {
  return `berth/${site.toLowerCase()}:${releaseId}-${service}`;
}

/** Builds a tiny image from the v1 fixture with its own id (a distinct label), offline. */
export function buildDistinctImage(tag: string, label: string): string {
  execFileSync(
    'docker',
    ['build', '--quiet', '--label', `berth.lifecycle-test=${label}`, '--tag', tag, '-'],
    { input: 'FROM berth-fixture/web:v1\n', stdio: ['pipe', 'ignore', 'ignore'] },
  );
  return docker('image', 'inspect', '--format', '{{.Id}}', tag);
}

/** Removes a tag (the image goes when nothing else holds it). */
export function untag(tag: string): void {
  execFileSync('docker', ['image', 'rm', '--no-prune', tag], { stdio: 'ignore' });
}

/** A release directory as an interrupted or foreign tool would leave it: no release.json, owned by the deploy user. */
export function makeIncompleteRelease(siteDirectory: string, releaseId: string): string {
  const dir = `${siteDirectory}/releases/${releaseId}`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/compose.yml`, 'services: {}\n');
  const uid = Number(execFileSync('id', ['-u', target().user], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', target().user], { encoding: 'utf8' }).trim());
  chownSync(dir, uid, gid);
  chownSync(`${dir}/compose.yml`, uid, gid);
  return dir;
}

/** The pull_request event of a fork, as GITHUB_EVENT_NAME/GITHUB_EVENT_PATH for runAction. */
export function forkPullRequestEnv(): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-event-'));
  const path = join(dir, 'event.json');
  writeFileSync(
    path,
    JSON.stringify({
      pull_request: {
        head: { repo: { fork: true, full_name: 'evil/shop' } },
        base: { repo: { full_name: 'acme/shop' } },
      },
    }),
  );
  return { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: path };
}

/** Container ids of a compose project, running or not. */
export function projectContainers(project: string): string[] {
  const out = docker('ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`);
  return out ? out.split('\n').sort() : [];
}

export function volumeNames(): string[] {
  const out = docker('volume', 'ls', '--format', '{{.Name}}');
  return out ? out.split('\n') : [];
}

/** Everything a test site leaves behind: containers, release tags, volumes, its directory. */
export function cleanupSite(site: string, extraImages: readonly string[] = []): void {
  const project = site.toLowerCase();
  try {
    removeProject(project);
  } catch {
    /* already gone */
  }
  const tags = docker('image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', `berth/${project}`)
    .split('\n')
    .filter((t) => t && !t.endsWith(':<none>'));
  for (const ref of [...tags, ...extraImages]) {
    spawnSync('docker', ['image', 'rm', '--no-prune', ref], { stdio: 'ignore' });
  }
  for (const volume of volumeNames().filter((v) => v.startsWith(`${project}_`))) {
    spawnSync('docker', ['volume', 'rm', volume], { stdio: 'ignore' });
  }
  rmSync(`${target().home}/berth/${site}`, { recursive: true, force: true });
}
