import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorAnnotations, removeReleaseTags, siteDir } from './support/deploy-site.js';
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
  createDeadHost,
  probeTcp,
  startFreezableProxy,
  startSilentServer,
  type DeadHost,
} from './support/netfault-net.js';
import { recordResult } from './support/results.js';
import { explain, sleep } from './support/rollback-site.js';
import { runAction, type ActionRun } from './support/run-action.js';
import { connectionInputs, target } from './support/target.js';

const SECTION = '5. Dead and slow connections';
const sites: string[] = [];
const workspaces: string[] = [];
let deadHost: DeadHost | undefined;

beforeAll(() => {
  deadHost = createDeadHost();
});

afterAll(() => {
  deadHost?.remove();
  for (const site of sites) {
    removeProject(site.toLowerCase());
    removeReleaseTags(site.toLowerCase());
    rmSync(siteDir(site), { recursive: true, force: true });
  }
  for (const ws of workspaces) rmSync(ws, { recursive: true, force: true });
});

function newSite(prefix: string): { site: string; port: number; ws: string } {
  const site = uniqueSite(prefix);
  sites.push(site);
  const ws = makeWorkspace({ 'compose.yml': webCompose({ envFile: null }) });
  workspaces.push(ws);
  return { site, port: freePort(), ws };
}

function deployInputs(
  s: { site: string; port: number },
  rev: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...connectionInputs(),
    site: s.site,
    'compose-file': 'compose.yml',
    env: `WEB_PORT=${s.port}\nWEB_TAG=v1\nREV=${rev}\n`,
    pull: 'false',
    'keep-releases': '0',
    'health-url': `http://127.0.0.1:${s.port}/health`,
    'health-backoff': '0.2',
    'health-timeout': '30',
    ...extra,
  };
}

/** Inputs that reach `host:port` with the test target's host key pinned by fingerprint. */
function via(host: string, port: number): Record<string, string> {
  return { host, port: String(port), 'known-hosts': '', 'host-fingerprint': target().fingerprint };
}

/** Milliseconds a phase took, from the `<phase>: N ms` line the action logs. */
function phaseMs(run: ActionRun, phase: string): number {
  const match = new RegExp(`^${phase}: (\\d+) ms$`, 'm').exec(run.stdout);
  if (!match) throw new Error(`no '${phase}' timing in the log:\n${explain(run)}`);
  return Number(match[1]);
}

/** Ids of the running containers of `project` whose command is `sleep 30`. */
function sleepContainers(project: string): string[] {
  return docker(
    'ps',
    '--filter',
    `label=com.docker.compose.project=${project}`,
    '--format',
    '{{.ID}} {{.Command}}',
  )
    .split('\n')
    .filter((line) => line.includes('sleep 30'))
    .map((line) => line.split(' ')[0] as string);
}

/** True while some process holds the site's flock (tested as root with a non-blocking flock). */
function lockHeld(site: string): boolean {
  const probe = spawnSync('flock', ['-n', `${siteDir(site)}/.lock`, 'true']);
  return probe.status !== 0;
}

const BEFORE_UP_SLEEP = JSON.stringify([['run', '--rm', 'web', 'sleep', '30']]);
/** The before-up command as an error names it (Berth may add options of its own after `run`). */
const RUN_SLEEP = / run (?:\S+ )*--rm web sleep 30\b/;

