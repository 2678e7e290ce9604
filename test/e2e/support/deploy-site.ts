import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { ActionRun } from './run-action.js';
import { docker } from './fixtures.js';
import { target } from './target.js';

/** `<home>/berth/<site>` on the target (tests run as root and read it directly). */
export function siteDir(site: string): string {
  return `${target().home}/berth/${site}`;
}

export function readJson<T = Record<string, unknown>>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Names of the complete releases of a site, sorted. */
export function releaseIds(site: string): string[] {
  const dir = `${siteDir(site)}/releases`;
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** The release `current` points to, as the link says (`releases/<id>`). */
export function currentLink(site: string): string {
  return readlinkSync(`${siteDir(site)}/current`);
}

/** Every entry under `dir`: type, permission bits and content (or link target), for equality checks. */
export function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (abs: string, rel: string): void => {
    for (const name of readdirSync(abs).sort()) {
      const childAbs = join(abs, name);
      const childRel = rel ? `${rel}/${name}` : name;
      const info = lstatSync(childAbs);
      const mode = (info.mode & 0o7777).toString(8);
      if (info.isSymbolicLink()) out[childRel] = `link ${readlinkSync(childAbs)}`;
      else if (info.isDirectory()) {
        out[childRel] = `dir ${mode}`;
        walk(childAbs, childRel);
      } else out[childRel] = `file ${mode} ${readFileSync(childAbs, 'base64')}`;
    }
  };
  walk(dir, '');
  return out;
}

/** Stdout as the job log shows it: the runner consumes `::add-mask::` commands. */
export function visibleStdout(run: ActionRun): string {
  return run.stdout
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
}

/** Values registered with `::add-mask::` during the run. */
export function maskedValues(run: ActionRun): string[] {
  return run.stdout
    .split('\n')
    .filter((line) => line.startsWith('::add-mask::'))
    .map((line) => line.slice('::add-mask::'.length));
}

export interface Annotation {
  readonly kind: 'error' | 'warning';
  readonly title: string;
  readonly message: string;
}

const unescape = (text: string): string =>
  text
    .replace(/%0D/g, '\r')
    .replace(/%0A/g, '\n')
    .replace(/%3A/g, ':')
    .replace(/%2C/g, ',')
    .replace(/%25/g, '%');

/** Decodes `::error title=…::message` workflow commands (property and data escaping undone). */
export function annotationsOf(run: ActionRun): Annotation[] {
  return run.annotations.map((line) => {
    const match = /^::(error|warning)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!match) throw new Error(`not a workflow command: ${line}`);
    const props = new Map(
      (match[2] ?? '')
        .split(',')
        .filter(Boolean)
        .map((p) => {
          const eq = p.indexOf('=');
          return [p.slice(0, eq), unescape(p.slice(eq + 1))] as const;
        }),
    );
    return {
      kind: match[1] as 'error' | 'warning',
      title: props.get('title') ?? '',
      message: unescape(match[3] ?? ''),
    };
  });
}

export function errorAnnotations(run: ActionRun): Annotation[] {
  return annotationsOf(run).filter((a) => a.kind === 'error');
}

/** Ids of the running containers of a compose project (docker ps -q), sorted. */
export function runningContainers(project: string): string[] {
  const out = docker('ps', '-q', '--filter', `label=com.docker.compose.project=${project}`);
  return out ? out.split('\n').sort() : [];
}

export function imageId(reference: string): string {
  return docker('image', 'inspect', '--format', '{{.Id}}', reference);
}

/** What `<compose> version --short` prints on this machine (the target is this machine). */
export function composeVersion(command: 'docker compose' | 'docker-compose'): string {
  const argv = command === 'docker compose' ? ['docker', 'compose'] : ['docker-compose'];
  return execFileSync(argv[0] as string, [...argv.slice(1), 'version', '--short'], {
    encoding: 'utf8',
  }).trim();
}

/** A known_hosts line for `hostField` with a freshly generated ed25519 key nobody serves. */
export function strangerKnownHostsLine(hostField: string): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const type = Buffer.from('ssh-ed25519');
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const blob = Buffer.concat([u32(type.length), type, u32(raw.length), raw]);
  return `${hostField} ssh-ed25519 ${blob.toString('base64')}`;
}

/** Removes the `berth/<site>:*` release tags a test site left (images stay while tagged elsewhere). */
export function removeReleaseTags(site: string): void {
  const out = docker('image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', `berth/${site}`);
  const tags = out ? out.split('\n').filter((t) => !t.endsWith(':<none>')) : [];
  if (tags.length > 0)
    execFileSync('docker', ['image', 'rm', '--no-prune', ...tags], { stdio: 'ignore' });
}
