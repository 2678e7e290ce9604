import { RemoteCommandError, tail } from '../errors.js';
import type { ExecOptions, ExecResult } from './runner.js';

/** Exit status of coreutils `timeout` when it had to stop the command. */
export const TIMEOUT_EXIT_CODE = 124;

/**
 * Every command runs under the target's own `timeout`, so a hung command is
 * ended on the far side even when our side cannot signal it (no pty).
 */
export function withTimeout(argv: readonly string[], timeoutMs: number): string[] {
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  return ['timeout', '--kill-after=10', String(seconds), ...argv];
}

/** Turns a finished command into a result, or the typed error that names it. */
export function settle(
  argv: readonly string[],
  options: ExecOptions,
  timeoutMs: number,
  code: number | null,
  stdout: string,
  stderr: string,
  startedAt: number,
): ExecResult {
  const ok = options.okCodes ?? [0];
  if (code !== null && ok.includes(code)) {
    return { stdout, stderr, code, durationMs: Date.now() - startedAt };
  }
  if (code === TIMEOUT_EXIT_CODE || code === 137) {
    throw new RemoteCommandError(
      argv,
      code,
      tail(stderr),
      `timed out after ${Math.round(timeoutMs / 1000)}s (input 'command-timeout')`,
    );
  }
  throw new RemoteCommandError(
    argv,
    code,
    tail(stderr),
    code === null ? 'ended without an exit status (connection lost?)' : undefined,
  );
}
