import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorAnnotations, siteDir, visibleStdout } from './support/deploy-site.js';
import { freePort, httpGet, makeWorkspace, uniqueSite, webCompose } from './support/fixtures.js';
import {
  assertSafe,
  canaryName,
  expand,
  loadCorpus,
  type HostileCase,
  type Placeholders,
} from './support/hostile-corpus.js';
import { commandsSince, markSshdLog, type LogMark } from './support/hostile-sshlog.js';
import {
  auditRecords,
  cleanupSite,
  deployRev,
  releaseSecond,
  waitPastSecond,
} from './support/lifecycle-site.js';
import { recordResult } from './support/results.js';
import { runAction, type ActionRun } from './support/run-action.js';
import { connectionInputs, target } from './support/target.js';

/**
 * Reliability item 2: every input of every action against a corpus of hostile
 * values (test/e2e/hostile-inputs.json). One real site serves v1 throughout.
 * A `refused` case must fail before connecting, with an ::error naming its
 * input; an `inert` case may succeed or fail, but nothing it smuggles in may
 * run: canary files never appear, and the site still serves v1.
 */

const CORPUS = loadCorpus();
const token = randomBytes(4).toString('hex');
const site = uniqueSite('hostile');
const decoy = `${site}-decoy`;
const port = freePort();
/** Actions never reach GitHub: a closed loopback port stands in for the API. */
const ENV = { GITHUB_API_URL: 'http://127.0.0.1:9' };

const compose = webCompose({ envFile: null });
const ws = makeWorkspace({
  'compose.yml': compose,
  '-f.yml': compose,
  'my compose.yml': compose,
  'a=b,c@d+e.yml': compose,
  'extra/config.txt': 'extra\n',
  'extra dir/file one.txt': 'one\n',
  'extra dir/--help': 'not an option\n',
  'odd names/-rf': 'x\n',
  'odd names/--': 'x\n',
  'odd names/x=y,z@w+v': 'x\n',
  [`bad names/$(touch ${canaryName(token, 99999)})`]: 'x\n',
  '.env': 'A=1\n',
  'release.json': '{}\n',
  'berth.pin.yml': 'services: {}\n',
  'hostile.env': [
    `WEB_PORT=${port}`,
    'WEB_TAG=v1',
    `E1=$(touch /tmp/${canaryName(token, 88888)})`,
    `E2=\`touch /tmp/${canaryName(token, 88888)}\``,
    `E3='; touch /tmp/${canaryName(token, 88888)}; '`,
  ].join('\n'),
  'loop/a/keep.txt': 'x\n',
});
symlinkSync('/etc/passwd', join(ws, 'escape.yml'));
symlinkSync('/etc', join(ws, 'escape-dir'));
// A directory cycle that stays inside the workspace: loop/a/up -> loop.
symlinkSync('..', join(ws, 'loop/a/up'));

let placeholders: Placeholders;
let mark: LogMark;

function baseline(action: HostileCase['action']): Record<string, string> {
  const connection = { ...connectionInputs(), 'connect-retries': '0', 'lock-timeout': '120' };
  const health = {
    'health-url': `http://127.0.0.1:${port}/health`,
    'health-timeout': '10',
    'health-retries': '2',
    'health-backoff': '0.2',
  };
  const deploy = {
    'compose-file': 'compose.yml',
    env: `WEB_PORT=${port}\nWEB_TAG=v1`,
    pull: 'false',
    'keep-releases': '0',
  };
  const gate = {
    url: `http://127.0.0.1:${port}/health`,
    retries: '0',
    timeout: '5',
    backoff: '0.2',
  };
  switch (action) {
    case 'deploy-release':
      return { ...connection, site, ...deploy, ...health, 'dry-run': 'true' };
    case 'rollback':
      return { ...connection, site, ...health, reason: 'hostile corpus', 'dry-run': 'true' };
    case 'health-gate':
      return { ...connection, site, ...gate };
    case 'prune-releases':
      return { ...connection, site, keep: '5', 'dry-run': 'true' };
    case 'lifecycle':
      return { ...connection, site, operation: 'status' };
    case 'berth':
      return {
        ...connection,
        site,
        command: 'health',
        ...deploy,
        ...health,
        ...gate,
        operation: 'status',
        keep: '5',
        'dry-run': 'true',
      };
  }
}

interface Ran {
  readonly index: number;
  readonly c: HostileCase;
  readonly inputs: Record<string, string>;
  readonly run: ActionRun;
  readonly problems: string[];
}

