// Turns the raw series into the table (figure, value, target, pass/fail), the
// per-phase breakdown, and the README section.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fmtBytes, fmtMiB, fmtMs, fmtRatio, max, median, min, ratios } from './stats.mjs';

const pick = (list, f) => list.map(f).filter((x) => x !== undefined && x !== null);

function allBerthRuns(r) {
  return [
    ...pick(r.deployPairs, (p) => p.deploy),
    ...pick(r.rollbackPairs, (p) => p.rollback),
    ...r.broken,
    ...pick(r.cold, (c) => c.deploy),
    ...r.growth.flatMap((g) =>
      pick([g], (x) => x.list).concat(
        pick([g], (x) => x.rollback),
        pick([g], (x) => x.prune),
      ),
    ),
  ];
}

const range = (xs) => {
  const lo = min(xs);
  const hi = max(xs);
  return lo === hi ? `${lo}` : `${lo}–${hi}`;
};

export function buildReport(r, { levels }) {
  const rows = [];
  const row = (figure, value, target, pass, detail = '') =>
    rows.push({ figure, value, target, pass, detail });

  // deploy-release vs floor
  const dExit = r.deployPairs.map((p) => p.deploy?.exitMs ?? NaN);
  const dServe = r.deployPairs.map((p) => p.deploy?.servingMs ?? NaN);
  const fHealthy = r.deployPairs.map((p) => p.floor?.healthyMs ?? NaN);
  const dRatio = ratios(dExit, fHealthy);
  const sRatio = ratios(dServe, fHealthy);
  row(
    'deploy-release (start → exit) vs floor (start → healthy)',
    `${fmtMs(median(dExit))} vs ${fmtMs(median(fHealthy))} = ${fmtRatio(dRatio.ratioOfMedians)}`,
    '≤ 1.30×',
    dRatio.ratioOfMedians === null ? null : dRatio.ratioOfMedians <= 1.3,
    `median of per-pair ratios ${fmtRatio(dRatio.medianOfRatios)}; ${r.deployPairs.length} pairs; health probes per deploy ${range(pick(r.deployPairs, (p) => p.deploy?.healthAttempts))}`,
  );
  row(
    'deploy-release: new version serving (outside view) vs floor',
    `${fmtMs(median(dServe))} vs ${fmtMs(median(fHealthy))} = ${fmtRatio(sRatio.ratioOfMedians)}`,
    'info',
    null,
    'polled every 50 ms from process start',
  );

  // rollback vs one floor switch
  const rExit = r.rollbackPairs.map((p) => p.rollback?.exitMs ?? NaN);
  const rServe = r.rollbackPairs.map((p) => p.rollback?.servingMs ?? NaN);
  const rFloor = r.rollbackPairs.map((p) => p.floor?.healthyMs ?? NaN);
  const rRatio = ratios(rExit, rFloor);
  row(
    'rollback --release-id (start → healthy, exit) vs one floor switch',
    `${fmtMs(median(rExit))} vs ${fmtMs(median(rFloor))} = ${fmtRatio(rRatio.ratioOfMedians)}`,
    '≤ 1.20×',
    rRatio.ratioOfMedians === null ? null : rRatio.ratioOfMedians <= 1.2,
    `old version serving after ${fmtMs(median(rServe))}; median of per-pair ratios ${fmtRatio(rRatio.medianOfRatios)}`,
  );

  // broken release
  const bOld = r.broken.map((b) => b.oldServingAgainMs ?? NaN);
  const bStep = r.broken.map((b) => b.stepFinishedMs ?? NaN);
  const bOk =
    r.broken.length > 0 && r.broken.every((b) => b.rolledBack && b.oldServingAgainMs !== null);
  row(
    'broken release (health-timeout 10): start → old version serving again',
    fmtMs(median(bOld)),
    '≤ 12 s',
    r.broken.length === 0 ? null : bOk && median(bOld) <= 12_000,
    `step finished (exit, rolled back) ${fmtMs(median(bStep))}; health phase ${fmtMs(median(r.broken.map((b) => b.phases.find((p) => p.phase === 'health')?.ms ?? NaN)))} ` +
      `with ${range(pick(r.broken, (b) => b.healthAttempts))} probe(s); ${r.broken.length} run(s)`,
  );

  // cold start
  const cFirst = pick(r.cold, (c) => c.deploy?.firstByteMs);
  row(
    'cold start: process start → first byte to the SSH server',
    fmtMs(median(cFirst)),
    '≤ 0.2 s',
    cFirst.length ? median(cFirst) <= 200 : null,
    `deploy-release's first log line at ${fmtMs(median(pick(r.cold, (c) => c.deploy?.timeline?.firstLineMs)))} (bundle loaded); ` +
      `reference: OpenSSH ssh ${fmtMs(median(pick(r.cold, (c) => c.sshFirstByteMs)))}, node -e 0 (start → exit) ${fmtMs(median(pick(r.cold, (c) => c.nodeBareExitMs)))}`,
  );

  // SSH connections
  const runs = allBerthRuns(r);
  const conns = runs.map((x) => x.proxyConnections ?? x.connections);
  const logins = runs.map((x) => x.logins);
  row(
    'SSH connections per run (all Berth runs)',
    `${range(conns)} (sshd logins ${range(logins)})`,
    '= 1',
    conns.length ? conns.every((c) => c === 1) && logins.every((c) => c === 1) : null,
    `${runs.length} runs; floor: ${range(pick(r.deployPairs, (p) => p.floor?.connections))}`,
  );
  const dCmds = pick(r.deployPairs, (p) => p.deploy?.execSessions);
  const dSftp = pick(r.deployPairs, (p) => p.deploy?.sftpSessions);
  const cmdsOf = (list) => median(pick(list, (x) => x?.execSessions));
  row(
    'remote commands per deploy (exec sessions + SFTP subsystem sessions)',
    `${median(dCmds)} exec + ${median(dSftp)} sftp`,
    'info',
    null,
    `range ${range(dCmds)} (16 without pruning; the lock holder is one); floor: 1 exec; ` +
      `rollback ${cmdsOf(r.rollbackPairs.map((p) => p.rollback))}, broken release ${cmdsOf(r.broken)}, ` +
      `list-releases ${cmdsOf(r.growth.map((g) => g.list))}, prune-releases ${cmdsOf(r.growth.map((g) => g.prune))}`,
  );

  // memory
  const deployHwm = [
    ...pick(r.deployPairs, (p) => p.deploy?.hwmKiB),
    ...pick(r.broken, (b) => b.hwmKiB),
    ...pick(r.cold, (c) => c.deploy?.hwmKiB),
  ];
  const otherHwm = (action) => max(runs.filter((x) => x.action === action).map((x) => x.hwmKiB));
  const mc = r.memoryCheck;
  row(
    'peak memory of deploy-release (VmHWM, max over runs)',
    `${fmtMiB(max(deployHwm))} (median ${fmtMiB(median(deployHwm))})`,
    '≤ 120 MiB',
    deployHwm.length ? max(deployHwm) <= 120 * 1024 : null,
    `rollback ${fmtMiB(otherHwm('rollback'))}, lifecycle ${fmtMiB(otherHwm('lifecycle'))}, prune ${fmtMiB(otherHwm('prune-releases'))}` +
      (mc?.kernelMaxRssKiB
        ? `; check: polled ${fmtMiB(mc.polledVmHWMKiB)} vs kernel maxrss ${fmtMiB(mc.kernelMaxRssKiB)}`
        : ''),
  );

  // growth
  const top = Math.max(...levels);
  const low = Math.min(...levels);
  const growthOf = (op, level, f) =>
    median(r.growth.filter((g) => g.releases === level && g[op]).map((g) => f(g[op])));
  const ops = [
    ['list', 'lifecycle list-releases'],
    ['rollback', 'rollback to a named release'],
    ['prune', 'prune-releases (keep 5)'],
  ];
  const growth = {};
  for (const [op, label] of ops) {
    const ms = levels.map((l) => growthOf(op, l, (x) => x.exitMs));
    const cmds = levels.map((l) => growthOf(op, l, (x) => x.execSessions));
    growth[op] = { levels, ms, cmds };
    const ratio = ms[0] ? ms[ms.length - 1] / ms[0] : null;
    const sameCmds = cmds.every((c) => c === cmds[0]);
    const value = `${levels.map((l, i) => `${l}: ${fmtMs(ms[i])}`).join(', ')}; ${top}/${low} = ${fmtRatio(ratio)}`;
    if (op === 'list') {
      const topMs = ms[ms.length - 1];
      row(
        `${label} with ${top} releases (${levels.join('/')})`,
        value,
        '≤ 1 s, same commands as 10',
        topMs === null ? null : topMs <= 1000 && sameCmds,
        `remote commands ${cmds.join('/')}`,
      );
    } else {
      row(
        `${label} (${levels.join('/')} releases)`,
        value,
        'flat: same commands',
        cmds[0] === null ? null : sameCmds,
        `remote commands ${cmds.join('/')}`,
      );
    }
  }

  // bundles
  for (const b of r.bundles ?? []) {
    row(
      `bundle dist/${b.action}`,
      `index.js ${fmtBytes(b.indexJsBytes)}, dir ${fmtBytes(b.dirBytes)}`,
      'info',
      null,
      `${b.files} files`,
    );
  }

  const breakdownText = [
    breakdownSection('deploy-release', r.deployBreakdown),
    breakdownSection('rollback', r.rollbackBreakdown, { compact: true }),
    breakdownSection('broken release (first run)', r.brokenBreakdown, { compact: true }),
    growthSection(r.growthBreakdown, levels),
  ]
    .filter(Boolean)
    .join('\n\n');
  return { rows, breakdownText, growth };
}

