import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { target } from './target.js';

/**
 * The test sshd logs every command it runs as
 * `mm_audit_run_command entering command <cmd>`. Other test files connect at
 * the same time, so a run is attributed by something unique in its commands
 * (a site name), never by counting lines.
 */
export interface LogMark {
  readonly offset: number;
}

/** The current end of the sshd log. */
export function markSshdLog(): LogMark {
  return { offset: statSync(target().sshdLog).size };
}

/** The log text written since `mark` (the whole log if it was truncated meanwhile). */
export function sshdLogSince(mark: LogMark): string {
  const size = statSync(target().sshdLog).size;
  const start = size < mark.offset ? 0 : mark.offset;
  const length = size - start;
  if (length <= 0) return '';
  const buffer = Buffer.alloc(length);
  const fd = openSync(target().sshdLog, 'r');
  try {
    readSync(fd, buffer, 0, length, start);
  } finally {
    closeSync(fd);
  }
  return buffer.toString('utf8');
}

/** Every command sshd ran since `mark`. */
export function commandsSince(mark: LogMark): string[] {
  const commands: string[] = [];
  for (const line of sshdLogSince(mark).split('\n')) {
    const at = line.indexOf('entering command ');
    if (at >= 0) commands.push(line.slice(at + 'entering command '.length));
  }
  return commands;
}

/** Commands since `mark` that mention `needle` (a unique site name, a canary token). */
export function commandsMentioning(mark: LogMark, needle: string): string[] {
  return commandsSince(mark).filter((command) => command.includes(needle));
}
