#!/usr/bin/env node
// npm run bench — Berth against the floor, side by side (issue 8).
//
//   node bench/run.mjs [--quick] [--n=5] [--growth-rounds=N] [--levels=10,100,500] [--readme] [--strict] [--keep]
//   node bench/run.mjs --report [--readme]   (re-print the report of bench/results.json, no measuring)
//   --out=<file> writes (or with --report reads) another results file instead of bench/results.json
//
// Expects the test target to be up (`npm run bench` runs test/e2e/target/up.sh
// first). Every figure is a median over runs that alternate with the runs they
// are compared with, because the machine is shared and noisy; ratios are what
// to read, not absolute times. Writes bench/results.json; --readme also
// replaces the README section between the performance markers. Exits non-zero
// only when something actually broke (a deploy failed, a rollback did not
// restore, the floor could not switch), or with --strict when a target is missed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bundleOf, runAction, runWatched, snapshotBundles } from './lib/action.mjs';
import { aggregateBreakdown } from './lib/breakdown.mjs';
import { bundleSizes, machineInfo, removeBenchSite, removeStaleBenchSites } from './lib/env.mjs';
import { floorSwitch, sshArgv } from './lib/floor.mjs';
import { httpGet, Poller, startProxy } from './lib/net.mjs';
import { buildReport, printReport, writeReadme } from './lib/report.mjs';
import { ensureSynthetic } from './lib/synthetic.mjs';
import { freePorts, knownHostsForPort, readTarget, ROOT } from './lib/target.mjs';

// ------------------------------------------------------------------ options
const args = new Map(
  process.argv.slice(2).map((a) => {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    if (!m) {
      console.error(`unknown argument ${a}`);
      process.exit(2);
    }
    return [m[1], m[2] ?? true];
  }),
);
const known = new Set([
  'quick',
  'n',
  'growth-rounds',
  'readme',
  'strict',
  'keep',
  'levels',
  'report',
  'out',
]);
for (const k of args.keys()) {
  if (!known.has(k)) {
    console.error(`unknown option --${k} (known: ${[...known].map((x) => `--${x}`).join(' ')})`);
    process.exit(2);
  }
}
const QUICK = args.has('quick');
const N = Math.max(1, Number(args.get('n') ?? (QUICK ? 1 : 5)));
const LEVELS = args.has('levels')
  ? String(args.get('levels')).split(',').map(Number)
  : QUICK
    ? [10, 100]
    : [10, 100, 500];
const GROWTH_ROUNDS = Math.max(1, Number(args.get('growth-rounds') ?? N));
const BROKEN_RUNS = N;

const OUT = args.has('out')
  ? resolve(String(args.get('out')))
  : join(ROOT, 'bench', 'results.json');

// --report: no measuring; print (and with --readme write) the report of bench/results.json again.
if (args.has('report')) {
  const saved = JSON.parse(readFileSync(OUT, 'utf8'));
  const again = buildReport(saved, { quick: saved.mode === 'quick', levels: saved.options.levels });
  printReport(again, saved);
  if (args.has('readme')) writeReadme(join(ROOT, 'README.md'), again, saved);
  process.exit(0);
}

// ------------------------------------------------------------------ setup
const T_START = performance.now();
const log = (msg) =>
  console.error(`[bench +${((performance.now() - T_START) / 1000).toFixed(1)}s] ${msg}`);
const broken = [];
/** Records something that actually broke (not a missed target). */
function broke(what, detail) {
  const line = `${what}: ${String(detail ?? '').slice(0, 1500)}`;
  broken.push(line);
  log(`BROKEN ${line}`);
}

const target = readTarget();
const tag = `bench-${process.pid}`;
const SITES = {
  floor: `${tag}-floor`,
  deploy: `${tag}-deploy`,
  cold: `${tag}-cold`,
  growth: `${tag}-growth`,
};
const [PORT_FLOOR, PORT_DEPLOY, PORT_COLD, PORT_GROWTH] = await freePorts(4);

const composeText = (image, port) =>
  [
    'services:',
    '  web:',
    `    image: "berth-fixture/web:${image}"`,
    '    network_mode: host',
    '    environment:',
    `      PORT: "${port}"`,
    '',
  ].join('\n');

