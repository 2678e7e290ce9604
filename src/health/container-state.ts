/** One service container as `docker container inspect` reports it. */
export interface ContainerState {
  readonly id: string;
  readonly name: string;
  readonly service: string;
  /** created, running, paused, restarting, removing, exited, dead */
  readonly state: string;
  /** healthy, unhealthy, starting, or none when no healthcheck is defined. */
  readonly health: string;
  readonly imageId: string;
  readonly startedAt: string;
  readonly restartCount: number;
  readonly exitCode: number;
}

interface InspectDocument {
  Id?: string;
  Name?: string;
  Image?: string;
  RestartCount?: number;
  State?: {
    Status?: string;
    StartedAt?: string;
    ExitCode?: number;
    Health?: { Status?: string };
  };
  Config?: { Labels?: Record<string, string> };
}

/** Parses `docker container inspect --format '{{json .}}'` lines, skipping one-off `run` containers. */
export function parseContainerStates(stdout: string): ContainerState[] {
  const states: ContainerState[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.trim().startsWith('{')) continue;
    const doc = JSON.parse(line) as InspectDocument;
    const labels = doc.Config?.Labels ?? {};
    if (labels['com.docker.compose.oneoff']?.toLowerCase() === 'true') continue;
    states.push({
      id: doc.Id ?? '',
      name: (doc.Name ?? '').replace(/^\//, ''),
      service: labels['com.docker.compose.service'] ?? '',
      state: doc.State?.Status ?? 'unknown',
      health: doc.State?.Health?.Status ?? 'none',
      imageId: doc.Image ?? '',
      startedAt: doc.State?.StartedAt ?? '',
      restartCount: doc.RestartCount ?? 0,
      exitCode: doc.State?.ExitCode ?? 0,
    });
  }
  return states.sort((a, b) => a.service.localeCompare(b.service) || a.name.localeCompare(b.name));
}

export type ContainerVerdict =
  | { readonly kind: 'ready' }
  | { readonly kind: 'starting'; readonly detail: string }
  | { readonly kind: 'failed'; readonly detail: string; readonly services: readonly string[] };

/**
 * Every service container must be running and, where a healthcheck exists,
 * healthy; a container that restarted since `baseline` fails the check.
 */
export function judgeContainers(
  states: readonly ContainerState[],
  baseline: ReadonlyMap<string, number>,
): ContainerVerdict {
  if (states.length === 0)
    return { kind: 'failed', detail: 'the project has no containers', services: [] };
  const failed = states.filter(
    (c) =>
      ['exited', 'dead', 'restarting', 'removing', 'paused'].includes(c.state) ||
      c.health === 'unhealthy' ||
      c.restartCount > (baseline.get(c.id) ?? c.restartCount),
  );
  if (failed.length > 0) {
    return {
      kind: 'failed',
      services: [...new Set(failed.map((c) => c.service))],
      detail: failed
        .map((c) =>
          c.restartCount > (baseline.get(c.id) ?? c.restartCount)
            ? `${c.service} restarted`
            : `${c.service} is ${c.health === 'unhealthy' ? 'unhealthy' : c.state}` +
              (c.state === 'exited' ? ` (exit ${c.exitCode})` : ''),
        )
        .join(', '),
    };
  }
  const starting = states.filter((c) => c.state === 'created' || c.health === 'starting');
  if (starting.length > 0) {
    return {
      kind: 'starting',
      detail: starting
        .map((c) => `${c.service} is ${c.health === 'starting' ? 'starting' : c.state}`)
        .join(', '),
    };
  }
  return { kind: 'ready' };
}