function breakdownSection(name, b, { compact = false } = {}) {
  if (!b || !b.runs) return '';
  const lines = [
    `Per-phase breakdown of ${name} (median of ${b.runs} run(s); process start → exit ${fmtMs(b.totalMs)})`,
  ];
  const total = b.totalMs || 1;
  const inRuns = (n) => (n < b.runs ? `  (in ${n} of ${b.runs} runs)` : '');
  for (const p of b.phases) {
    if (p.ms === null) {
      // a log group inside the phase before it (e.g. the failing service's logs)
      lines.push(`    ↳ ${p.phase}${p.runs > 0 ? inRuns(p.runs) : ''}`);
    } else {
      const share = `${Math.round((100 * p.ms) / total)}%`.padStart(4);
      lines.push(`  ${p.phase.padEnd(22)} ${fmtMs(p.ms).padStart(8)} ${share}${inRuns(p.runs)}`);
    }
    if (!compact) {
      for (const c of p.commands)
        lines.push(`      $ ${c.command.padEnd(34)} ${fmtMs(c.ms).padStart(8)}${inRuns(c.runs)}`);
    }
  }
  const pct = (ms) => `${Math.round((100 * (ms ?? 0)) / total)}%`.padStart(4);
  lines.push(
    `  ${'not in any phase'.padEnd(22)} ${fmtMs(b.unaccountedMs).padStart(8)} ${pct(b.unaccountedMs)}, of which:`,
  );
  lines.push(
    `      spawn → first log line (node start-up, bundle load)  ${fmtMs(b.startupMs).padStart(8)}`,
  );
  lines.push(
    `      spawn → connect phase starts (+ inputs, masking)     ${fmtMs(b.toConnectMs).padStart(8)}`,
  );
  lines.push(
    `      last log line → process exit                         ${fmtMs(b.tailMs).padStart(8)}`,
  );
  return lines.join('\n');
}

