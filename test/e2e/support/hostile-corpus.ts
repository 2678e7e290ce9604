import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One entry of test/e2e/hostile-inputs.json. */
export interface HostileCase {
  readonly action:
    'deploy-release' | 'rollback' | 'health-gate' | 'prune-releases' | 'lifecycle' | 'berth';
  readonly inputs: Record<string, string>;
  readonly expect: 'refused' | 'inert';
  /** For `refused`: the input the error annotation must name. */
  readonly input?: string;
  readonly note?: string;
  /** A reported bug: the case shows current behaviour and is not counted as passing. */
  readonly knownBug?: string;
  /** For `inert`: the exit code the case must end with, where it is deterministic. */
  readonly code?: number;
  /** How long the case may run before it is killed (default 120 s). */
  readonly timeoutMs?: number;
}

export const CORPUS_PATH = fileURLToPath(new URL('../hostile-inputs.json', import.meta.url));

export function loadCorpus(): HostileCase[] {
  return (JSON.parse(readFileSync(CORPUS_PATH, 'utf8')) as { cases: HostileCase[] }).cases;
}

export interface Placeholders {
  readonly site: string;
  readonly port: number;
  readonly token: string;
  readonly decoy: string;
  readonly release: string;
  readonly knownHosts: string;
  readonly rsaKey: string;
}

/** The canary file name of case `index` (relative); `/tmp/<name>` is the absolute one. */
export const canaryName = (token: string, index: number): string =>
  `berth-canary-${token}-${index}`;

/** Replaces the corpus placeholders (see the corpus description) in one value. */
export function expand(value: string, p: Placeholders, index: number): string {
  return value
    .replace(/\{\{REPEAT:(\d+):([^}]*)\}\}/g, (_m, n: string, text: string) =>
      text.repeat(Number(n)),
    )
    .replaceAll('{{CANARY}}', `/tmp/${canaryName(p.token, index)}`)
    .replaceAll('{{RCANARY}}', canaryName(p.token, index))
    .replaceAll('{{SITE}}', p.site)
    .replaceAll('{{PORT}}', String(p.port))
    .replaceAll('{{TOKEN}}', p.token)
    .replaceAll('{{DECOY_UPPER}}', p.decoy.toUpperCase())
    .replaceAll('{{DECOY}}', p.decoy)
    .replaceAll('{{RELEASE}}', p.release)
    .replaceAll('{{KNOWN_HOSTS}}', p.knownHosts)
    .replaceAll('{{RSA_KEY}}', p.rsaKey);
}

const MUTATING_OPERATIONS = new Set(['start', 'stop', 'restart', 'remove', 'pin', 'unpin']);

/**
 * Refuses to run a case that could harm the served site if Berth accepted it
 * by mistake: any mutating lifecycle operation must target the decoy site, and
 * only deploy, rollback and prune may turn dry-run off.
 */
export function assertSafe(c: HostileCase, inputs: Record<string, string>, p: Placeholders): void {
  const lifecycle =
    c.action === 'lifecycle' || (c.action === 'berth' && inputs.command === 'lifecycle');
  const operation = (inputs.operation ?? '').trim();
  if (lifecycle && MUTATING_OPERATIONS.has(operation.toLowerCase()) && inputs.site !== p.decoy) {
    throw new Error(`unsafe corpus case: lifecycle '${operation}' on ${inputs.site}`);
  }
  if ((inputs['dry-run'] ?? '').toLowerCase() === 'false') {
    if (!['deploy-release', 'rollback', 'prune-releases'].includes(c.action)) {
      throw new Error(`unsafe corpus case: dry-run false for ${c.action}`);
    }
  }
}
