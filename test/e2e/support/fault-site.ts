import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, readlink, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { httpGet } from './fixtures.js';
import { siteDir } from './deploy-site.js';
import { connectionInputs, target } from './target.js';

// Everything here is asynchronous on purpose: fault tests run several cases at
// once and kill jobs the moment a log line arrives, so nothing may block the
// event loop (execFileSync would delay a kill by the length of a docker call).

const execFileAsync = promisify(execFile);

export async function dockerAsync(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('docker', args, { encoding: 'utf8' });
  return stdout.trim();
}

/** Connection inputs that reach sshd through a proxy on `port` (host key still verified). */
export function proxiedConnectionInputs(port: number): Record<string, string> {
  const t = target();
  return {
    ...connectionInputs(),
    port: String(port),
    'known-hosts': t.knownHosts.replaceAll(`[${t.host}]:${t.port} `, `[${t.host}]:${port} `),
  };
}

/** The fixture web service; `pull_policy: never` makes `compose pull` (v2) a local no-op. */
export function faultCompose(): string {
  return [
    'services:',
    '  web:',
    '    image: "berth-fixture/web:${WEB_TAG:-v1}"',
    '    pull_policy: never',
    '    network_mode: host',
    '    environment:',
    '      PORT: "${WEB_PORT}"',
    '',
  ].join('\n');
}

export interface ServiceContainer {
  readonly id: string;
  readonly service: string;
  /** Image id the container was created from. */
  readonly imageId: string;
  readonly running: boolean;
}

export interface ReleaseCheck {
  readonly id: string;
  /** Berth's own files a complete release must have, that are missing. */
  readonly missing: string[];
  /** Image id per service, from release.json (empty when it cannot be read). */
  readonly imageIds: Record<string, string>;
  /** The fixture tag the release runs (`v1`, `v2`), from release.json. */
  readonly variant: string | null;
  readonly health: string | null;
}

/** Everything the fault tests compare after an interrupted operation. */
export interface SiteFacts {
  readonly current: string | null;
  readonly manifestCurrent: string | null | undefined;
  readonly manifestValid: boolean;
  readonly containers: ServiceContainer[];
  readonly releases: ReleaseCheck[];
  /** Entries of `releases/` that are not `rel_…` directories. */
  readonly strays: string[];
  /** Body of GET /version (`v1`, `v2`), or null when nothing answers with 200. */
  readonly served: string | null;
}

const RELEASE_ID = /^rel_\d{10}_[a-f0-9]{8}$/;

async function readRelease(dir: string, id: string): Promise<ReleaseCheck> {
  const missing: string[] = [];
  for (const name of ['release.json', 'artifact_hash.txt', 'berth.pin.yml', '.env']) {
    if (!existsSync(`${dir}/${id}/${name}`)) missing.push(name);
  }
  let imageIds: Record<string, string> = {};
  let variant: string | null = null;
  let health: string | null = null;
  try {
    const meta = JSON.parse(await readFile(`${dir}/${id}/release.json`, 'utf8')) as {
      health_status: string;
      services: Array<{ service: string; image: string; image_id: string }>;
    };
    imageIds = Object.fromEntries(meta.services.map((s) => [s.service, s.image_id]));
    variant = meta.services[0]?.image.split(':').pop() ?? null;
    health = meta.health_status;
  } catch {
    if (!missing.includes('release.json')) missing.push('release.json (unreadable)');
  }
  return { id, missing, imageIds, variant, health };
}

/** Running (non one-off) containers of a compose project. */
export async function projectContainers(project: string): Promise<ServiceContainer[]> {
  const ids = await dockerAsync(
    'ps',
    '-q',
    '--filter',
    `label=com.docker.compose.project=${project}`,
    '--filter',
    'label=com.docker.compose.oneoff=False',
  );
  if (!ids) return [];
  const out = await dockerAsync(
    'inspect',
    '--format',
    '{{.Id}}\t{{index .Config.Labels "com.docker.compose.service"}}\t{{.Image}}\t{{.State.Running}}',
    ...ids.split('\n'),
  );
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id = '', service = '', imageId = '', running = ''] = line.split('\t');
      return { id, service, imageId, running: running === 'true' };
    });
}

