import { readFileSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { siteDir } from './support/deploy-site.js';
import { makeWorkspace, uniqueSite } from './support/fixtures.js';
import { runActionStreaming, type StreamingRun } from './support/fault-run.js';
import {
  consistencyProblems,
  faultCompose,
  faultPort,
  removeSite,
  siteFacts,
} from './support/fault-site.js';
import { recordResult } from './support/results.js';
import { connectionInputs } from './support/target.js';

/*
 * Reliability item 4: concurrency.
 *   - 10 deploys of one site at once, each a distinct artifact. With a long
 *     lock-timeout all 10 succeed, one after the other; with a short one each
 *     either succeeds or fails with the lock message naming the holder. Either
 *     way manifest.json stays valid JSON, audit.log gets exactly one line per
 *     deploy that ran, each deploy saw the one before it (the audit chain), and
 *     the release served is the one `current` names.
 *   - Deploys of two sites on one host run side by side: there is no global lock.
 * Every run gets its own GITHUB_RUN_ID, so the holder a lock message names can
 * be traced to the run that held the lock.
 */

const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const step of cleanup) await step().catch(() => undefined);
});

interface Site {
  readonly site: string;
  readonly port: number;
  readonly workspace: string;
}

async function newSite(prefix: string): Promise<Site> {
  const site = uniqueSite(prefix);
  const workspace = makeWorkspace({ 'deploy/compose.yml': faultCompose() });
  cleanup.push(async () => {
    await removeSite(site, site);
    rmSync(workspace, { recursive: true, force: true });
  });
  return { site, port: await faultPort(), workspace };
}

const runUrl = (runId: number): string =>
  `https://github.com/acme/shop/actions/runs/${runId}/attempts/1`;

function deploy(
  s: Site,
  tag: string,
  mark: string,
  runId: number,
  extra: Record<string, string> = {},
): Promise<StreamingRun> {
  return runActionStreaming(
    'deploy-release',
    {
      ...connectionInputs(),
      site: s.site,
      'compose-file': 'deploy/compose.yml',
      'compose-command': 'docker compose',
      env: `WEB_PORT=${s.port}\nWEB_TAG=${tag}\nMARK=${mark}\n`,
      pull: 'false',
      'health-url': `http://127.0.0.1:${s.port}/health`,
      'health-backoff': '0.2',
      'health-timeout': '30',
      'keep-releases': '30',
      ...extra,
    },
    { workspace: s.workspace, env: { GITHUB_RUN_ID: String(runId) }, timeoutMs: 240_000 },
  );
}

function explain(run: StreamingRun): string {
  return (
    `code ${run.code}\noutputs ${JSON.stringify(run.outputs)}\n--- stdout\n` +
    `${run.lines.filter((l) => !l.startsWith('::add-mask::')).join('\n')}\n--- stderr\n${run.stderr}`
  );
}

interface AuditLine {
  operation: string;
  run_url: string;
  from_release: string | null;
  to_release: string | null;
  result: string;
}

function auditLines(s: Site): AuditLine[] {
  return readFileSync(`${siteDir(s.site)}/audit.log`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditLine);
}

/** manifest.json parses, `current`, manifest and containers agree, and `current` is served. */
async function expectSiteConsistent(s: Site, current: string): Promise<string> {
  const manifest = JSON.parse(readFileSync(`${siteDir(s.site)}/manifest.json`, 'utf8')) as {
    current_release_id: string;
    last_health_status: string;
  };
  expect(manifest.current_release_id).toBe(current);
  expect(manifest.last_health_status).toBe('healthy');
  const facts = await siteFacts(s.site, s.site, s.port);
  expect(consistencyProblems(facts)).toEqual([]);
  expect(facts.current).toBe(current);
  const variant = facts.releases.find((r) => r.id === current)?.variant;
  expect(facts.served).toBe(variant);
  return variant as string;
}

/**
 * The deploys that ran, in audit order, must form a chain: each started from
 * the release the one before it left, as only one deploy at a time held the lock.
 */
