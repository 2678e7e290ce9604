import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { siteDir } from './support/deploy-site.js';
import { makeWorkspace, uniqueSite } from './support/fixtures.js';
import { FaultProxy } from './support/fault-proxy.js';
import { runActionStreaming, type StreamingRun } from './support/fault-run.js';
import {
  consistencyProblems,
  faultCompose,
  faultPort,
  holdSiteLock,
  proxiedConnectionInputs,
  removeSite,
  siteFacts,
  waitForSiteLockFree,
  watchComposeProcesses,
  type SiteFacts,
} from './support/fault-site.js';
import { recordResult } from './support/results.js';
import { connectionInputs, target } from './support/target.js';

/*
 * Reliability item 3: a fault in the middle of every phase of a deploy and of
 * a rollback. Each case runs on its own site and port:
 *   1. a healthy starting point (v1 deployed; for rollback cases v1 then v2);
 *   2. the operation under test, streamed: the moment its `::group::<phase>`
 *      line arrives, the job is SIGKILLed (a cancelled or crashed runner) or
 *      its TCP connection is reset through a proxy (a dead network path). The
 *      case is recorded under the phase really hit (what was still open when
 *      the job died, or where its first command failed after the cut);
 *   3. whatever the job left running on the server ends and the site lock is
 *      free again within 10 s (no stale lock); the site serves the old or the
 *      new release, releases/ holds only complete releases, and `current`,
 *      manifest.json and the running container's image agree. A fault between
 *      `compose up` and the switch (or between the switch and the manifest)
 *      cannot leave them agreeing by itself: the operation leaves `.in-flight`
 *      behind and the next operation under the lock repairs the site. For
 *      those cases the test proves the repair with a deploy of the very
 *      artifact `current` names, which must repair and then change nothing;
 *   4. the next deploy (lock-timeout 10) must succeed, then a rollback.
 * Extra "(command running)" cases fault while before-up or `compose up` runs
 * on the server: that command outlives the job, and the site lock must stay
 * held until it has ended, so no next operation starts beside it.
 * `pull: true` everywhere: the compose file says `pull_policy: never`, which
 * Compose v2 honours for `pull` too, so the `pull` phase runs (and can be hit)
 * without a registry. Cases run four at a time on their own sites and ports.
 */

type Fault = 'kill' | 'drop';

const DEPLOY_PHASES = [
  'lock',
  'upload',
  'config',
  'pull',
  'pin',
  'before-up',
  'up',
  'switch',
  'manifest',
  'health',
] as const;
const ROLLBACK_PHASES = [
  'lock',
  'choose',
  'verify',
  'rollback: up',
  'rollback: switch',
  'rollback: manifest',
  'rollback: health',
] as const;

const PARALLEL = 4;
const cleanup: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const step of cleanup) await step().catch(() => undefined);
});