const ACTIONS = [
  'deploy-release',
  'rollback',
  'lifecycle',
  'prune-releases',
  'health-gate',
  'berth',
];
const distSnapshot = mkdtempSync(join(tmpdir(), 'berth-bench-dist-'));
function gitInfo() {
  const git = (...a) => {
    try {
      return execFileSync('git', a, {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    } catch {
      return null;
    }
  };
  return {
    head: git('rev-parse', 'HEAD'),
    changedFiles: (git('status', '--porcelain', '--', 'src', 'dist') ?? '')
      .split('\n')
      .filter(Boolean).length,
  };
}

const workspaces = new Map();
function workspaceFor(site, image, port) {
  if (!workspaces.has(site)) workspaces.set(site, mkdtempSync(join(tmpdir(), `berth-bench-ws-`)));
  const ws = workspaces.get(site);
  writeFileSync(join(ws, 'compose.yml'), composeText(image, port));
  return ws;
}

const connection = (port = target.port, knownHosts = target.knownHosts) => ({
  host: target.host,
  port: String(port),
  username: target.user,
  'private-key': target.privateKey,
  'known-hosts': knownHosts,
  'compose-command': 'docker compose',
});

/** The first poll sample at which `version` answers, in ms since spawn (null if never). */
const servingAt = (samples, version) =>
  samples.find((s) => s.status === 200 && s.body === version)?.t ?? null;

/** Health probes the `health` phase made (`attempt N at …` lines inside its log group). */
function healthProbes(stdout) {
  let inHealth = false;
  let count = 0;
  for (const line of stdout.split('\n')) {
    if (line === '::group::health') inHealth = true;
    else if (inHealth && /^health: \d+ ms$/.test(line)) inHealth = false;
    else if (inHealth && /^attempt \d+ at /.test(line)) count++;
  }
  return count;
}

/** What every Berth run records, whatever the action. */
function runRecord(run, extra = {}) {
  return {
    action: run.action,
    code: run.code,
    exitMs: run.exitMs,
    hwmKiB: run.hwmKiB,
    memSamples: run.memSamples,
    connections: run.connections,
    logins: run.log.logins,
    execSessions: run.log.execSessions,
    sftpSessions: run.log.sftpSessions,
    enteringCommands: run.log.enteringCommands,
    phases: run.parsed.phases.map((p) => ({
      phase: p.phase,
      ms: p.ms,
      commands: p.commands.length,
    })),
    commands: [...run.parsed.phases.flatMap((p) => p.commands), ...run.parsed.outside].map((c) => ({
      command: c.command.split('\n')[0].slice(0, 160),
      ms: c.ms,
    })),
    errors: run.errors.map((e) => e.slice(0, 500)),
    timeline: run.timeline,
    ...extra,
  };
}

/** Runs a deploy of `image` to `site` with a /version poller from process start. */
async function deploy(site, port, image, { extraInputs = {}, proxy } = {}) {
  const ws = workspaceFor(site, image, port);
  let poller;
  const inputs = {
    ...(proxy ? connection(proxy.port, proxy.knownHosts) : connection()),
    site,
    'compose-file': 'compose.yml',
    pull: 'false',
    'health-url': `http://127.0.0.1:${port}/health`,
    ...extraInputs,
  };
  let t0 = null;
  const run = await runAction(target, 'deploy-release', inputs, {
    workspace: ws,
    onSpawn: (t) => {
      t0 = t;
      poller = new Poller(port, '/version', t);
    },
    ...(proxy
      ? {
          watchPort: proxy.port,
          clientPorts: () =>
            proxy.server
              .since(t0)
              .map((c) => c.upstreamPort)
              .filter(Boolean),
        }
      : {}),
  });
  await poller.stop();
  return { run, samples: poller.samples, t0 };
}

async function rollbackTo(site, port, releaseId) {
  let poller;
  const run = await runAction(
    target,
    'rollback',
    {
      ...connection(),
      site,
      'release-id': releaseId,
      'health-url': `http://127.0.0.1:${port}/health`,
    },
    { onSpawn: (t) => (poller = new Poller(port, '/version', t)) },
  );
  await poller.stop();
  return { run, samples: poller.samples };
}

const floorDir = `berth/${SITES.floor}`;
const floor = (image) =>
  floorSwitch(target, {
    dir: floorDir,
    project: SITES.floor,
    compose: composeText(image, PORT_FLOOR),
    port: PORT_FLOOR,
    expectVersion: image,
  });

const other = (image) => (image === 'v1' ? 'v2' : 'v1');
const results = {
  date: null,
  mode: QUICK ? 'quick' : 'full',
  options: { n: N, levels: LEVELS, growthRounds: GROWTH_ROUNDS, brokenRuns: BROKEN_RUNS },
  machine: null,
  sites: SITES,
  ports: { floor: PORT_FLOOR, deploy: PORT_DEPLOY, cold: PORT_COLD, growth: PORT_GROWTH },
  bundles: null,
  deployPairs: [],
  rollbackPairs: [],
  broken: [],
  cold: [],
  memoryCheck: null,
  growth: [],
  broke: broken,
};

let cleanedUp = false;
async function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const site of Object.values(SITES)) {
    try {
      const r = await removeBenchSite(target, site, { keepFiles: args.has('keep') });
      if (r.containers || r.tags)
        log(`cleanup ${site}: ${r.containers} container(s), ${r.tags} tag(s)`);
    } catch (error) {
      log(`cleanup of ${site} failed: ${error.message}`);
    }
  }
  for (const ws of workspaces.values()) rmSync(ws, { recursive: true, force: true });
  rmSync(distSnapshot, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    log(`${signal}: cleaning up`);
    cleanup().finally(() => process.exit(130));
  });
}

