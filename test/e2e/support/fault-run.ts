import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseOutputFile, runnerEnvironment, type ActionRun } from './run-action.js';
import { target } from './target.js';

/** What the test may do to the running job from inside `onLine`. */
export interface JobControl {
  /** SIGKILL the job process, like a cancelled or crashed runner (no cleanup runs). */
  kill(): void;
  /** The stdout lines seen so far, including the current one. */
  readonly lines: readonly string[];
}

export interface StreamingRun extends ActionRun {
  /** The signal that ended the job (`SIGKILL` when `kill()` was used). */
  readonly signal: NodeJS.Signals | null;
  /** Every stdout line, in order; `lines[killedAtLine]` is the one the kill reacted to. */
  readonly lines: readonly string[];
  /** When each line arrived (Date.now()), index for index with `lines`. */
  readonly times: readonly number[];
  readonly killedAtLine: number | null;
}

export interface StreamingOptions {
  readonly workspace?: string;
  /** Extra environment (e.g. GITHUB_RUN_ID to tell runs apart). */
  readonly env?: Record<string, string>;
  readonly timeoutMs?: number;
  /** Called synchronously for each complete stdout line as it arrives. */
  readonly onLine?: (line: string, control: JobControl) => void;
}

/**
 * Runs an action's `main` bundle like `runAction` (same INPUT_* and GITHUB_*
 * environment, Node 24), but hands each stdout line to `onLine` the moment it
 * arrives, so a test can kill the job or cut its connection at an exact
 * phase (`::group::<phase>`).
 */
export async function runActionStreaming(
  action: string,
  inputs: Record<string, string>,
  options: StreamingOptions = {},
): Promise<StreamingRun> {
  const { env, dir, files, definition, yamlPath } = runnerEnvironment(
    action,
    inputs,
    options,
    'berth-fault-',
  );
  const started = Date.now();
  // BERTH_TEST_DIST points at another build of the bundles (e.g. a private one while dist/ is rebuilt).
  const script = process.env.BERTH_TEST_DIST
    ? join(process.env.BERTH_TEST_DIST, action, 'index.js')
    : join(dirname(yamlPath), definition.runs.main);
  const child: ChildProcess = spawn(target().node24, [script], {
    env,
    cwd: options.workspace ?? dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const times: number[] = [];
  let killedAtLine: number | null = null;
  let partial = '';
  let stderr = '';
  const control: JobControl = {
    kill: () => {
      if (killedAtLine === null) killedAtLine = lines.length - 1;
      child.kill('SIGKILL');
    },
    lines,
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    partial += chunk.toString('utf8');
    let newline = partial.indexOf('\n');
    while (newline !== -1) {
      const line = partial.slice(0, newline);
      partial = partial.slice(newline + 1);
      lines.push(line);
      times.push(Date.now());
      options.onLine?.(line, control);
      newline = partial.indexOf('\n');
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 170_000);
  const { code, signal } = await new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>((resolve) => child.on('close', (c, s) => resolve({ code: c, signal: s })));
  clearTimeout(timer);
  if (partial) {
    lines.push(partial);
    times.push(Date.now());
  }
  const stdout = lines.join('\n');
  const run: StreamingRun = {
    code,
    signal,
    stdout,
    stderr,
    outputs: parseOutputFile(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
    summary: existsSync(files.GITHUB_STEP_SUMMARY)
      ? readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8')
      : '',
    durationMs: Date.now() - started,
    annotations: lines.filter((l) => /^::(error|warning)/.test(l)),
    lines,
    times,
    killedAtLine,
  };
  rmSync(dir, { recursive: true, force: true });
  return run;
}