describe('dead and slow connections', () => {
  // connect-timeout 2 s and connect-retries 1: two attempts of at most 2 s each.
  const CONNECT_TIMEOUT_S = 2;
  const RETRIES = 1;
  const BUDGET_MS = (RETRIES + 1) * CONNECT_TIMEOUT_S * 1000;

  function expectConnectTimeout(run: ActionRun, where: string): void {
    expect(run.code, explain(run)).toBe(1);
    const errors = errorAnnotations(run);
    expect(errors, explain(run)).toHaveLength(1);
    expect(errors[0]?.message).toContain(`Could not connect to ${target().user}@${where}`);
    expect(errors[0]?.message).toMatch(/timed out/i);
    expect(errors[0]?.message).toContain(`(input 'connect-timeout' ${CONNECT_TIMEOUT_S}s)`);
    expect(errors[0]?.title).toBe('Berth: connect failed');
    // Both attempts were made, each cut off by the connect timeout and not sooner.
    expect(run.stdout.match(/failed \(Timed out while waiting for handshake\); retrying/g)).toEqual(
      [expect.any(String)],
    );
    const connectMs = phaseMs(run, 'connect');
    expect(connectMs).toBeGreaterThanOrEqual(BUDGET_MS - 100);
    expect(connectMs).toBeLessThan(BUDGET_MS + 1500);
    // The whole step, Node start-up and post included, on a loaded machine.
    expect(run.durationMs).toBeLessThan(BUDGET_MS + 8000);
  }

  it('an unreachable host (SYN unanswered) fails within the connect timeout', async () => {
    const host = deadHost as DeadHost;
    // Reachable first (nothing listens: refused), so the silence below is the fault alone.
    expect(await probeTcp(host.address, 22, 3000)).toBe('ECONNREFUSED');
    host.cutOff();
    expect(await probeTcp(host.address, 22, 1500)).toBe('no answer');
    const s = newSite('rel-conn-dead');
    const run = await runAction(
      'deploy-release',
      deployInputs(s, '1', {
        ...via(host.address, 22),
        'connect-timeout': String(CONNECT_TIMEOUT_S),
        'connect-retries': String(RETRIES),
      }),
      { workspace: s.ws, timeoutMs: 60_000 },
    );
    expectConnectTimeout(run, `${host.address}:22`);
    recordResult(SECTION, 'unreachable host (SYN unanswered, own netns)', 'passed');
  });

  it('a host that accepts TCP but never speaks SSH fails within the connect timeout', async () => {
    const server = await startSilentServer();
    try {
      const s = newSite('rel-conn-silent');
      const run = await runAction(
        'deploy-release',
        deployInputs(s, '1', {
          ...via('127.0.0.1', server.port),
          'connect-timeout': String(CONNECT_TIMEOUT_S),
          'connect-retries': String(RETRIES),
        }),
        { workspace: s.ws, timeoutMs: 60_000 },
      );
      expectConnectTimeout(run, `127.0.0.1:${server.port}`);
      expect(server.accepted()).toBe(RETRIES + 1);
      recordResult(SECTION, 'TCP accepted, no SSH banner', 'passed');
    } finally {
      await server.close();
    }
  });

  it('a connection that goes silent mid-command is detected by keepalives; the lock frees', async () => {
    const s = newSite('rel-conn-frozen');
    const project = s.site.toLowerCase();
    const first = await runAction('deploy-release', deployInputs(s, '1'), { workspace: s.ws });
    expect(first.code, explain(first)).toBe(0);
    expect(await httpGet(s.port)).toEqual({ status: 200, body: 'v1' });

    const proxy = await startFreezableProxy(target().port);
    try {
      // connect-timeout 3: keepalive every 1 s, three unanswered ones end the connection.
      const running = runAction(
        'deploy-release',
        deployInputs(s, '2', {
          ...via('127.0.0.1', proxy.port),
          'connect-timeout': '3',
          'before-up': BEFORE_UP_SLEEP,
        }),
        { workspace: s.ws, timeoutMs: 120_000 },
      );
      let finished = false;
      void running.then(() => (finished = true));
      // Freeze the link once the `sleep 30` container of before-up runs.
      const deadline = Date.now() + 90_000;
      while (!finished && Date.now() < deadline && sleepContainers(project).length === 0) {
        await sleep(200);
      }
      expect(finished, 'the deploy ended before before-up started').toBe(false);
      proxy.freeze();
      const run = await running;
      const endedAt = Date.now();
      const frozenAt = proxy.frozenAt() as number;
      // Detected well before the 30 s command would have ended: it still runs on the server.
      expect(endedAt - frozenAt, explain(run)).toBeLessThan(15_000);
      expect(sleepContainers(project), 'before-up still running on the server').toHaveLength(1);
      expect(run.code, explain(run)).toBe(1);
      const errors = errorAnnotations(run);
      expect(errors, explain(run)).toHaveLength(1);
      expect(errors[0]?.message).toMatch(
        new RegExp(`SSH connection to ${target().user}@127\\.0\\.0\\.1:${proxy.port} failed`),
      );
      expect(errors[0]?.message).toMatch(/keepalive/i);
      expect(errors[0]?.message).toMatch(RUN_SLEEP);
      expect(proxy.clientClosed()).toBe(true);
      // The old release kept serving: before-up failed before `up`.
      expect(await httpGet(s.port)).toEqual({ status: 200, body: 'v1' });
      // The server never saw the connection close: the lock holder still holds the lock ...
      expect(lockHeld(s.site)).toBe(true);

      // ... until its watchdog misses the heartbeats (`read -t 60`), then the next deploy gets it.
      const next = await runAction(
        'deploy-release',
        deployInputs(s, '3', { 'lock-timeout': '75' }),
        { workspace: s.ws, timeoutMs: 170_000 },
      );
      expect(next.code, explain(next)).toBe(0);
      expect(next.outputs['health-status']).toBe('healthy');
      expect(await httpGet(s.port)).toEqual({ status: 200, body: 'v1' });
      const freedAfter = Date.now() - next.durationMs + phaseMs(next, 'lock') - frozenAt;
      expect(freedAfter).toBeLessThan(60_000 + 15_000);
      recordResult(
        SECTION,
        'silent mid-command: keepalive detects it; watchdog frees the lock',
        'passed',
      );
    } finally {
      await proxy.close();
    }
  });

  it('command-timeout ends a hanging remote command and names it; nothing is left running', async () => {
    const s = newSite('rel-conn-cmdto');
    const project = s.site.toLowerCase();
    const first = await runAction('deploy-release', deployInputs(s, '1'), { workspace: s.ws });
    expect(first.code, explain(first)).toBe(0);

    const run = await runAction(
      'deploy-release',
      deployInputs(s, '2', { 'command-timeout': '3', 'before-up': BEFORE_UP_SLEEP }),
      { workspace: s.ws, timeoutMs: 120_000 },
    );
    expect(run.code, explain(run)).toBe(1);
    expect(run.durationMs).toBeLessThan(30_000);
    const errors = errorAnnotations(run);
    expect(errors, explain(run)).toHaveLength(1);
    expect(errors[0]?.title).toBe('Berth: before-up failed');
    expect(errors[0]?.message).toMatch(RUN_SLEEP);
    expect(errors[0]?.message).toContain("timed out after 3s (input 'command-timeout')");
    expect(await httpGet(s.port)).toEqual({ status: 200, body: 'v1' });
    expect(lockHeld(s.site)).toBe(false);
    recordResult(SECTION, 'command-timeout ends a hanging before-up, names it', 'passed');

    // The `compose run` container goes too, within a few seconds (`timeout --kill-after=10`
    // ends the compose client at the latest, and Berth removes what it started).
    const deadline = Date.now() + 15_000;
    while (sleepContainers(project).length > 0 && Date.now() < deadline) await sleep(500);
    expect(sleepContainers(project), 'the timed-out before-up container still runs').toEqual([]);
    recordResult(SECTION, 'command-timeout: no before-up container left running', 'passed');
  });
});