// ------------------------------------------------------------------ series
async function deploySeries() {
  log(`deploy-release vs floor: warm-up, then ${N} alternating pairs (v1 <-> v2)`);
  const f0 = await floor('v1');
  if (!f0.ok) broke('floor warm-up', f0.error);
  const d0 = await deploy(SITES.deploy, PORT_DEPLOY, 'v1');
  if (d0.run.code !== 0)
    broke('deploy warm-up', d0.run.errors.join(' ') || d0.run.stderr.slice(-800));
  const deploys = [];
  const releases = { v1: d0.run.outputs['release-id'] };
  for (let i = 0; i < N; i++) {
    const image = i % 2 === 0 ? 'v2' : 'v1';
    const order = i % 2 === 0 ? ['floor', 'berth'] : ['berth', 'floor'];
    const pair = { pair: i + 1, image, order: order.join(' then ') };
    for (const which of order) {
      if (which === 'floor') {
        const f = await floor(image);
        if (!f.ok) broke(`floor switch to ${image}`, f.error);
        pair.floor = f;
      } else {
        const { run, samples } = await deploy(SITES.deploy, PORT_DEPLOY, image);
        const ok =
          run.code === 0 &&
          run.outputs.deployed === 'true' &&
          run.outputs['health-status'] === 'healthy';
        if (!ok)
          broke(
            `deploy of ${image}`,
            run.errors.join(' ') || `exit ${run.code}; ${run.stderr.slice(-800)}`,
          );
        releases[image] = run.outputs['release-id'];
        deploys.push(run);
        pair.deploy = runRecord(run, {
          servingMs: servingAt(samples, image),
          healthAttempts: healthProbes(run.stdout),
          releaseId: run.outputs['release-id'],
        });
      }
    }
    log(
      `  pair ${i + 1}/${N} -> ${image}: floor ${fmt(pair.floor?.healthyMs)}, deploy exit ${fmt(pair.deploy?.exitMs)} (serving ${fmt(pair.deploy?.servingMs)})`,
    );
    results.deployPairs.push(pair);
  }
  results.deployBreakdown = aggregateBreakdown(deploys);
  const current = N % 2 === 1 ? 'v2' : 'v1';
  return { releases, current, currentRelease: releases[current] };
}

async function rollbackSeries(state) {
  log(`rollback vs one floor switch: ${N} alternating pairs`);
  let current = state.current;
  const runs = [];
  for (let j = 0; j < N; j++) {
    const to = other(current);
    const releaseId = state.releases[to];
    const order = j % 2 === 0 ? ['berth', 'floor'] : ['floor', 'berth'];
    const pair = { pair: j + 1, image: to, releaseId, order: order.join(' then ') };
    for (const which of order) {
      if (which === 'floor') {
        const f = await floor(to);
        if (!f.ok) broke(`floor switch to ${to}`, f.error);
        pair.floor = f;
      } else {
        const { run, samples } = await rollbackTo(SITES.deploy, PORT_DEPLOY, releaseId);
        if (
          run.code !== 0 ||
          run.outputs.success !== 'true' ||
          run.outputs['to-release'] !== releaseId
        ) {
          broke(
            `rollback to ${releaseId}`,
            run.outputs.message || run.errors.join(' ') || run.stderr.slice(-800),
          );
        }
        runs.push(run);
        pair.rollback = runRecord(run, { servingMs: servingAt(samples, to) });
      }
    }
    current = to;
    log(
      `  pair ${j + 1}/${N} -> ${to}: floor ${fmt(pair.floor?.healthyMs)}, rollback exit ${fmt(pair.rollback?.exitMs)}`,
    );
    results.rollbackPairs.push(pair);
  }
  results.rollbackBreakdown = aggregateBreakdown(runs);
}

