// The floor: the least any tool can do to switch a Compose app over SSH. One
// OpenSSH `ssh` call uploads the compose file on stdin and runs
// `docker compose -p <proj> -f <file> up -d`; then the health URL is polled
// every 50 ms until it answers 2xx.
import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers';
import { runWatched } from './action.mjs';
import { httpGet } from './net.mjs';
import { attribute, logSize, readFrom } from './sshd-log.mjs';

export function sshArgv(target, port = target.port, knownHostsFile = target.knownHostsFile) {
  return [
    'ssh',
    '-F',
    '/dev/null',
    '-p',
    String(port),
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${knownHostsFile}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'ConnectTimeout=10',
    '-i',
    target.keyFile,
    `${target.user}@${target.host}`,
  ];
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * One floor switch: returns { sshMs, healthyMs, version, code, connections, log }.
 * `dir` is relative to the login directory.
 */
export async function floorSwitch(
  target,
  { dir, project, compose, port, expectVersion, healthPath = '/health' },
) {
  const remote = `mkdir -p ${dir} && cat > ${dir}/compose.yml && docker compose -p ${project} -f ${dir}/compose.yml up -d`;
  const logStart = logSize(target.sshdLog);
  const run = await runWatched([...sshArgv(target), remote], {
    stdin: compose,
    watchPort: target.port,
    timeoutMs: 120_000,
  });
  const sshMs = run.exitMs;
  if (run.code !== 0) {
    return { ok: false, error: `ssh exited ${run.code}: ${run.stderr.trim().slice(-500)}`, sshMs };
  }
  let healthyMs = null;
  let next = performance.now();
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    const answer = await httpGet(port, healthPath);
    if (answer && answer.status >= 200 && answer.status < 300) {
      healthyMs = performance.now() - run.t0;
      break;
    }
    next += 50;
    const wait = next - performance.now();
    if (wait > 0) await sleep(wait);
    else next = performance.now();
  }
  const version = (await httpGet(port, '/version'))?.body ?? null;
  const log = attribute(readFrom(target.sshdLog, logStart), run.sshPorts);
  const ok = healthyMs !== null && (expectVersion === undefined || version === expectVersion);
  return {
    ok,
    error: ok
      ? undefined
      : `floor: healthy=${healthyMs !== null} version=${version} (expected ${expectVersion})`,
    sshMs,
    healthyMs,
    version,
    connections: run.sshPorts.length,
    log,
  };
}