export async function siteFacts(site: string, project: string, port: number): Promise<SiteFacts> {
  const dir = siteDir(site);
  let current: string | null = null;
  try {
    current = (await readlink(`${dir}/current`)).replace(/^releases\//, '');
  } catch {
    current = null;
  }
  let manifestCurrent: string | null | undefined;
  let manifestValid = false;
  try {
    const manifest = JSON.parse(await readFile(`${dir}/manifest.json`, 'utf8')) as {
      current_release_id: string | null;
    };
    manifestCurrent = manifest.current_release_id;
    manifestValid = true;
  } catch {
    manifestCurrent = undefined;
  }
  const entries = existsSync(`${dir}/releases`) ? (await readdir(`${dir}/releases`)).sort() : [];
  const releases = await Promise.all(
    entries.filter((e) => RELEASE_ID.test(e)).map((id) => readRelease(`${dir}/releases`, id)),
  );
  const response = await httpGet(port);
  return {
    current,
    manifestCurrent,
    manifestValid,
    containers: await projectContainers(project),
    releases,
    strays: entries.filter((e) => !RELEASE_ID.test(e)),
    served: response?.status === 200 ? response.body : null,
  };
}

/**
 * What is wrong with a site: `current`, manifest and running containers
 * disagree, nothing is served, the served version is not the one `current`
 * runs, or `releases/` holds something incomplete.
 */
export function consistencyProblems(facts: SiteFacts): string[] {
  const problems: string[] = [];
  if (!facts.current) problems.push('no current link');
  if (!facts.manifestValid) problems.push('manifest.json missing or not JSON');
  else if (facts.manifestCurrent !== facts.current)
    problems.push(`manifest names ${facts.manifestCurrent}, current is ${facts.current}`);
  for (const release of facts.releases) {
    if (release.missing.length > 0)
      problems.push(`${release.id} is incomplete (missing ${release.missing.join(', ')})`);
  }
  if (facts.strays.length > 0) problems.push(`releases/ holds ${facts.strays.join(', ')}`);
  const currentRelease = facts.releases.find((r) => r.id === facts.current);
  if (facts.current && !currentRelease) problems.push(`current ${facts.current} does not exist`);
  if (currentRelease) {
    const services = Object.keys(currentRelease.imageIds);
    for (const service of services) {
      const running = facts.containers.filter((c) => c.service === service && c.running);
      if (running.length !== 1)
        problems.push(`${running.length} running container(s) for service ${service}`);
      for (const c of running) {
        if (c.imageId !== currentRelease.imageIds[service])
          problems.push(
            `${service} runs ${c.imageId.slice(7, 19)}, current ${currentRelease.id} pins ` +
              `${currentRelease.imageIds[service]?.slice(7, 19)}`,
          );
      }
    }
    if (facts.served !== currentRelease.variant)
      problems.push(`serves ${facts.served ?? 'nothing'}, current runs ${currentRelease.variant}`);
  }
  return problems;
}

/** Holds the site's flock from outside Berth (root may) until `release()`. */
export function holdSiteLock(site: string): { ready: Promise<void>; release(): Promise<void> } {
  const child: ChildProcess = spawn(
    'flock',
    [`${siteDir(site)}/.lock`, 'sh', '-c', 'echo held; exec cat >/dev/null'],
    { stdio: ['pipe', 'pipe', 'ignore'] },
  );
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('error', reject);
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    ready,
    release: async () => {
      child.stdin?.end();
      await closed;
    },
  };
}

export async function removeSite(site: string, project: string): Promise<void> {
  const ids = await dockerAsync(
    'ps',
    '-aq',
    '--filter',
    `label=com.docker.compose.project=${project}`,
  );
  if (ids) await dockerAsync('rm', '-f', ...ids.split('\n'));
  const tags = (
    await dockerAsync('image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', `berth/${project}`)
  )
    .split('\n')
    .filter((t) => t && !t.endsWith(':<none>'));
  if (tags.length > 0) await dockerAsync('image', 'rm', '--no-prune', ...tags);
  await rm(siteDir(site), { recursive: true, force: true });
}

export interface ProcessScan {
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly found: boolean;
}

/**
 * Watches this machine (the target) for compose processes of a project: the
 * commands a job started over SSH, which may outlive it. Scans /proc about
 * every 25 ms until stopped.
 */
export function watchComposeProcesses(project: string): {
  /** Resolves at the end of the first scan that finds one. */
  readonly firstSeen: Promise<number>;
  readonly scans: ProcessScan[];
  stop(): Promise<void>;
} {
  const needle = `\0--project-name\0${project}\0`;
  const scans: ProcessScan[] = [];
  let stopped = false;
  let seen: (at: number) => void = () => undefined;
  const firstSeen = new Promise<number>((resolve) => (seen = resolve));
  const loop = (async () => {
    while (!stopped) {
      const startedAt = Date.now();
      const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
      const cmdlines = await Promise.all(
        pids.map((pid) => readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')),
      );
      // The docker CLI (or compose v1's interpreter) itself, not the `timeout` and `flock` wrappers.
      const found = cmdlines.some(
        (c) =>
          c.includes(needle) &&
          c
            .split('\0')
            .slice(0, 2)
            .some((arg) => /(^|\/)docker(-compose)?$/.test(arg)),
      );
      scans.push({ startedAt, finishedAt: Date.now(), found });
      if (found) seen(Date.now());
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  return {
    firstSeen,
    scans,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/**
 * Waits until the site lock can be taken (as root, without waiting) and
 * returns when the successful attempt started and ended. Fails after `timeoutMs`.
 */
export async function waitForSiteLockFree(
  site: string,
  timeoutMs = 60_000,
): Promise<{ startedAt: number; finishedAt: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const startedAt = Date.now();
    const free = await execFileAsync('flock', ['-n', `${siteDir(site)}/.lock`, 'true']).then(
      () => true,
      () => false,
    );
    if (free) return { startedAt, finishedAt: Date.now() };
    if (Date.now() > deadline)
      throw new Error(`the lock of ${site} stayed held for ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

// Ports for the fault and concurrency tests: they need more than the 25 a test
// process gets from `freePort`, so they take blocks of 50 in 10000-19999, below
// `freePort`'s range and the ephemeral ports, and skip any port already bound.
let nextFaultPort = 10000 + (process.pid % 200) * 50;

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A loopback port nothing listens on, for one test site. */
export async function faultPort(): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = nextFaultPort++;
    if (await bindable(port)) return port;
  }
  throw new Error('no free loopback port found');
}
