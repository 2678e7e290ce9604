// Runs an action's dist bundle the way the GitHub Actions runner does (as in
// test/e2e/support/run-action.ts): every input as INPUT_<NAME> with the
// action.yml defaults filled in, the GITHUB_* files, main then post, under
// Node 24; and watches the process (memory, SSH connections, sshd log lines).
import { spawn } from 'node:child_process';
import { clearTimeout, setTimeout } from 'node:timers';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse } from 'yaml';
import { parseRun } from './breakdown.mjs';
import { ProcessMonitor } from './monitor.mjs';
import { attribute, logSize, readFrom } from './sshd-log.mjs';
import { ROOT } from './target.mjs';

const definitions = new Map();

function actionYamlPath(action) {
  return action === 'berth'
    ? join(ROOT, 'action.yml')
    : join(ROOT, 'actions', action, 'action.yml');
}

function definitionOf(action) {
  if (!definitions.has(action)) {
    const path = actionYamlPath(action);
    definitions.set(action, { path, yaml: parse(readFileSync(path, 'utf8')) });
  }
  return definitions.get(action);
}

/** The bundle an action's action.yml names (`runs.main`), absolute, in the working tree. */
export function repoBundleOf(action) {
  const { path, yaml } = definitionOf(action);
  return join(dirname(path), yaml.runs.main);
}

const snapshots = new Map();

/**
 * The bundle a run uses: a copy of dist/<action>/ taken once at start (see
 * snapshotBundles), so that a rebuild of dist/ during the run (other sessions
 * share this working tree) can neither break a run nor mix two builds.
 */
export function bundleOf(action) {
  return snapshots.get(action) ?? repoBundleOf(action);
}

/**
 * Copies dist/<action>/ of each action into `into`, each once it is complete
 * (index.js present) and unchanged for `quietMs` before and during the copy
 * (waits up to `waitMs` per action: other sessions rebuild dist/ now and then).
 * Returns per action the sha256 of index.js and its modification time.
 */
export async function snapshotBundles(actions, into, { quietMs = 1500, waitMs = 300_000 } = {}) {
  const stamp = (dir) => {
    try {
      return readdirSync(dir, { recursive: true })
        .map((f) => {
          const st = statSync(join(dir, f));
          return `${f}:${st.size}:${st.mtimeMs}`;
        })
        .sort()
        .join(',');
    } catch {
      return 'missing';
    }
  };
  const info = {};
  for (const action of actions) {
    const src = dirname(repoBundleOf(action));
    const dest = join(into, action);
    const bundle = join(dest, basename(repoBundleOf(action)));
    const deadline = Date.now() + waitMs;
    for (;;) {
      const before = stamp(src);
      await new Promise((r) => setTimeout(r, quietMs));
      if (before !== 'missing' && existsSync(repoBundleOf(action)) && stamp(src) === before) {
        rmSync(dest, { recursive: true, force: true });
        try {
          cpSync(src, dest, { recursive: true, preserveTimestamps: true });
        } catch {
          continue; // removed under us: wait again
        }
        if (stamp(src) === before && existsSync(bundle)) break;
      }
      if (Date.now() > deadline)
        throw new Error(`dist/${action} incomplete or changing for ${waitMs / 1000} s`);
    }
    snapshots.set(action, bundle);
    info[action] = {
      sha256: createHash('sha256').update(readFileSync(bundle)).digest('hex'),
      mtime: statSync(bundle).mtime.toISOString(),
    };
  }
  return info;
}

export function parseOutputFile(text) {
  const outputs = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i] ?? '');
    if (match) {
      const [, name, delimiter] = match;
      const value = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? '');
      outputs[name] = value.join('\n');
    } else if (lines[i]?.includes('=')) {
      const eq = lines[i].indexOf('=');
      outputs[lines[i].slice(0, eq)] = lines[i].slice(eq + 1);
    }
  }
  return outputs;
}

/**
 * Spawns `argv` and watches it. Resolves when it has exited and its output is
 * read: { code, signal, stdout, stderr, t0, exitMs, hwmKiB, sshPorts }.
 * `t0` is the performance.now() just before spawn; `exitMs` is spawn -> exit.
 */
