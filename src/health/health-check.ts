import type { HealthSettings } from '../inputs/health-settings.js';
import type { HealthStatus } from '../release/metadata.js';
import { judgeContainers, type ContainerState, type ContainerVerdict } from './container-state.js';
import type { HttpOutcome } from './http-probe.js';

export interface HealthProbes {
  /** Absent when no URL is configured. */
  readonly http?: (timeoutMs: number) => Promise<HttpOutcome>;
  /** Absent when container health is off. */
  readonly containers?: () => Promise<ContainerState[]>;
}

export interface HealthAttempt {
  readonly attempt: number;
  readonly atMs: number;
  readonly httpStatus: number | null;
  readonly error?: string;
  readonly containers?: string;
  readonly outcome: 'healthy' | 'retry' | 'bad-response' | 'failed';
}

export interface HealthReport {
  readonly status: HealthStatus;
  readonly httpStatus: number | null;
  readonly attempts: readonly HealthAttempt[];
  readonly elapsedMs: number;
  readonly message: string;
  /** Services whose logs explain the failure. */
  readonly failingServices: readonly string[];
  readonly containers: readonly ContainerState[];
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export function statusExpected(status: number, settings: HealthSettings): boolean {
  return settings.expectStatus.some(([low, high]) => status >= low && status <= high);
}

export function bodyExpected(body: string, settings: HealthSettings): boolean {
  const expectation = settings.expectBody;
  if (!expectation) return true;
  return expectation.kind === 'substring'
    ? body.includes(expectation.text)
    : expectation.pattern.test(body);
}

/** How long containers without a healthcheck must stay up before they count as healthy. */
const CONTAINER_SETTLE_MS = 1000;

/**
 * The retry policy: probe right away; no response or containers still
 * starting → retry every `backoff` until `timeout`; a response outside the
 * expected set counts against `retries`; a failed container ends it at once.
 */
export async function runHealthCheck(
  settings: HealthSettings,
  probes: HealthProbes,
  clock: Clock,
  log: (line: string) => void,
): Promise<HealthReport> {
  const startedAt = clock.now();
  const deadline = startedAt + settings.timeoutMs;
  const attempts: HealthAttempt[] = [];
  const baseline = new Map<string, number>();
  let badResponses = 0;
  let lastHttp: HttpOutcome | undefined;
  let lastContainers: ContainerVerdict | undefined;
  let containers: ContainerState[] = [];
  let readySince: number | undefined;

  const finish = (
    status: HealthStatus,
    message: string,
    failingServices: string[] = [],
  ): HealthReport => ({
    status,
    httpStatus: lastHttp?.kind === 'response' ? lastHttp.status : null,
    attempts,
    elapsedMs: clock.now() - startedAt,
    message,
    failingServices,
    containers,
  });

  for (let attempt = 1; ; attempt++) {
    const atMs = clock.now() - startedAt;
    const remaining = Math.max(1, deadline - clock.now());
    const [http, states] = await Promise.all([
      probes.http?.(Math.min(settings.requestTimeoutMs, remaining)),
      probes.containers?.(),
    ]);
    if (states) {
      containers = states;
      if (baseline.size === 0) for (const c of states) baseline.set(c.id, c.restartCount);
      lastContainers = judgeContainers(states, baseline);
    }
    lastHttp = http ?? lastHttp;
    const record = (outcome: HealthAttempt['outcome']) => {
      const entry: HealthAttempt = {
        attempt,
        atMs,
        httpStatus: http?.kind === 'response' ? http.status : null,
        ...(http?.kind === 'no-response' ? { error: http.error } : {}),
        ...(lastContainers && lastContainers.kind !== 'ready'
          ? { containers: lastContainers.detail }
          : {}),
        outcome,
      };
      attempts.push(entry);
      log(
        `attempt ${attempt} at ${(atMs / 1000).toFixed(2)}s: ` +
          (http
            ? http.kind === 'response'
              ? `HTTP ${http.status}`
              : `no response (${http.error})`
            : '') +
          (entry.containers ? `${http ? '; ' : ''}containers: ${entry.containers}` : '') +
          (!http && !entry.containers ? 'containers running' : '') +
          ` -> ${outcome}`,
      );
    };

    if (lastContainers?.kind === 'failed') {
      record('failed');
      return finish('unhealthy', `Containers failed: ${lastContainers.detail}`, [
        ...lastContainers.services,
      ]);
    }
    let httpOk = !probes.http;
    if (http?.kind === 'response') {
      if (statusExpected(http.status, settings) && bodyExpected(http.body, settings)) {
        httpOk = true;
      } else {
        badResponses++;
        if (badResponses > settings.retries) {
          record('bad-response');
          const why = statusExpected(http.status, settings)
            ? `the body did not match the expected body`
            : `HTTP ${http.status} is outside the expected statuses`;
          return finish(
            'unhealthy',
            `${http.url}: ${why} (${badResponses} such responses, retries ${settings.retries})`,
            containers.map((c) => c.service),
          );
        }
      }
    }
    const containersReady = !probes.containers || lastContainers?.kind === 'ready';
    if (httpOk && containersReady) {
      // Without a URL or healthchecks, "running" must hold for a moment before it counts.
      const needsSettle = !probes.http && containers.every((c) => c.health === 'none');
      readySince ??= clock.now();
      if (!needsSettle || clock.now() - readySince >= CONTAINER_SETTLE_MS) {
        record('healthy');
        return finish(
          'healthy',
          probes.http
            ? `${lastHttp?.url} answered HTTP ${lastHttp?.kind === 'response' ? lastHttp.status : ''}`
            : `all ${containers.length} container(s) running${containers.some((c) => c.health !== 'none') ? ' and healthy' : ''}`,
        );
      }
    } else {
      readySince = undefined;
    }
    record(
      httpOk && containersReady
        ? 'retry'
        : http?.kind === 'response' && !httpOk
          ? 'bad-response'
          : 'retry',
    );
    const pause =
      httpOk && containersReady && readySince !== undefined
        ? Math.min(settings.backoffMs, CONTAINER_SETTLE_MS)
        : settings.backoffMs;
    // When the next probe could not start before the deadline, the verdict can no
    // longer change: report it now instead of sleeping out the rest of the timeout.
    if (clock.now() + pause >= deadline) break;
    await clock.sleep(pause);
  }
  const seconds = (settings.timeoutMs / 1000).toString();
  if (lastContainers?.kind === 'starting') {
    return finish(
      'starting',
      `Containers still starting after ${seconds}s: ${lastContainers.detail}`,
    );
  }
  if (lastHttp?.kind === 'response') {
    return finish(
      'unhealthy',
      `${lastHttp.url} answered HTTP ${lastHttp.status}, not the expected response, until the ${seconds}s timeout`,
      containers.map((c) => c.service),
    );
  }
  if (lastHttp?.kind === 'no-response') {
    return finish(
      'unknown',
      `No response from ${lastHttp.url} within ${seconds}s (${lastHttp.error})`,
      containers.map((c) => c.service),
    );
  }
  return finish('unknown', `No verdict within ${seconds}s`);
}
