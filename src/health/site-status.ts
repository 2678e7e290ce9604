import type { ContainerState } from './container-state.js';

export type SiteStatus =
  | 'running'
  | 'stopped'
  | 'exited'
  | 'restarting'
  | 'paused'
  | 'dead'
  | 'created'
  | 'unknown'
  | 'absent';

/**
 * Severity of a container state when a site's containers disagree; the most
 * severe one names the site (the README's status table lists the same order).
 */
export const STATE_SEVERITY: readonly string[] = [
  'dead',
  'restarting',
  'exited',
  'paused',
  'created',
  'running',
];

/**
 * A site's status from its containers: `absent` without containers,
 * `running` when all run, `stopped` when all are down and `lifecycle stop`
 * said so, otherwise the most severe container state.
 */
export function deriveSiteStatus(
  containers: readonly ContainerState[],
  stoppedByUser: boolean,
): SiteStatus {
  if (containers.length === 0) return 'absent';
  const states = containers.map((c) => (c.state === 'removing' ? 'dead' : c.state));
  if (states.every((s) => s === 'running')) return 'running';
  if (stoppedByUser && states.every((s) => s === 'exited' || s === 'created')) return 'stopped';
  for (const state of STATE_SEVERITY) {
    if (states.includes(state)) return state as SiteStatus;
  }
  return 'unknown';
}
