import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { siteDir, visibleStdout } from './deploy-site.js';
import type { ActionRun } from './run-action.js';

/**
 * Where a secret could leak from a run: everything the job log, the job
 * summary, annotations and outputs show. `::add-mask::` lines are the one
 * place a secret is allowed (the runner consumes them).
 */
export function visibleParts(label: string, run: ActionRun): Record<string, string> {
  return {
    [`${label} stdout`]: visibleStdout(run),
    [`${label} stderr`]: run.stderr,
    [`${label} summary`]: run.summary,
    [`${label} annotations`]: run.annotations.join('\n'),
    [`${label} outputs`]: JSON.stringify(run.outputs),
  };
}

/** The files a site keeps on the server that anyone with access to it may read. */
export function siteRecords(site: string): Record<string, string> {
  const dir = siteDir(site);
  const out: Record<string, string> = {};
  for (const name of ['audit.log', 'manifest.json', '.lock.info']) {
    if (existsSync(`${dir}/${name}`)) out[name] = readFileSync(`${dir}/${name}`, 'utf8');
  }
  const releases = existsSync(`${dir}/releases`) ? readdirSync(`${dir}/releases`) : [];
  for (const id of releases) {
    const path = `${dir}/releases/${id}/release.json`;
    if (existsSync(path)) out[`releases/${id}/release.json`] = readFileSync(path, 'utf8');
  }
  return out;
}

/** Every (place, secret) pair where the secret text appears. */
export function exposures(
  places: Record<string, string>,
  secrets: readonly string[],
): Array<{ place: string; secret: string }> {
  const found: Array<{ place: string; secret: string }> = [];
  for (const [place, text] of Object.entries(places)) {
    for (const secret of secrets) {
      if (secret !== '' && text.includes(secret)) found.push({ place, secret });
    }
  }
  return found;
}

/** The lines of a PEM/OpenSSH private key between its BEGIN and END markers. */
export function keyBodyLines(key: string): string[] {
  return key
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('-----') && !l.includes(':'));
}
