import type { Duplex } from 'node:stream';

/** What a finished command left behind. */
export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
  readonly durationMs: number;
}

export interface ExecOptions {
  /** Exit codes that count as success (default `[0]`); others raise `RemoteCommandError`. */
  readonly okCodes?: readonly number[];
  /** Data written to the command's standard input, which is then closed. */
  readonly stdin?: string | Buffer;
  /** Overrides `command-timeout` for this command. */
  readonly timeoutMs?: number;
}

/** A file to place on the target, path relative to the login directory or absolute. */
export interface TargetFile {
  readonly path: string;
  readonly content: Buffer;
  readonly mode: number;
}

/** A long-running process whose life is tied to ours, e.g. the `flock` holder. */
export interface HeldProcess {
  /** Ends the process by closing its input; resolves when it has exited. */
  release(): Promise<void>;
}

/** Called once per command with its command line, for the log. */
export type CommandListener = (commandLine: string, result: ExecResult | undefined) => void;

/**
 * Runs argument arrays on the target. The SSH runner sends them over one
 * connection; the local runner runs the very same arrays on this machine.
 */
export interface Runner {
  /** e.g. `deploy@203.0.113.7:22` or `local`; for logs and summaries. */
  readonly target: string;
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /**
   * Starts `argv` with its input left open and resolves once it prints
   * `readyLine`; rejects with the command's result if it exits first.
   * Writes a newline every `heartbeatMs` so a watchdog on the far side
   * can tell a silent client from a live one.
   */
  hold(argv: readonly string[], readyLine: string, heartbeatMs?: number): Promise<HeldProcess>;
  writeFiles(files: readonly TargetFile[]): Promise<void>;
  /** A TCP stream opened from the target's side (SSH direct forwarding). */
  openTcp(host: string, port: number): Promise<Duplex>;
  close(): Promise<void>;
}
