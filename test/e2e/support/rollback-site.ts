import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { httpGet } from './fixtures.js';
import { readJson, siteDir } from './deploy-site.js';
import type { ActionRun } from './run-action.js';
import { target } from './target.js';

export const RELEASE_ID = /^rel_\d{10}_[a-f0-9]{8}$/;

export interface Manifest {
  site_id: string;
  current_release_id: string | null;
  previous_release_id: string | null;
  last_health_status: string;
  updated_at: string;
}

export interface ReleaseJson {
  release_id: string;
  health_status: string;
  health_checked_at?: string;
  project_name: string;
  services: Array<{ service: string; image: string; image_id: string; pinned_tag: string }>;
}

export interface AuditLine {
  operation: string;
  site: string;
  from_release: string | null;
  to_release: string | null;
  result: string;
  detail?: string;
}

export const manifestOf = (site: string): Manifest =>
  readJson<Manifest>(`${siteDir(site)}/manifest.json`);

export const releaseJsonOf = (site: string, id: string): ReleaseJson =>
  readJson<ReleaseJson>(`${siteDir(site)}/releases/${id}/release.json`);

export const auditOf = (site: string): AuditLine[] =>
  readFileSync(`${siteDir(site)}/audit.log`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditLine);

/** Full diagnostics for an assertion message: the action's own log explains what went wrong. */
export function explain(run: ActionRun): string {
  return (
    `code ${run.code}\noutputs ${JSON.stringify(run.outputs)}\n` +
    `--- stdout\n${run.stdout
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n')}\n--- stderr\n${run.stderr}`
  );
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Watches `/version` on `port` while `operation` runs: the first moment the body
 * is `expected` again after it was seen to be something else (or nothing).
 */
export async function watchServedAgain<T>(
  port: number,
  expected: string,
  operation: () => Promise<T>,
): Promise<{ result: T; startedAt: number; servedAgainAt: number | null; seen: string[] }> {
  const startedAt = Date.now();
  let done = false;
  let left = false;
  let servedAgainAt: number | null = null;
  const seen: string[] = [];
  const watcher = (async () => {
    while (!done && servedAgainAt === null) {
      const response = await httpGet(port);
      const body = response ? `${response.status} ${response.body}` : 'no response';
      if (seen.at(-1) !== body) seen.push(body);
      if (response?.status === 200 && response.body === expected) {
        if (left) servedAgainAt = Date.now();
      } else left = true;
      await sleep(50);
    }
  })();
  try {
    const result = await operation();
    return { result, startedAt, servedAgainAt, seen };
  } finally {
    done = true;
    await watcher;
  }
}

/** Health of a container as docker reports it (`starting`, `healthy`, `unhealthy`). */
export function containerHealth(project: string): string {
  const ids = execFileSync(
    'docker',
    ['ps', '-q', '--filter', `label=com.docker.compose.project=${project}`],
    { encoding: 'utf8' },
  )
    .trim()
    .split('\n')
    .filter(Boolean);
  if (ids.length !== 1) return `${ids.length} containers`;
  return execFileSync(
    'docker',
    [
      'inspect',
      '--format',
      '{{if .State.Health}}{{.State.Health.Status}}{{end}}',
      ids[0] as string,
    ],
    { encoding: 'utf8' },
  ).trim();
}

/** `docker compose up -d` on this machine (the target), outside Berth. */
export function composeUp(project: string, file: string, env: Record<string, string>): void {
  execFileSync('docker', ['compose', '--project-name', project, '-f', file, 'up', '--detach'], {
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
}

/** Bytes in the target's sshd log so far (it logs refused `direct-tcpip` forwards as `connect_to … failed`). */
export function sshdLogLength(): number {
  return statSync(target().sshdLog).size;
}

/** The sshd log written since `offset`. */
export function sshdLogSince(offset: number): string {
  return readFileSync(target().sshdLog).subarray(offset).toString('utf8');
}

/** The first non-loopback IPv4 address of this machine, if any. */
export function externalIpv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const address of list ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return undefined;
}

/** Whether a TCP connection to host:port is accepted within a second. */
export function acceptsTcp(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