/** Per command of each growth operation: median ms at the smallest and the largest release count. */
function growthSection(g, levels) {
  if (!g) return '';
  const lo = Math.min(...levels);
  const hi = Math.max(...levels);
  const names = {
    list: 'lifecycle list-releases',
    rollback: 'rollback --release-id',
    prune: 'prune-releases',
  };
  const lines = [`Growth: where the time goes (median ms with ${lo} → ${hi} releases)`];
  for (const [op, byLevel] of Object.entries(g)) {
    const a = byLevel[lo];
    const b = byLevel[hi];
    if (!a || !b) continue;
    lines.push(`  ${names[op] ?? op}: process ${fmtMs(a.totalMs)} → ${fmtMs(b.totalMs)}`);
    for (const p of b.phases) {
      const pa = a.phases.find((x) => x.phase === p.phase);
      for (const c of p.commands) {
        const ca = pa?.commands.find((x) => x.command === c.command);
        lines.push(
          `      ${`${p.phase}: $ ${c.command}`.padEnd(40)} ${fmtMs(ca?.ms).padStart(8)} → ${fmtMs(c.ms).padStart(8)}`,
        );
      }
    }
  }
  return lines.join('\n');
}

const mark = (pass) => (pass === true ? 'pass' : pass === false ? 'FAIL' : '');