function inputsOf(c: HostileCase, index: number): Record<string, string> {
  const inputs = { ...baseline(c.action) };
  for (const [name, value] of Object.entries(c.inputs)) {
    inputs[name] = expand(value, placeholders, index);
  }
  assertSafe(c, inputs, placeholders);
  return inputs;
}

function describeCase(r: Pick<Ran, 'index' | 'c'>): string {
  return `#${r.index} ${r.c.action} ${JSON.stringify(r.c.inputs).slice(0, 160)}`;
}

function log(run: ActionRun): string {
  return `code ${run.code}\n${visibleStdout(run).slice(0, 3000)}\n--- stderr\n${run.stderr.slice(0, 2000)}`;
}

function checkRefused(r: Omit<Ran, 'problems'>): string[] {
  const problems: string[] = [];
  const input = r.c.input as string;
  if (r.run.code !== 1) problems.push(`exit code ${r.run.code}, expected 1`);
  const errors = errorAnnotations(r.run);
  if (errors.length !== 1) problems.push(`${errors.length} ::error annotations, expected 1`);
  const error = errors[0];
  if (
    error &&
    !(error.title === `Berth: input '${input}'` && error.message.startsWith(`Input '${input}': `))
  ) {
    problems.push(
      `::error does not name '${input}': ${error.title} :: ${error.message.slice(0, 300)}`,
    );
  }
  if (/::group::connect/.test(r.run.stdout)) problems.push('it connected before refusing');
  return problems;
}

function checkInert(r: Omit<Ran, 'problems'>): string[] {
  const problems: string[] = [];
  if (r.run.code !== 0 && r.run.code !== 1) problems.push(`exit code ${r.run.code}`);
  if (r.run.code === 1 && errorAnnotations(r.run).length === 0) {
    problems.push('failed without an ::error annotation');
  }
  if (/\n\s+at .+\(.+:\d+:\d+\)/.test(r.run.stderr)) problems.push('stack trace on stderr');
  if (r.c.code !== undefined && r.run.code !== r.c.code) {
    problems.push(`exit code ${r.run.code}, the corpus expects ${r.c.code}`);
  }
  const canary = `/tmp/${canaryName(token, r.index)}`;
  if (existsSync(canary)) problems.push(`canary ${canary} exists`);
  if (existsSync(join(target().home, canaryName(token, r.index))))
    problems.push('home canary exists');
  return problems;
}

async function runCase(c: HostileCase, index: number): Promise<Ran> {
  const inputs = inputsOf(c, index);
  const run = await runAction(c.action, inputs, {
    workspace: ws,
    env: ENV,
    timeoutMs: c.timeoutMs ?? 120_000,
  });
  const base = { index, c, inputs, run };
  const problems = c.expect === 'refused' ? checkRefused(base) : checkInert(base);
  return { ...base, problems };
}

/** Runs `tasks` with at most `limit` in flight, in order of index. */
async function pool<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await (tasks[i] as () => Promise<T>)();
      }
    }),
  );
  return results;
}

/** Files named like a canary anywhere a shell on the runner or the server could have written one. */
function canariesOnDisk(): string[] {
  const roots = ['/tmp', '/var/tmp', target().home, '/root', ws, process.cwd()].filter(existsSync);
  const found = spawnSync(
    'find',
    [...roots, '-xdev', '-maxdepth', '6', '-name', `berth-canary-${token}*`],
    { encoding: 'utf8' },
  ).stdout;
  return found.split('\n').filter((line) => line !== '');
}

const results: Ran[] = [];
let firstRelease = '';

beforeAll(async () => {
  firstRelease = await deployRev({ site, port, workspace: ws }, 'base');
  await waitPastSecond(releaseSecond(firstRelease));
  // A second v1 release, so a rollback has somewhere (still v1) to go.
  const second = await deployRev({ site, port, workspace: ws }, 'base2');
  await waitPastSecond(releaseSecond(second));
  expect((await httpGet(port))?.body).toBe('v1');
  placeholders = {
    site,
    port,
    token,
    decoy,
    release: second,
    knownHosts: target().knownHosts.trim(),
    rsaKey: target().rsaKey,
  };
  mark = markSshdLog();
}, 300_000);

afterAll(() => {
  cleanupSite(site);
  rmSync(siteDir(decoy), { recursive: true, force: true });
  rmSync(`${target().home}/berth-hostile-${token}`, { recursive: true, force: true });
  rmSync(ws, { recursive: true, force: true });
});