async function brokenSeries(state) {
  log(`broken release (health-timeout 10): ${BROKEN_RUNS} run(s)`);
  for (let k = 0; k < BROKEN_RUNS; k++) {
    const old = state.current;
    const { run, samples } = await deploy(SITES.deploy, PORT_DEPLOY, 'broken', {
      extraInputs: { 'health-timeout': '10' },
    });
    const replacedIdx = samples.findIndex((s) => s.body !== old);
    const oldAgain =
      replacedIdx < 0
        ? null
        : samples.slice(replacedIdx).find((s) => s.status === 200 && s.body === old);
    const finalVersion = (await httpGet(PORT_DEPLOY, '/version'))?.body ?? null;
    const rolledBack =
      run.outputs['rolled-back'] === 'true' &&
      run.outputs['current-release-id'] === state.currentRelease;
    if (run.code === 0) broke('broken release', 'the step succeeded; it must fail');
    if (!rolledBack || finalVersion !== old) {
      broke(
        'broken release',
        `rolled-back=${run.outputs['rolled-back']} current=${run.outputs['current-release-id']} (expected ${state.currentRelease}), serving ${finalVersion}`,
      );
    }
    const record = runRecord(run, {
      old,
      lastOldMs: replacedIdx > 0 ? samples[replacedIdx - 1].t : null,
      replacedMs: replacedIdx >= 0 ? samples[replacedIdx].t : null,
      sawBrokenServing: samples.some((s) => s.body === 'broken'),
      oldServingAgainMs: oldAgain?.t ?? null,
      stepFinishedMs: run.exitMs,
      rolledBack,
      finalVersion,
      healthAttempts: healthProbes(run.stdout),
    });
    results.broken.push(record);
    if (k === 0) results.brokenBreakdown = aggregateBreakdown([run]);
    log(
      `  run ${k + 1}: old ${old} serving again ${fmt(record.oldServingAgainMs)}, step finished ${fmt(record.stepFinishedMs)} (exit ${run.code})`,
    );
  }
}

async function coldSeries() {
  const server = await startProxy(target.host, target.port);
  const knownHosts = knownHostsForPort(target, server.port);
  const proxy = { port: server.port, knownHosts, server };
  const khDir = mkdtempSync(join(tmpdir(), 'berth-bench-kh-'));
  const khFile = join(khDir, 'known_hosts');
  writeFileSync(khFile, knownHosts + '\n');
  try {
    log(`cold start through a proxy on 127.0.0.1:${server.port}: warm-up, then ${N} rounds`);
    const w = await deploy(SITES.cold, PORT_COLD, 'v1', { proxy });
    if (w.run.code !== 0)
      broke('cold-site warm-up deploy', w.run.errors.join(' ') || w.run.stderr.slice(-800));
    let image = 'v1';
    for (let k = 0; k < N; k++) {
      const round = { round: k + 1 };
      const steps = ['node', 'ssh', 'deploy'];
      for (let s = 0; s < k % 3; s++) steps.push(steps.shift());
      for (const step of steps) {
        if (step === 'node') {
          const r = await runWatched([target.node24, '-e', '0']);
          round.nodeBareExitMs = r.exitMs;
        } else if (step === 'ssh') {
          const r = await runWatched([...sshArgv(target, server.port, khFile), 'true']);
          const conns = server.since(r.t0);
          if (r.code !== 0) broke('OpenSSH reference through the proxy', r.stderr.slice(-500));
          round.sshFirstByteMs = conns[0]?.firstByteAt ? conns[0].firstByteAt - r.t0 : null;
          round.sshExitMs = r.exitMs;
        } else {
          image = other(image);
          const { run, t0 } = await deploy(SITES.cold, PORT_COLD, image, { proxy });
          if (run.code !== 0 || run.outputs['health-status'] !== 'healthy') {
            broke(`cold-site deploy of ${image}`, run.errors.join(' ') || run.stderr.slice(-800));
          }
          const conns = server.since(t0);
          round.deploy = runRecord(run, {
            firstByteMs: conns[0]?.firstByteAt ? conns[0].firstByteAt - t0 : null,
            acceptMs: conns[0] ? conns[0].acceptedAt - t0 : null,
            proxyConnections: conns.length,
          });
        }
      }
      log(
        `  round ${k + 1}/${N}: deploy first byte ${fmt(round.deploy?.firstByteMs)}, ssh ${fmt(round.sshFirstByteMs)}, node -e 0 ${fmt(round.nodeBareExitMs)}`,
      );
      results.cold.push(round);
    }
  } finally {
    await server.close();
    rmSync(khDir, { recursive: true, force: true });
  }
}