export function runWatched(
  argv,
  { env, cwd, stdin, watchPort, timeoutMs = 300_000, onSpawn, followChild = false } = {},
) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(argv[0], argv.slice(1), {
      env,
      cwd,
      stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const monitor = child.pid
      ? new ProcessMonitor(child.pid, watchPort ?? -1, 10, followChild)
      : null;
    onSpawn?.(t0, child);
    if (stdin !== undefined) child.stdin.end(stdin);
    let stdout = '';
    let stderr = '';
    // When lines arrive (ms since spawn): the first line, each `::group::` (phase start), the last line.
    const timeline = { firstLineMs: null, lastLineMs: null, groups: [] };
    let partial = '';
    child.stdout.on('data', (d) => {
      const t = performance.now() - t0;
      const text = d.toString();
      stdout += text;
      const lines = (partial + text).split('\n');
      partial = lines.pop();
      for (const line of lines) {
        timeline.firstLineMs ??= t;
        timeline.lastLineMs = t;
        if (line.startsWith('::group::')) timeline.groups.push({ group: line.slice(9), t });
      }
    });
    child.stderr.on('data', (d) => (stderr += d.toString()));
    let exitMs = null;
    let code = null;
    let signal = null;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      monitor?.stop();
      reject(error);
    });
    child.on('exit', (c, s) => {
      exitMs = performance.now() - t0;
      code = c;
      signal = s;
      monitor?.stop();
    });
    child.on('close', () => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout,
        stderr,
        t0,
        exitMs,
        hwmKiB: monitor?.hwmKiB ?? null,
        memSamples: monitor?.samples ?? 0,
        sshPorts: monitor?.localPorts ?? [],
        timeline,
      });
    });
  });
}

/**
 * Runs `action` with `inputs` like the Actions runner, under `target.node24`.
 * options: workspace, env, onSpawn(t0, child), watchPort (the port whose
 * connections the monitor records; default the sshd port), clientPorts() (the
 * sshd-side client ports to attribute instead, e.g. from a proxy), wrap (argv
 * prefix such as /usr/bin/time; the monitor then follows its child).
 */
export async function runAction(target, action, inputs, options = {}) {
  const { yaml } = definitionOf(action);
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-run-'));
  const files = {
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STATE: join(dir, 'state'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary'),
    GITHUB_ENV: join(dir, 'env'),
    GITHUB_PATH: join(dir, 'path'),
  };
  for (const file of Object.values(files)) writeFileSync(file, '');
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    RUNNER_TEMP: dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: options.workspace ?? dir,
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '1001',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SHA: 'a'.repeat(40),
    GITHUB_REF: 'refs/tags/v1.0.0',
    GITHUB_ACTOR: 'octocat',
    GITHUB_EVENT_NAME: 'push',
    ...files,
    ...options.env,
  };
  const declared = yaml.inputs ?? {};
  for (const [name, spec] of Object.entries(declared)) {
    const value = inputs[name] ?? spec?.default;
    if (value !== undefined && !String(value).includes('${{'))
      env[`INPUT_${name.toUpperCase()}`] = String(value);
  }
  for (const [name, value] of Object.entries(inputs)) {
    if (!(name in declared)) throw new Error(`${action} has no input '${name}'`);
    env[`INPUT_${name.toUpperCase()}`] = String(value);
  }
  const watchPort = options.watchPort ?? target.port;
  const logStart = logSize(target.sshdLog);
  const cwd = options.workspace ?? dir;
  const main = await runWatched([...(options.wrap ?? []), target.node24, bundleOf(action)], {
    env,
    cwd,
    watchPort,
    timeoutMs: options.timeoutMs,
    onSpawn: options.onSpawn,
    followChild: Boolean(options.wrap),
  });
  let { stdout, stderr } = main;
  if (yaml.runs.post) {
    const post = await runWatched(
      [target.node24, join(dirname(bundleOf(action)), basename(yaml.runs.post))],
      { env, cwd },
    );
    stdout += post.stdout;
    stderr += post.stderr;
  }
  const outputs = parseOutputFile(readFileSync(files.GITHUB_OUTPUT, 'utf8'));
  const summaryText = existsSync(files.GITHUB_STEP_SUMMARY)
    ? readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8')
    : '';
  rmSync(dir, { recursive: true, force: true });
  const ports = options.clientPorts?.() ?? main.sshPorts;
  const log = attribute(readFrom(target.sshdLog, logStart), ports);
  return {
    ...main,
    action,
    stdout,
    stderr,
    outputs,
    summary: summaryText,
    connections: ports.length,
    log,
    parsed: parseRun(stdout),
    errors: stdout.split('\n').filter((l) => l.startsWith('::error')),
  };
}