function expectAuditChain(lines: AuditLine[], baseline: string, runs: Map<string, StreamingRun>) {
  let previous = baseline;
  for (const line of lines) {
    expect(line).toMatchObject({ operation: 'deploy', result: 'success', from_release: previous });
    const run = runs.get(line.run_url);
    expect(run, `audit line of an unknown run ${line.run_url}`).toBeDefined();
    expect(run?.outputs['release-id']).toBe(line.to_release);
    expect(run?.outputs['previous-release-id']).toBe(previous);
    previous = line.to_release as string;
  }
  return previous;
}

describe('concurrent deploys', () => {
  it('10 deploys of one site at once with a long lock-timeout: all succeed, one at a time', async () => {
    const s = await newSite('cc');
    const baseline = await deploy(s, 'v1', 'base', 2000);
    expect(baseline.code, explain(baseline)).toBe(0);
    const baselineId = baseline.outputs['release-id'] as string;

    const started = Date.now();
    const runs = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        deploy(s, i % 2 === 0 ? 'v2' : 'v1', `run-${i}`, 2001 + i, { 'lock-timeout': '200' }),
      ),
    );
    const wallMs = Date.now() - started;
    for (const run of runs) {
      expect(run.code, explain(run)).toBe(0);
      expect(run.outputs.deployed).toBe('true');
      expect(run.outputs['health-status']).toBe('healthy');
    }
    // Ten distinct artifacts, ten releases.
    const ids = runs.map((r) => r.outputs['release-id']);
    expect(new Set(ids).size).toBe(10);
    expect(new Set(runs.map((r) => r.outputs['artifact-hash'])).size).toBe(10);

    const audit = auditLines(s);
    expect(audit).toHaveLength(11);
    const byUrl = new Map(runs.map((run, i) => [runUrl(2001 + i), run]));
    const last = expectAuditChain(audit.slice(1), baselineId, byUrl);
    // Exactly one line per deploy.
    expect(new Set(audit.slice(1).map((a) => a.run_url)).size).toBe(10);
    const served = await expectSiteConsistent(s, last);
    // One at a time: from taking the lock to its last phase, no two deploys overlapped.
    expectNoOverlap(runs.map(lockedWindow));
    recordResult(
      'concurrency',
      '10 deploys of one site at once, lock-timeout 200',
      `all 10 succeeded one at a time (audit chain, ${Math.round(wallMs / 1000)} s); ` +
        `manifest valid, one audit line each, serves ${served} = current`,
      10,
    );
  });

  it('10 deploys of one site at once with lock-timeout 2: each succeeds or names the holder', async () => {
    const s = await newSite('cl');
    const baseline = await deploy(s, 'v1', 'base', 3000);
    expect(baseline.code, explain(baseline)).toBe(0);
    const baselineId = baseline.outputs['release-id'] as string;
    const releasesBefore = (await siteFacts(s.site, s.site, s.port)).releases.length;

    const runs = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        deploy(s, i % 2 === 0 ? 'v2' : 'v1', `run-${i}`, 3001 + i, { 'lock-timeout': '2' }),
      ),
    );
    const succeeded = runs.filter((r) => r.code === 0);
    const refused = runs.filter((r) => r.code !== 0);
    const successUrls = new Set(
      runs.map((r, i) => (r.code === 0 ? runUrl(3001 + i) : '')).filter(Boolean),
    );
    for (const run of succeeded) expect(run.outputs['health-status'], explain(run)).toBe('healthy');
    const holders: string[] = [];
    for (const run of refused) {
      expect(run.code, explain(run)).toBe(1);
      const errors = run.annotations.filter((a) => a.startsWith('::error'));
      expect(errors, explain(run)).toHaveLength(1);
      const message = (errors[0] as string).replace(/%0A/g, '\n').replace(/%25/g, '%');
      const match =
        /Site '([^']+)' is locked by another operation \((\{.*\})\); waited 2s \(input 'lock-timeout'\)/.exec(
          message,
        );
      expect(match, explain(run)).not.toBeNull();
      expect(match?.[1]).toBe(s.site);
      const holder = JSON.parse(match?.[2] ?? '{}') as { operation: string; run_url: string };
      expect(holder.operation).toBe('deploy');
      // The named holder is a run that did hold the lock (or the baseline, whose info is the
      // last written until the first of these runs writes its own).
      expect([...successUrls, runUrl(3000)]).toContain(holder.run_url);
      holders.push(holder.run_url);
      // Refused before it touched anything.
      expect(run.lines.some((l) => l === '::group::upload')).toBe(false);
    }
    expect(succeeded.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeGreaterThanOrEqual(1);

    const audit = auditLines(s);
    expect(audit).toHaveLength(1 + succeeded.length);
    const byUrl = new Map(runs.map((run, i) => [runUrl(3001 + i), run]));
    const last = expectAuditChain(audit.slice(1), baselineId, byUrl);
    expectNoOverlap(succeeded.map(lockedWindow));
    const facts = await siteFacts(s.site, s.site, s.port);
    expect(facts.releases).toHaveLength(releasesBefore + succeeded.length);
    const served = await expectSiteConsistent(s, last);
    recordResult(
      'concurrency',
      '10 deploys of one site at once, lock-timeout 2',
      `${succeeded.length} succeeded, ${refused.length} refused with the lock message naming ` +
        `the holder's run; manifest valid, one audit line per deploy that ran, serves ${served} = current`,
      10,
    );
  });

  it('deploys of two sites run side by side (no global lock)', async () => {
    const sites = [await newSite('cp'), await newSite('cp')];
    const baselines = await Promise.all(sites.map((s, i) => deploy(s, 'v1', 'base', 4000 + i)));
    for (const run of baselines) expect(run.code, explain(run)).toBe(0);

    const started = Date.now();
    const runs = await Promise.all(
      sites.map((s, i) =>
        deploy(s, 'v2', 'slow', 4010 + i, {
          'before-up': JSON.stringify([['run', '--rm', 'web', 'sleep', '3']]),
        }),
      ),
    );
    const wallMs = Date.now() - started;
    for (const run of runs) expect(run.code, explain(run)).toBe(0);
    const [a, b] = runs.map(beforeUpWindow) as [Window, Window];
    // Both before-up phases (3 s each) were running at the same time for most of it.
    const overlapMs = Math.min(a.end, b.end) - Math.max(a.start, b.start);
    expect(overlapMs, JSON.stringify({ a, b })).toBeGreaterThan(2000);
    const serializedMs = runs.reduce((sum, run) => sum + run.durationMs, 0);
    expect(wallMs).toBeLessThan(serializedMs * 0.75);
    for (const [i, s] of sites.entries()) {
      await expectSiteConsistent(s, runs[i]?.outputs['release-id'] as string);
    }
    recordResult(
      'concurrency',
      'deploys of two sites at once (before-up sleep 3 each)',
      `ran side by side: before-up phases overlapped ${(overlapMs / 1000).toFixed(1)} s; ` +
        `${(wallMs / 1000).toFixed(1)} s in all vs ${(serializedMs / 1000).toFixed(1)} s one after the other`,
      2,
    );
  });
});