/** VmHWM polling vs the kernel's own peak (wait4 ru_maxrss via GNU time), same process. */
async function memoryCheck() {
  let hasTime = true;
  try {
    execFileSync('/usr/bin/time', ['-f', '%M', 'true'], { stdio: 'ignore' });
  } catch {
    hasTime = false;
  }
  if (!hasTime) {
    results.memoryCheck = { skipped: '/usr/bin/time (GNU time) not available' };
    return;
  }
  log('memory method check: VmHWM polling vs GNU time %M on a dry-run deploy');
  const ws = workspaceFor(SITES.deploy, 'v1', PORT_DEPLOY);
  const run = await runAction(
    target,
    'deploy-release',
    {
      ...connection(),
      site: SITES.deploy,
      'compose-file': 'compose.yml',
      pull: 'false',
      'dry-run': 'true',
      'health-url': `http://127.0.0.1:${PORT_DEPLOY}/health`,
    },
    { workspace: ws, wrap: ['/usr/bin/time', '-f', 'BENCH_MAXRSS_KIB=%M'] },
  );
  const m = /BENCH_MAXRSS_KIB=(\d+)/.exec(run.stderr);
  results.memoryCheck = {
    polledVmHWMKiB: run.hwmKiB,
    kernelMaxRssKiB: m ? Number(m[1]) : null,
    samples: run.memSamples,
    code: run.code,
  };
  if (run.code !== 0)
    broke('dry-run deploy (memory check)', run.errors.join(' ') || run.stderr.slice(-500));
}

async function growthSeries() {
  log(
    `growth: list-releases, rollback, prune-releases at ${LEVELS.join('/')} releases, ${GROWTH_ROUNDS} round(s)`,
  );
  const site = SITES.growth;
  const a = await deploy(site, PORT_GROWTH, 'v1');
  const b = await deploy(site, PORT_GROWTH, 'v2');
  if (a.run.code !== 0 || b.run.code !== 0) {
    broke(
      'growth-site deploys',
      [...a.run.errors, ...b.run.errors].join(' ') || b.run.stderr.slice(-800),
    );
    return;
  }
  const real = { v1: a.run.outputs['release-id'], v2: b.run.outputs['release-id'] };
  const raw = { list: new Map(), rollback: new Map(), prune: new Map() };
  const keep = (op, level, run) => {
    if (!raw[op].has(level)) raw[op].set(level, []);
    raw[op].get(level).push(run);
  };
  let current = 'v2';
  const releasesDir = join(target.home, 'berth', site, 'releases');
  for (let r = 0; r < GROWTH_ROUNDS; r++) {
    const levels = LEVELS.map((_, i) => LEVELS[(i + r) % LEVELS.length]);
    for (const level of levels) {
      const rec = { round: r + 1, releases: level };
      const s0 = performance.now();
      const setup = await ensureSynthetic(releasesDir, real.v1, level - 2);
      rec.setup = { ...setup, ms: performance.now() - s0 };
      if (setup.tagFailures)
        log(`  warning: ${setup.tagFailures} synthetic tag(s) could not be created`);

      const list = await runAction(target, 'lifecycle', {
        ...connection(),
        site,
        operation: 'list-releases',
      });
      let listed = null;
      try {
        listed = JSON.parse(list.outputs.releases ?? 'null')?.length ?? null;
      } catch {
        listed = null;
      }
      if (list.code !== 0 || listed !== level)
        broke(
          `list-releases with ${level}`,
          `exit ${list.code}, listed ${listed}; ${list.errors.join(' ')}`,
        );
      rec.list = runRecord(list, { listed });
      keep('list', level, list);

      const to = other(current);
      const rb = await rollbackTo(site, PORT_GROWTH, real[to]);
      if (rb.run.code !== 0 || rb.run.outputs.success !== 'true') {
        broke(`rollback with ${level} releases`, rb.run.outputs.message || rb.run.errors.join(' '));
      } else current = to;
      rec.rollback = runRecord(rb.run, { servingMs: servingAt(rb.samples, to) });
      keep('rollback', level, rb.run);

      const prune = await runAction(target, 'prune-releases', { ...connection(), site });
      const prunedList =
        (prune.outputs['pruned-releases'] ?? '').match(/rel_\d{10}_[a-f0-9]{8}/g) ?? [];
      if (prune.code !== 0 || prunedList.length !== level - 5) {
        broke(
          `prune-releases with ${level}`,
          `exit ${prune.code}, pruned ${prunedList.length} (expected ${level - 5}); ${prune.errors.join(' ')}`,
        );
      }
      rec.prune = runRecord(prune, { pruned: prunedList.length });
      keep('prune', level, prune);
      log(
        `  ${level} releases: list ${fmt(list.exitMs)} (${list.log.execSessions} cmds), rollback ${fmt(rb.run.exitMs)} (${rb.run.log.execSessions}), prune ${fmt(prune.exitMs)} (${prune.log.execSessions})`,
      );
      results.growth.push(rec);
    }
  }
  await ensureSynthetic(releasesDir, real.v1, 0);
  results.growthBreakdown = Object.fromEntries(
    Object.entries(raw).map(([op, byLevel]) => [
      op,
      Object.fromEntries([...byLevel].map(([level, runs]) => [level, aggregateBreakdown(runs)])),
    ]),
  );
}

