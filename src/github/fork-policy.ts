import { readFileSync } from 'node:fs';
import { ConfigurationError } from '../errors.js';

interface PullRequestEvent {
  pull_request?: {
    head?: { repo?: { fork?: boolean; full_name?: string } | null };
    base?: { repo?: { full_name?: string } };
  };
}

/** True on `pull_request`/`pull_request_target` events whose head repository is a fork. */
export function isForkPullRequest(env: NodeJS.ProcessEnv): boolean {
  const event = env.GITHUB_EVENT_NAME;
  if (event !== 'pull_request' && event !== 'pull_request_target') return false;
  if (!env.GITHUB_EVENT_PATH) return true; // cannot tell: treat as untrusted
  let payload: PullRequestEvent;
  try {
    payload = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as PullRequestEvent;
  } catch {
    return true;
  }
  const head = payload.pull_request?.head?.repo;
  const base = payload.pull_request?.base?.repo;
  if (!head) return true; // the head repository was deleted: unknown origin
  return head.fork === true || (head.full_name !== undefined && head.full_name !== base?.full_name);
}

/** Mutating operations refuse to run for a fork's pull request unless explicitly allowed. */
export function assertNotForkPullRequest(
  operation: string,
  allowed: boolean,
  env = process.env,
): void {
  if (allowed || !isForkPullRequest(env)) return;
  throw new ConfigurationError(
    'allow-fork-pull-requests',
    `'${operation}' changes the server and this run is for a pull request from a fork (${env.GITHUB_EVENT_NAME}); ` +
      "refused. Set 'allow-fork-pull-requests: true' only if you trust every fork's code with your server.",
  );
}