interface Window {
  start: number;
  end: number;
}

/** When a run's before-up phase began and ended, from the arrival of its log lines. */
function beforeUpWindow(run: StreamingRun): Window {
  const start = run.lines.indexOf('::group::before-up');
  const end = run.lines.findIndex((l, i) => i > start && /^before-up: \d+ ms$/.test(l));
  expect(start, explain(run)).toBeGreaterThan(-1);
  expect(end, explain(run)).toBeGreaterThan(start);
  return { start: run.times[start] as number, end: run.times[end] as number };
}

/**
 * A part of the time a run held the site lock, as this side saw it: from the
 * line saying the lock was taken to its last phase timer (both printed while
 * the lock is held, so the true holding time encloses this window).
 */
function lockedWindow(run: StreamingRun): Window {
  const start = run.lines.findIndex((l) => l.startsWith('$ berth-lock '));
  let end = -1;
  run.lines.forEach((l, i) => {
    if (/^[a-z][a-z: -]*: \d+ ms$/.test(l)) end = i;
  });
  expect(start, explain(run)).toBeGreaterThan(-1);
  expect(end, explain(run)).toBeGreaterThan(start);
  return { start: run.times[start] as number, end: run.times[end] as number };
}

function expectNoOverlap(windows: Window[]): void {
  const sorted = [...windows].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    expect(sorted[i]?.start, JSON.stringify(sorted)).toBeGreaterThan(sorted[i - 1]?.end ?? 0);
  }
}
