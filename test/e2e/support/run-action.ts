import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { target } from './target.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ActionRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly outputs: Record<string, string>;
  readonly summary: string;
  readonly durationMs: number;
  /** `::error` and `::warning` lines from stdout. */
  readonly annotations: string[];
}

export interface ActionYaml {
  inputs?: Record<string, { default?: string }>;
  runs: { main: string; post?: string; 'post-if'?: string };
}

/** Parses the GITHUB_OUTPUT file format (`name<<delimiter` blocks). */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i] ?? '');
    if (match) {
      const [, name, delimiter] = match;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? '');
      outputs[name as string] = value.join('\n');
    } else if (lines[i]?.includes('=')) {
      const eq = (lines[i] as string).indexOf('=');
      outputs[(lines[i] as string).slice(0, eq)] = (lines[i] as string).slice(eq + 1);
    }
  }
  return outputs;
}

function actionYamlPath(action: string): string {
  return action === 'berth'
    ? join(ROOT, 'action.yml')
    : join(ROOT, 'actions', action, 'action.yml');
}

function runScript(
  script: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
  timeoutMs: number,
  onSpawn?: (pid: number) => void,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(target().node24, [script], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid && onSpawn) onSpawn(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface RunOptions {
  readonly workspace?: string;
  readonly env?: Record<string, string>;
  readonly timeoutMs?: number;
  readonly onSpawn?: (pid: number) => void;
}

/** The files and environment the Actions runner gives a step. */
export interface RunnerEnvironment {
  readonly env: NodeJS.ProcessEnv;
  /** A fresh temporary directory holding the GITHUB_* files (the default workspace). */
  readonly dir: string;
  readonly files: { readonly GITHUB_OUTPUT: string; readonly GITHUB_STEP_SUMMARY: string };
  readonly definition: ActionYaml;
  readonly yamlPath: string;
}

/**
 * Every input as INPUT_<NAME> (upper-cased, hyphens kept) with the
 * action.yml defaults filled in, and the GITHUB_* variables and files.
 */
export function runnerEnvironment(
  action: string,
  inputs: Record<string, string>,
  options: { readonly workspace?: string; readonly env?: Record<string, string> },
  tempPrefix: string,
): RunnerEnvironment {
  const yamlPath = actionYamlPath(action);
  const definition = parse(readFileSync(yamlPath, 'utf8')) as ActionYaml;
  const dir = mkdtempSync(join(tmpdir(), tempPrefix));
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
  return { env, dir, files, definition, yamlPath };
}

/**
 * Runs an action's dist bundle the way the Actions runner does: every input
 * as INPUT_<NAME> (upper-cased, hyphens kept) with action.yml defaults
 * filled in, the GITHUB_* files, main then post, under Node 24.
 */
export async function runAction(
  action: string,
  inputs: Record<string, string>,
  options: RunOptions = {},
): Promise<ActionRun> {
  const { env, dir, files, definition, yamlPath } = runnerEnvironment(
    action,
    inputs,
    options,
    'berth-run-',
  );
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 170_000;
  const cwd = options.workspace ?? dir;
  const main = await runScript(
    join(dirname(yamlPath), definition.runs.main),
    env,
    cwd,
    timeoutMs,
    options.onSpawn,
  );
  let stdout = main.stdout;
  let stderr = main.stderr;
  if (definition.runs.post) {
    const post = await runScript(
      join(dirname(yamlPath), definition.runs.post),
      env,
      cwd,
      timeoutMs,
    );
    stdout += post.stdout;
    stderr += post.stderr;
  }
  const summaryText = existsSync(files.GITHUB_STEP_SUMMARY)
    ? readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8')
    : '';
  return {
    code: main.code,
    stdout,
    stderr,
    outputs: parseOutputFile(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
    summary: summaryText,
    durationMs: Date.now() - started,
    annotations: stdout.split('\n').filter((l) => /^::(error|warning)/.test(l)),
  };
}
