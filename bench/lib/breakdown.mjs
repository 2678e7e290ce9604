// Parses what an action logs about its own time: `::group::<phase>` …
// `<phase>: <ms> ms` … `::endgroup::` from the PhaseTimer, and
// `$ <command>  (<ms> ms)` from the runner for each remote command (a command
// line may span several log lines when an argument holds a JSON document).
import { median } from './stats.mjs';

/** [{ phase, ms, commands: [{ command, ms }] }] in order, plus commands logged outside any phase. */
export function parseRun(stdout) {
  const phases = [];
  const outside = [];
  const stack = []; // groups may nest (a log group inside a phase)
  let current = null;
  let pending = null; // a `$ …` command whose `(N ms)` has not been seen yet
  for (const raw of stdout.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (pending !== null) {
      pending += `\n${line}`;
      const m = / {2}\((\d+) ms\)$| {2}\(failed\)$/.exec(line);
      if (m) {
        (current?.commands ?? outside).push({
          command: pending.replace(/ {2}\((\d+) ms\)$| {2}\(failed\)$/, ''),
          ms: m[1] ? Number(m[1]) : null,
        });
        pending = null;
      }
      continue;
    }
    if (line.startsWith('::group::')) {
      current = { phase: line.slice('::group::'.length), ms: null, commands: [] };
      phases.push(current);
      stack.push(current);
    } else if (line === '::endgroup::') {
      stack.pop();
      current = stack[stack.length - 1] ?? null;
    } else if (line.startsWith('$ ')) {
      const m = /^\$ (.*) {2}\((\d+) ms\)$/.exec(line) ?? /^\$ (.*) {2}\((failed)\)$/.exec(line);
      if (m)
        (current?.commands ?? outside).push({
          command: m[1],
          ms: m[2] === 'failed' ? null : Number(m[2]),
        });
      else pending = line.slice(2);
    } else if (current) {
      const m = /^(.+): (\d+) ms$/.exec(line);
      if (m && m[1] === current.phase) current.ms = Number(m[2]);
    }
  }
  return { phases: phases.filter((p) => p.ms !== null || p.commands.length > 0), outside };
}

/** A short, stable name for a logged command line (for aggregating runs). */
export function commandLabel(command) {
  const first = command.split('\n')[0];
  const t = first.split(/\s+/);
  const base = (p) => (p ?? '').replace(/^'|'$/g, '').split('/').pop();
  if ((t[0] === 'docker' && t[1] === 'compose') || t[0] === 'docker-compose') {
    const tool = t[0] === 'docker' ? 'docker compose' : 'docker-compose';
    const sub =
      / (config|up|pull|ps|down|logs|restart|stop|start|run|version)\b(?!.*\s--file\s)/.exec(first);
    return `${tool} ${sub?.[1] ?? '…'}`;
  }
  if (t[0] === 'docker') return t.slice(0, 3).join(' ');
  if (t[0] === 'sftp') return t.slice(0, 4).join(' ');
  if (t[0] === 'berth-write' || t[0] === 'berth-append') return `${t[0]} ${base(t[1])}`;
  if (t[0] === 'mv') return 'mv (promote)';
  if (t[0] === 'rm') return 'rm -rf';
  return t[0];
}

/** Adds `#2`, `#3`… to repeated names so runs can be lined up entry by entry. */
function numbered(names) {
  const seen = new Map();
  return names.map((n) => {
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return k === 1 ? n : `${n} #${k}`;
  });
}

/**
 * Median time of each phase and of each command in it over several runs of
 * the same operation, plus what no phase or command accounts for (process
 * start-up, bundle load, input parsing, summary, exit).
 */
export function aggregateBreakdown(runs) {
  const phaseOrder = [];
  const phaseMs = new Map();
  const seen = new Map(); // phase -> runs it appears in
  const commandMs = new Map(); // phaseKey -> Map(label -> ms[])
  const unaccounted = [];
  const totals = [];
  const startup = []; // spawn -> first output line (node start-up, bundle load)
  const toConnect = []; // spawn -> the connect phase starts (also inputs, masking, settings)
  const tail = []; // last output line -> process exit
  for (const run of runs) {
    const parsed = parseRun(run.stdout);
    const keys = numbered(parsed.phases.map((p) => p.phase));
    let accounted = 0;
    parsed.phases.forEach((p, i) => {
      const key = keys[i];
      if (!phaseMs.has(key)) {
        phaseMs.set(key, []);
        commandMs.set(key, new Map());
        phaseOrder.push(key);
      }
      seen.set(key, (seen.get(key) ?? 0) + 1);
      if (p.ms !== null) {
        phaseMs.get(key).push(p.ms);
        accounted += p.ms;
      }
      const labels = numbered(p.commands.map((c) => commandLabel(c.command)));
      p.commands.forEach((c, j) => {
        const m = commandMs.get(key);
        if (!m.has(labels[j])) m.set(labels[j], []);
        m.get(labels[j]).push(c.ms);
      });
    });
    const outsideKey = '(between phases)';
    if (parsed.outside.length > 0) {
      if (!phaseMs.has(outsideKey)) {
        phaseMs.set(outsideKey, []);
        commandMs.set(outsideKey, new Map());
        phaseOrder.push(outsideKey);
      }
      const sum = parsed.outside.reduce((s, c) => s + (c.ms ?? 0), 0);
      phaseMs.get(outsideKey).push(sum);
      accounted += sum;
      const labels = numbered(parsed.outside.map((c) => commandLabel(c.command)));
      parsed.outside.forEach((c, j) => {
        const m = commandMs.get(outsideKey);
        if (!m.has(labels[j])) m.set(labels[j], []);
        m.get(labels[j]).push(c.ms);
      });
    }
    if (Number.isFinite(run.exitMs)) {
      unaccounted.push(run.exitMs - accounted);
      totals.push(run.exitMs);
    }
    const tl = run.timeline;
    if (tl) {
      if (tl.firstLineMs !== null) startup.push(tl.firstLineMs);
      const connect = tl.groups.find((g) => g.group === 'connect');
      if (connect) toConnect.push(connect.t);
      if (tl.lastLineMs !== null && Number.isFinite(run.exitMs))
        tail.push(run.exitMs - tl.lastLineMs);
    }
  }
  const phases = phaseOrder.map((key) => ({
    phase: key,
    ms: median(phaseMs.get(key)),
    runs: seen.get(key) ?? phaseMs.get(key).length,
    commands: [...commandMs.get(key)].map(([label, ms]) => ({
      command: label,
      ms: median(ms),
      runs: ms.length,
    })),
  }));
  return {
    runs: runs.length,
    totalMs: median(totals),
    unaccountedMs: median(unaccounted),
    startupMs: median(startup),
    toConnectMs: median(toConnect),
    tailMs: median(tail),
    phases,
  };
}