/** A tiny semaphore: at most PARALLEL cases touch the target at once. */
let running = 0;
const waiting: Array<() => void> = [];
async function withSlot<T>(body: () => Promise<T>): Promise<T> {
  if (running >= PARALLEL) await new Promise<void>((resolve) => waiting.push(resolve));
  else running++;
  try {
    return await body();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

function explain(run: StreamingRun): string {
  return (
    `code ${run.code} signal ${run.signal}\noutputs ${JSON.stringify(run.outputs)}\n` +
    `--- stdout\n${run.lines.filter((l) => !l.startsWith('::add-mask::')).join('\n')}\n` +
    `--- stderr\n${run.stderr}`
  );
}

interface Site {
  readonly site: string;
  readonly port: number;
  readonly workspace: string;
  readonly files: string;
}

async function newSite(prefix: string, bigUpload = false): Promise<Site> {
  const site = uniqueSite(prefix);
  const port = await faultPort();
  // For `upload`, a few MB of extra files so that the phase lasts long enough to be hit.
  const workspace = makeWorkspace({
    'deploy/compose.yml': faultCompose(),
    ...(bigUpload
      ? {
          'assets/a.bin': randomBytes(3 * 1024 * 1024).toString('base64'),
          'assets/b.bin': randomBytes(3 * 1024 * 1024).toString('base64'),
        }
      : {}),
  });
  cleanup.push(async () => {
    await removeSite(site, site);
    rmSync(workspace, { recursive: true, force: true });
  });
  return { site, port, workspace, files: bigUpload ? 'assets' : '' };
}

const envText = (s: Site, tag: string, mark = ''): string =>
  `WEB_PORT=${s.port}\nWEB_TAG=${tag}\nMARK=${mark}\n`;

function deployInputs(s: Site, env: string, extra: Record<string, string> = {}) {
  return {
    ...connectionInputs(),
    site: s.site,
    'compose-file': 'deploy/compose.yml',
    'compose-command': 'docker compose',
    files: s.files,
    env,
    pull: 'true',
    'health-url': `http://127.0.0.1:${s.port}/health`,
    'health-backoff': '0.2',
    'health-timeout': '20',
    'lock-timeout': '10',
    ...extra,
  };
}

function rollbackInputs(s: Site, extra: Record<string, string> = {}) {
  return {
    ...connectionInputs(),
    site: s.site,
    'compose-command': 'docker compose',
    'health-url': `http://127.0.0.1:${s.port}/health`,
    'health-backoff': '0.2',
    'health-timeout': '20',
    'lock-timeout': '10',
    ...extra,
  };
}

const deploy = (s: Site, env: string, extra: Record<string, string> = {}) =>
  runActionStreaming('deploy-release', deployInputs(s, env, extra), { workspace: s.workspace });

async function expectDeployed(s: Site, tag: string, run: StreamingRun): Promise<SiteFacts> {
  expect(run.code, explain(run)).toBe(0);
  expect(run.outputs['health-status'], explain(run)).toBe('healthy');
  const facts = await siteFacts(s.site, s.site, s.port);
  expect(consistencyProblems(facts), explain(run)).toEqual([]);
  expect(facts.current).toBe(run.outputs['current-release-id']);
  expect(facts.served).toBe(tag);
  return facts;
}

/** The groups (phases) in the order the job opened them, with whether each finished. */
function phasesOf(lines: readonly string[]): Array<{ phase: string; line: number; done: boolean }> {
  const phases: Array<{ phase: string; line: number; done: boolean }> = [];
  lines.forEach((line, index) => {
    if (line.startsWith('::group::')) {
      phases.push({ phase: line.slice('::group::'.length), line: index, done: false });
    }
    const timer = /^(.+): \d+ ms$/.exec(line);
    if (!timer) return;
    for (let i = phases.length - 1; i >= 0; i--) {
      const p = phases[i];
      if (p && p.phase === timer[1] && !p.done) {
        p.done = true;
        break;
      }
    }
  });
  return phases;
}

/**
 * The phase the fault really interrupted. A kill: the first phase the job had
 * opened (at or after the trigger) and not finished when it died. A drop: the
 * phase in which the first remote command failed after the cut.
 */
function phaseHit(run: StreamingRun, fault: Fault, groupLine: number, triggerLine: number): string {
  const phases = phasesOf(run.lines).filter((p) => p.line >= groupLine);
  if (fault === 'kill') {
    return phases.find((p) => !p.done)?.phase ?? `after ${phases.at(-1)?.phase ?? '?'}`;
  }
  const failed = run.lines.findIndex(
    (l, i) => i > triggerLine && (/\(failed\)$/.test(l) || /^::error/.test(l)),
  );
  const within = phases.filter((p) => p.line < (failed === -1 ? Infinity : failed));
  return within.at(-1)?.phase ?? '?';
}

interface FaultOptions {
  readonly onTrigger?: () => void;
  /**
   * Fault once the phase's remote compose command is running (seen in /proc)
   * and `delayMs` more have passed, instead of at the `::group::` line.
   */
  readonly midCommand?: { readonly project: string; readonly delayMs: number };
}

interface FaultOutcome {
  readonly run: StreamingRun;
  readonly hit: string;
  /** When the fault landed. */
  readonly at: number;
  /** With `midCommand`: the watch on the remote command, still running. */
  readonly watch?: ReturnType<typeof watchComposeProcesses>;
}

/** Runs `action` and kills it (or cuts its connection) when `::group::<phase>` appears. */
async function runWithFault(
  action: 'deploy-release' | 'rollback',
  phase: string,
  fault: Fault,
  inputs: Record<string, string>,
  workspace: string,
  options: FaultOptions = {},
): Promise<FaultOutcome> {
  const proxy = fault === 'drop' ? new FaultProxy(target().port) : undefined;
  const proxyPort = await proxy?.start();
  let trigger = -1;
  let groupLine = -1;
  let dropped = 0;
  let at = 0;
  let watch: ReturnType<typeof watchComposeProcesses> | undefined;
  try {
    const run = await runActionStreaming(
      action,
      proxyPort ? { ...inputs, ...proxiedConnectionInputs(proxyPort) } : inputs,
      {
        workspace,
        timeoutMs: 120_000,
        onLine: (line, job) => {
          if (groupLine !== -1 || line !== `::group::${phase}`) return;
          groupLine = job.lines.length - 1;
          const fire = (): void => {
            if (trigger !== -1) return;
            trigger = job.lines.length - 1;
            at = Date.now();
            if (proxy) dropped = proxy.dropAll();
            else job.kill();
            options.onTrigger?.();
          };
          const mid = options.midCommand;
          if (!mid) return fire();
          watch = watchComposeProcesses(mid.project);
          void watch.firstSeen.then(() => setTimeout(fire, mid.delayMs));
        },
      },
    );
    expect(trigger, `the job never reached ${phase}\n${explain(run)}`).toBeGreaterThan(-1);
    if (fault === 'kill') expect(run.signal, explain(run)).toBe('SIGKILL');
    else {
      expect(dropped, 'the proxy had no connection to drop').toBeGreaterThan(0);
      // The step fails, and says so, instead of hanging or crashing.
      expect(run.code, explain(run)).toBe(1);
      expect(
        run.annotations.filter((a) => a.startsWith('::error')),
        explain(run),
      ).toHaveLength(1);
    }
    return { run, hit: phaseHit(run, fault, groupLine, trigger), at, watch };
  } catch (error) {
    await watch?.stop();
    throw error;
  } finally {
    await proxy?.close();
  }
}

/**
 * After a fault while a remote command ran: that command may outlive the job
 * (nothing kills it on the server). The site lock must stay held until it has
 * ended, so that no next operation starts beside it: once the lock is free,
 * no compose process of the project may be left. Says whether it outlived the job.
 */
async function orphanVerdict(
  outcome: FaultOutcome,
  lockFree: { startedAt: number; finishedAt: number },
): Promise<{ outlived: boolean; text: string }> {
  const watch = outcome.watch as ReturnType<typeof watchComposeProcesses>;
  await new Promise((resolve) => setTimeout(resolve, 400));
  await watch.stop();
  const afterFault = watch.scans.filter((scan) => scan.startedAt > outcome.at);
  const found = afterFault.filter((scan) => scan.found);
  const afterFree = watch.scans.filter((scan) => scan.startedAt > lockFree.finishedAt);
  expect(afterFree.length).toBeGreaterThan(0);
  expect(
    afterFree.filter((scan) => scan.found),
    'a compose command still ran after the site lock was freed',
  ).toEqual([]);
  return found.length > 0
    ? {
        outlived: true,
        text: 'the command ran on after the fault and the lock was held until it ended',
      }
    : { outlived: false, text: 'the command ended with the job' };
}

/** The problems an interrupted operation may leave, all of which the next operation repairs. */
const INTERRUPTED_SHAPE =
  /^(manifest names \S+, current is \S+|\S+ runs \S+, current \S+ pins \S+|serves v\d, current runs v\d)$/;

/**
 * Step 3: served is old or new, nothing half-written. When the fault landed
 * between `up` and the manifest, the next operation must repair the site:
 * a deploy of the artifact `current` names repairs, then changes nothing.
 */
async function checkAfterFault(
  s: Site,
  envOf: (variant: string) => string,
  run: StreamingRun,
): Promise<{ facts: SiteFacts; state: string }> {
  const facts = await siteFacts(s.site, s.site, s.port);
  const context = `${JSON.stringify(facts, null, 1)}\n${explain(run)}`;
  expect(['v1', 'v2'], context).toContain(facts.served);
  expect(facts.strays, context).toEqual([]);
  expect(
    facts.releases.filter((r) => r.missing.length > 0),
    context,
  ).toEqual([]);
  const problems = consistencyProblems(facts);
  const marker = existsSync(`${siteDir(s.site)}/.in-flight`);
  if (problems.length === 0 && !marker) return { facts, state: 'consistent' };

  for (const problem of problems) expect(problem, context).toMatch(INTERRUPTED_SHAPE);
  // Containers that disagree with `current` are only possible while `.in-flight` says so.
  if (problems.some((p) => !p.startsWith('manifest names'))) expect(marker, context).toBe(true);
  const variant = facts.releases.find((r) => r.id === facts.current)?.variant as string;
  const again = await deploy(s, envOf(variant));
  expect(again.code, explain(again)).toBe(0);
  expect(again.outputs.deployed, explain(again)).toBe('false');
  expect(
    again.annotations.some((a) => a.startsWith('::warning title=Site state repaired::')),
    explain(again),
  ).toBe(true);
  const repaired = await siteFacts(s.site, s.site, s.port);
  expect(consistencyProblems(repaired), explain(again)).toEqual([]);
  expect(repaired.current).toBe(facts.current);
  expect(repaired.served).toBe(variant);
  expect(existsSync(`${siteDir(s.site)}/.in-flight`)).toBe(false);
  return {
    facts,
    state:
      problems.length > 0
        ? `${describeProblems(problems)} until the next operation repaired it`
        : 'consistent (in-flight marker cleared by the next operation)',
  };
}

/** A stable wording (no ids) of what an interrupted operation left. */
function describeProblems(problems: readonly string[]): string {
  const parts: string[] = [];
  if (problems.some((p) => / runs \S+, current \S+ pins /.test(p)))
    parts.push('containers ran a release current did not name');
  if (problems.some((p) => p.startsWith('manifest names')))
    parts.push('manifest named the previous release');
  return parts.join(' and ');
}

/** Step 4: the next deploy (a new artifact) and then a rollback both succeed. */
async function nextDeployAndRollback(s: Site): Promise<void> {
  await expectDeployed(s, 'v1', await deploy(s, envText(s, 'v1', 'next')));
  const back = await runActionStreaming('rollback', rollbackInputs(s), { workspace: s.workspace });
  expect(back.code, explain(back)).toBe(0);
  expect(back.outputs.success).toBe('true');
  const after = await siteFacts(s.site, s.site, s.port);
  expect(consistencyProblems(after), explain(back)).toEqual([]);
  expect(after.current).toBe(back.outputs['to-release']);
}

/** The case as recorded: named after the phase really hit (and the one aimed at, if different). */
function caseName(
  operation: string,
  aimed: string,
  hit: string,
  fault: Fault,
  midCommand = false,
): string {
  const short = (p: string) => p.replace(/^rollback: /, '');
  const running = midCommand ? ' (command running)' : '';
  return hit === aimed
    ? `${operation}/${short(aimed)}${running}/${fault}`
    : `${operation}/${short(hit)}/${fault} (aimed at ${short(aimed)}${running})`;
}

/** Extra cases: the fault lands while the phase's remote command runs, not at its start. */
const MID_COMMAND: Record<string, number> = { 'before-up': 700, up: 80, 'rollback: up': 80 };

describe.concurrent('faults during a deploy', () => {
  const cases = DEPLOY_PHASES.flatMap((phase) => [
    { phase, mid: false },
    ...(phase in MID_COMMAND ? [{ phase, mid: true }] : []),
  ]);
  for (const { phase, mid } of cases) {
    for (const fault of ['kill', 'drop'] as const) {
      const title = `deploy/${phase}${mid ? ' (command running)' : ''}/${fault}`;
      it(title, { timeout: 400_000 }, () =>
        withSlot(async () => {
          const s = await newSite('fd', phase === 'upload');
          const v1 = await expectDeployed(s, 'v1', await deploy(s, envText(s, 'v1')));

          // For `lock`, someone else holds the lock for a moment, so the job is waiting when hit.
          const outside = phase === 'lock' ? holdSiteLock(s.site) : undefined;
          await outside?.ready;
          const beforeUp = [['run', '--rm', 'web', 'sleep', mid ? '3' : '2']];
          const outcome = await runWithFault(
            'deploy-release',
            phase,
            fault,
            deployInputs(
              s,
              envText(s, 'v2'),
              phase === 'before-up' ? { 'before-up': JSON.stringify(beforeUp) } : {},
            ),
            s.workspace,
            {
              onTrigger: () => setTimeout(() => void outside?.release(), 1500),
              midCommand: mid ? { project: s.site, delayMs: MID_COMMAND[phase] ?? 0 } : undefined,
            },
          );
          await outside?.release();
          // Whatever the job left running on the server ends; then the lock is free (none stale).
          const lockFree = await waitForSiteLockFree(s.site);
          expect(lockFree.finishedAt - outcome.at, 'the lock stayed held').toBeLessThan(10_000);
          const orphan = mid ? await orphanVerdict(outcome, lockFree) : undefined;
          if (phase === 'before-up' && mid) expect(orphan?.outlived, orphan?.text).toBe(true);

          const { facts, state } = await checkAfterFault(
            s,
            (variant) => envText(s, variant),
            outcome.run,
          );
          // The old release is never lost.
          expect(facts.releases.map((r) => r.id)).toContain(v1.current);
          await nextDeployAndRollback(s);
          recordResult(
            'faults',
            caseName('deploy', phase, outcome.hit, fault, mid),
            `served ${facts.served}, ${state}${orphan ? `; ${orphan.text}` : ''}, next deploy ok, rollback ok`,
          );
        }),
      );
    }
  }
});

describe.concurrent('faults during a rollback', () => {
  const cases = ROLLBACK_PHASES.flatMap((phase) => [
    { phase, mid: false },
    ...(phase in MID_COMMAND ? [{ phase, mid: true }] : []),
  ]);
  for (const { phase, mid } of cases) {
    for (const fault of ['kill', 'drop'] as const) {
      const short = phase.replace(/^rollback: /, '');
      const title = `rollback/${short}${mid ? ' (command running)' : ''}/${fault}`;
      it(title, { timeout: 400_000 }, () =>
        withSlot(async () => {
          const s = await newSite('fr');
          const v1 = await expectDeployed(s, 'v1', await deploy(s, envText(s, 'v1')));
          const v2 = await expectDeployed(s, 'v2', await deploy(s, envText(s, 'v2')));

          const outside = phase === 'lock' ? holdSiteLock(s.site) : undefined;
          await outside?.ready;
          const outcome = await runWithFault(
            'rollback',
            phase,
            fault,
            rollbackInputs(s),
            s.workspace,
            {
              onTrigger: () => setTimeout(() => void outside?.release(), 1500),
              midCommand: mid ? { project: s.site, delayMs: MID_COMMAND[phase] ?? 0 } : undefined,
            },
          );
          await outside?.release();
          // Whatever the job left running on the server ends; then the lock is free (none stale).
          const lockFree = await waitForSiteLockFree(s.site);
          expect(lockFree.finishedAt - outcome.at, 'the lock stayed held').toBeLessThan(10_000);
          const orphan = mid ? await orphanVerdict(outcome, lockFree) : undefined;

          const { facts, state } = await checkAfterFault(
            s,
            (variant) => envText(s, variant),
            outcome.run,
          );
          expect([v1.current, v2.current]).toContain(facts.current);
          await nextDeployAndRollback(s);
          recordResult(
            'faults',
            caseName('rollback', phase, outcome.hit, fault, mid),
            `served ${facts.served}, ${state}${orphan ? `; ${orphan.text}` : ''}, next deploy ok, rollback ok`,
          );
        }),
      );
    }
  }
});
