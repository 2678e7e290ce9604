import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { parseOutputFile, type ActionRun } from './run-action.js';
import { target } from './target.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface ActionYaml {
  inputs?: Record<string, { default?: string }>;
  runs: { main: string };
}

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
  const yamlPath = join(ROOT, 'actions', action, 'action.yml');
  const definition = parse(readFileSync(yamlPath, 'utf8')) as ActionYaml;
  const dir = mkdtempSync(join(tmpdir(), 'berth-fault-'));
  const files = {
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STATE: join(dir, 'state'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary'),
    GITHUB_ENV: join(dir, 'env'),
    GITHUB_PATH: join(dir, 'path'),
  };
  for (const file of Object.values(files)) writeFileSync(file, '');
  const env: NodeJS.ProcessEnv = {
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
  for (const [name, spec] of Object.entries(definition.inputs ?? {})) {
    const value = inputs[name] ?? spec.default;
    if (value !== undefined && !String(value).includes('${{'))
      env[`INPUT_${name.toUpperCase()}`] = String(value);
  }
  for (const [name, value] of Object.entries(inputs)) {
    if (!(name in (definition.inputs ?? {}))) throw new Error(`${action} has no input '${name}'`);
    env[`INPUT_${name.toUpperCase()}`] = value;
  }
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