function machineLine(r) {
  const m = r.machine;
  return (
    `${m.date.slice(0, 10)}, ${r.mode} run (N=${r.options.n}), ${m.nproc} CPU(s) ${m.cpuModel}, ${Math.round(m.memoryMiB / 1024)} GiB, ` +
    `${m.os ?? m.kernel}, action on Node ${m.nodeAction}, bench on Node ${m.nodeBench}, Docker ${m.dockerEngine}, Compose ${m.composeV2}; ` +
    `load average ${m.loadAverage.join(' ')} at start, ${(m.loadAverageAtEnd ?? []).join(' ')} at end (shared machine: other test suites running)`
  );
}

export function printReport(report, r) {
  const w = [0, 0, 0];
  for (const x of report.rows) {
    w[0] = Math.max(w[0], x.figure.length);
    w[1] = Math.max(w[1], x.value.length);
    w[2] = Math.max(w[2], x.target.length);
  }
  const out = [];
  out.push('', `Berth benchmark — ${machineLine(r)}`, '');
  out.push(`${'figure'.padEnd(w[0])}  ${'value'.padEnd(w[1])}  ${'target'.padEnd(w[2])}  result`);
  out.push(`${'-'.repeat(w[0])}  ${'-'.repeat(w[1])}  ${'-'.repeat(w[2])}  ------`);
  for (const x of report.rows) {
    out.push(
      `${x.figure.padEnd(w[0])}  ${x.value.padEnd(w[1])}  ${x.target.padEnd(w[2])}  ${mark(x.pass)}`,
    );
    if (x.detail) out.push(`${''.padEnd(w[0])}    ${x.detail}`);
  }
  out.push('', report.breakdownText, '');
  console.log(out.join('\n'));
}

export function markdownSection(report, r) {
  const esc = (s) => String(s).replace(/\|/g, '\\|');
  const lines = [
    `Measured by \`npm run bench\` (bench/run.mjs): each figure is a median over runs that alternate with the runs`,
    'they are compared with, on a shared machine, so read the ratios rather than the absolute times. The',
    'floor is one OpenSSH `ssh` call that uploads the compose file and runs `docker compose up -d`, then',
    'polls the health URL every 50 ms. Raw numbers: `bench/results.json`.',
    '',
    '| figure | value | target | result |',
    '| --- | --- | --- | --- |',
    ...report.rows.map(
      (x) =>
        `| ${esc(x.figure)} | ${esc(x.value)}${x.detail ? `<br>${esc(x.detail)}` : ''} | ${esc(x.target)} | ${mark(x.pass)} |`,
    ),
    '',
    `Machine: ${machineLine(r)}.`,
    '',
    '```',
    report.breakdownText.split('\n\n')[0],
    '```',
  ];
  return lines.join('\n');
}

/** Replaces the README section between the performance markers (adds them under "## Performance" if absent). */
export function writeReadme(path, report, r) {
  const start = '<!-- performance:start -->';
  const end = '<!-- performance:end -->';
  let text = readFileSync(path, 'utf8');
  if (!text.includes(start) || !text.includes(end)) {
    const block = `## Performance\n\n${start}\n${end}\n`;
    const heading = /^## Performance\s*$/m.exec(text);
    if (heading) {
      const at = heading.index + heading[0].length;
      text = `${text.slice(0, at)}\n\n${start}\n${end}\n${text.slice(at)}`;
    } else {
      const ref = /^## (Reference|Development)\s*$/m.exec(text);
      text = ref
        ? `${text.slice(0, ref.index)}${block}\n${text.slice(ref.index)}`
        : `${text.trimEnd()}\n\n${block}`;
    }
  }
  const a = text.indexOf(start) + start.length;
  const b = text.indexOf(end);
  text = `${text.slice(0, a)}\n${markdownSection(report, r)}\n${text.slice(b)}`;
  const tmp = `${path}.bench-tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
