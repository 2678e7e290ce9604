// Machine facts, bundle sizes, and housekeeping on the local Docker engine and site directories.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { bundleOf } from './action.mjs';
import { removeRepoTags } from './synthetic.mjs';

const tryRun = (file, args) => {
  try {
    return execFileSync(file, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 20_000,
    }).trim();
  } catch {
    return null;
  }
};

export function machineInfo(target) {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    hostname: os.hostname(),
    nproc: Number(tryRun('nproc', [])) || os.availableParallelism?.() || cpus.length,
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    memoryMiB: Math.round(os.totalmem() / 1024 / 1024),
    kernel: `${os.type()} ${os.release()}`,
    os: (() => {
      try {
        return (
          /^PRETTY_NAME="?([^"\n]*)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? null
        );
      } catch {
        return null;
      }
    })(),
    nodeBench: process.version,
    nodeAction: tryRun(target.node24, ['--version']),
    dockerEngine: tryRun('docker', ['version', '--format', '{{.Server.Version}}']),
    composeV2: tryRun('docker', ['compose', 'version', '--short']),
    openssh: tryRun('sh', ['-c', 'ssh -V 2>&1']),
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

function dirBytes(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += dirBytes(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

export function bundleSizes(actions) {
  return actions.map((action) => {
    const bundle = bundleOf(action);
    const dir = dirname(bundle);
    return {
      action,
      indexJsBytes: existsSync(bundle) ? statSync(bundle).size : null,
      dirBytes: existsSync(dir) ? dirBytes(dir) : null,
      files: existsSync(dir) ? readdirSync(dir, { recursive: true }).length : null,
    };
  });
}

const pidAlive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
};

/** Containers of a compose project (any state), removed. */
export function removeProjectContainers(project) {
  const ids = tryRun('docker', [
    'ps',
    '-aq',
    '--filter',
    `label=com.docker.compose.project=${project}`,
  ]);
  if (ids) tryRun('docker', ['rm', '-f', ...ids.split('\n')]);
  return ids ? ids.split('\n').length : 0;
}

/** Everything a bench site left: containers, `berth/<site>` tags, `<home>/berth/<site>`. */
export async function removeBenchSite(target, site, { keepFiles = false } = {}) {
  const containers = removeProjectContainers(site.toLowerCase());
  const tags = await removeRepoTags(`berth/${site.toLowerCase()}`);
  if (!keepFiles) rmSync(join(target.home, 'berth', site), { recursive: true, force: true });
  return { containers, tags };
}

const BENCH_SITE = /^bench-(\d+)-(floor|deploy|cold|growth)$/;

/** Sites of earlier bench runs whose process is gone (an interrupted run), removed. */
export async function removeStaleBenchSites(target) {
  const removed = [];
  const names = new Set();
  const projects = tryRun('docker', [
    'ps',
    '-a',
    '--format',
    '{{.Label "com.docker.compose.project"}}',
  ]);
  for (const p of (projects ?? '').split('\n')) if (BENCH_SITE.test(p)) names.add(p);
  const root = join(target.home, 'berth');
  if (existsSync(root)) for (const d of readdirSync(root)) if (BENCH_SITE.test(d)) names.add(d);
  for (const name of names) {
    const pid = Number(BENCH_SITE.exec(name)[1]);
    if (pid === process.pid || pidAlive(pid)) continue;
    await removeBenchSite(target, name);
    removed.push(name);
  }
  return removed;
}
