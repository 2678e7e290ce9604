import * as core from '@actions/core';
import { connect } from 'node:net';
import type { Logger, OperationDeps } from '../actions/deps.js';
import { ConfigurationError, RemoteCommandError } from '../errors.js';
import { runContextFrom } from '../release/metadata.js';
import { openRunner } from '../remote/connect.js';
import { cell } from './markdown.js';

/** The only place that reads action inputs. */
export const readInput = (name: string): string => core.getInput(name);

/** Registers a secret with the runner, whole and line by line, before anything uses it. */
export function maskSecret(value: string | undefined): void {
  if (!value) return;
  core.setSecret(value);
  for (const line of value.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed) core.setSecret(trimmed);
  }
}

/** Masks the secret inputs every action shares, straight from the raw inputs. */
export function maskSharedSecrets(read: (name: string) => string): void {
  maskSecret(read('private-key'));
  maskSecret(read('passphrase'));
}

/** Masks each value of dotenv text (and unquoted forms of quoted values). */
export function maskDotenvValues(text: string): void {
  for (const line of text.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq <= 0 || line.trim().startsWith('#')) continue;
    const value = line.slice(eq + 1).trim();
    maskSecret(value);
    const unquoted = /^(['"])(.*)\1$/.exec(value)?.[2];
    maskSecret(unquoted);
  }
}

/** Masks header values of `Name: value` lines. */
export function maskHeaderValues(text: string): void {
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) maskSecret(line.slice(colon + 1).trim());
  }
}

/** Warnings of this run, repeated in the job summary so they are seen without the log. */
const runWarnings: string[] = [];

export const coreLogger: Logger = {
  info: (message) => core.info(message),
  warning: (message, title) => {
    runWarnings.push(title ? `${title}: ${message}` : message);
    core.warning(message, title ? { title } : undefined);
  },
  group: (name, body) => core.group(name, body),
};

export function productionDeps(): OperationDeps {
  return {
    log: coreLogger,
    connect: openRunner,
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    run: runContextFrom(process.env),
    openLocalTcp: (host, port) =>
      new Promise((resolve, reject) => {
        const socket = connect({ host, port }, () => resolve(socket));
        socket.once('error', reject);
      }),
  };
}

export function setOutputs(
  outputs: Record<string, string | number | boolean | null | undefined>,
): void {
  for (const [name, value] of Object.entries(outputs)) {
    core.setOutput(name, value === null || value === undefined ? '' : String(value));
  }
}

/** One error annotation with a title naming the input or phase, and a failed step. */
export function failStep(error: unknown): void {
  const err = error instanceof Error ? error : new Error(String(error));
  const phase = (err as { phase?: string }).phase;
  let title = 'Berth';
  if (err instanceof ConfigurationError) title = `Berth: input '${err.input}'`;
  else if (phase) title = `Berth: ${phase} failed`;
  else if (err instanceof RemoteCommandError) title = 'Berth: remote command failed';
  core.error(err.message, { title });
  process.exitCode = 1;
}

export async function writeSummary(markdown: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  const warnings =
    runWarnings.length > 0
      ? ['', '### Warnings', '', ...runWarnings.map((w) => `- ⚠️ ${cell(w)}`), ''].join('\n')
      : '';
  await core.summary.addRaw(markdown + warnings, true).write();
}