const fmt = (ms) => (ms === null || ms === undefined ? '—' : `${Math.round(ms)} ms`);

// ------------------------------------------------------------------ main
let exitCode = 0;
try {
  const stale = await removeStaleBenchSites(target);
  if (stale.length) log(`removed sites of earlier interrupted runs: ${stale.join(', ')}`);
  results.machine = machineInfo(target);
  results.date = results.machine.date;
  results.git = gitInfo();
  log('snapshotting dist/ (waits while another process is rebuilding it)');
  results.bundleSnapshot = await snapshotBundles(ACTIONS, distSnapshot);
  results.bundles = bundleSizes(ACTIONS);
  log(
    `${QUICK ? 'quick' : 'full'} run: N=${N}, growth ${LEVELS.join('/')} x${GROWTH_ROUNDS}; ${results.machine.nproc} CPU(s), load ${results.machine.loadAverage.join(' ')}; ports ${PORT_FLOOR}/${PORT_DEPLOY}/${PORT_COLD}/${PORT_GROWTH}; bundle ${bundleOf('deploy-release').replace(ROOT, '')}`,
  );
  const state = await deploySeries();
  // Broken releases while the current release is the newest healthy one: auto-rollback restores
  // the newest healthy release older than the failed one, which is then the one that was serving.
  await brokenSeries(state);
  await rollbackSeries(state);
  await coldSeries();
  await memoryCheck();
  await growthSeries();
} catch (error) {
  broke('bench', error.stack ?? error.message);
} finally {
  await cleanup();
}
results.machine.loadAverageAtEnd = (await import('node:os'))
  .loadavg()
  .map((x) => Math.round(x * 100) / 100);
results.durationS = Math.round((performance.now() - T_START) / 1000);
const report = buildReport(results, { quick: QUICK, levels: LEVELS });
results.summary = report.rows;
results.breakdownTable = report.breakdownText;
writeFileSync(OUT, JSON.stringify(results, null, 2) + '\n');
printReport(report, results);
if (args.has('readme')) {
  writeReadme(join(ROOT, 'README.md'), report, results);
  log('README.md performance section updated');
}
if (broken.length > 0) {
  console.error(`\n${broken.length} thing(s) broke:\n  - ${broken.join('\n  - ')}`);
  exitCode = 1;
} else if (args.has('strict') && report.rows.some((r) => r.pass === false)) {
  exitCode = 1;
}
log(`wrote ${OUT.replace(ROOT, '')} (${results.durationS} s)`);
process.exit(exitCode);