describe('hostile inputs: refused naming the input, or inert', () => {
  it(`the corpus covers every action and is large enough`, () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(200);
    const actions = new Set(CORPUS.map((c) => c.action));
    expect([...actions].sort()).toEqual([
      'berth',
      'deploy-release',
      'health-gate',
      'lifecycle',
      'prune-releases',
      'rollback',
    ]);
    for (const c of CORPUS) {
      if (c.expect === 'refused') expect(c.input, JSON.stringify(c)).toBeTruthy();
    }
  });

  it('refused cases fail before connecting, naming their input (4 at a time)', async () => {
    const started = Date.now();
    const refused = CORPUS.map((c, index) => ({ c, index })).filter(
      ({ c }) => c.expect === 'refused' && !c.knownBug,
    );
    const ran = await pool(
      refused.map(
        ({ c, index }) =>
          () =>
            runCase(c, index),
      ),
      4,
    );
    results.push(...ran);
    const failures = ran
      .filter((r) => r.problems.length > 0)
      .map((r) => `${describeCase(r)}\n  ${r.problems.join('\n  ')}\n${log(r.run)}`);
    expect(failures, failures.join('\n\n')).toEqual([]);
    console.log(
      `hostile: ${ran.length} refused cases in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  });

  it('inert cases run nothing they carry (one at a time, against the served site)', async () => {
    const started = Date.now();
    const inert = CORPUS.map((c, index) => ({ c, index })).filter(
      ({ c }) => c.expect === 'inert' && !c.knownBug,
    );
    const failures: string[] = [];
    for (const { c, index } of inert) {
      const r = await runCase(c, index);
      results.push(r);
      // Real deploys of .env text: the release holds exactly what was given.
      if (
        c.action === 'deploy-release' &&
        r.inputs['dry-run'] === 'false' &&
        c.inputs.env &&
        c.code === 0
      ) {
        const id = r.run.outputs['release-id'] ?? '';
        const envFile = `${siteDir(site)}/releases/${id}/.env`;
        if (!existsSync(envFile) || readFileSync(envFile, 'utf8') !== r.inputs.env?.trim()) {
          r.problems.push(`release ${id} .env differs from the env input`);
        }
      }
      if (r.problems.length > 0)
        failures.push(`${describeCase(r)}\n  ${r.problems.join('\n  ')}\n${log(r.run)}`);
      // Deploys must not pile up in one second (release ids carry whole seconds).
      const id = r.run.outputs['release-id'];
      if (id && r.run.outputs.deployed === 'true') await waitPastSecond(releaseSecond(id));
    }
    expect(failures, failures.join('\n\n')).toEqual([]);
    console.log(
      `hostile: ${inert.length} inert cases in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  });

  it('a real rollback records a hostile reason verbatim', () => {
    const rollback = results.find(
      (r) =>
        r.c.action === 'rollback' && r.c.inputs['dry-run'] === 'false' && !r.c.inputs['release-id'],
    );
    expect(rollback).toBeDefined();
    expect(rollback?.run.code, rollback && log(rollback.run)).toBe(0);
    const records = auditRecords(`${siteDir(site)}/audit.log`).filter(
      (a) => a.operation === 'rollback',
    );
    expect(records.map((a) => a.detail)).toContain(rollback?.inputs.reason);
  });

  it('no canary anywhere, no refused value reached the server, the site still serves v1', async () => {
    expect(canariesOnDisk()).toEqual([]);
    // Refused cases never connected: none of their canary paths is in any command sshd ran.
    const commands = commandsSince(mark).join('\n');
    const leaked = results
      .filter((r) => r.c.expect === 'refused')
      .map((r) => canaryName(token, r.index))
      .filter((name) => new RegExp(`${name}(?!\\d)`).test(commands));
    expect(leaked).toEqual([]);
    expect(await httpGet(port)).toEqual({ status: 200, body: 'v1' });
    expect(await httpGet(port, '/health')).toMatchObject({ status: 200 });

    const actions = [...new Set(CORPUS.map((c) => c.action))].sort();
    for (const action of actions) {
      const mine = results.filter((r) => r.c.action === action);
      const refused = mine.filter((r) => r.c.expect === 'refused' && !r.c.knownBug).length;
      const inert = mine.filter((r) => r.c.expect === 'inert' && !r.c.knownBug);
      // Inert cases whose values reached the server: it ran commands for them.
      const reached = inert.filter((r) => /^\$ /m.test(r.run.stdout)).length;
      const bugs = mine.filter((r) => r.c.knownBug).length;
      recordResult(
        'hostile input',
        `${action}: ${mine.length - bugs} cases`,
        `${refused} refused naming the input, ${inert.length} inert (${reached} ran commands on the server); no canary, site still v1`,
        mine.length - bugs,
      );
    }
  });
});
