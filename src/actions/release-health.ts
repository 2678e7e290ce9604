import { containerLogsCommand, projectContainerStatesCommand } from '../commands/containers.js';
import { parseContainerStates } from '../health/container-state.js';
import { runHealthCheck, type HealthReport } from '../health/health-check.js';
import { probeHttp, type OpenStream } from '../health/http-probe.js';
import type { HealthSettings } from '../inputs/health-settings.js';
import type { Runner } from '../remote/runner.js';
import type { OperationDeps } from './deps.js';

const LOG_LINES = 50;

/** Runs the health check for a compose project and, unless healthy, shows the failing services' logs. */
export async function checkProjectHealth(
  runner: Runner,
  projectName: string,
  settings: HealthSettings,
  deps: OperationDeps,
): Promise<HealthReport> {
  const open: OpenStream =
    settings.via === 'runner' && deps.openLocalTcp
      ? deps.openLocalTcp
      : (host, port) => runner.openTcp(host, port);
  const url = settings.url;
  const report = await runHealthCheck(
    settings,
    {
      ...(url
        ? {
            http: (timeoutMs: number) =>
              probeHttp(
                url,
                { headers: settings.headers, timeoutMs, followRedirects: settings.followRedirects },
                open,
              ),
          }
        : {}),
      ...(settings.containers
        ? {
            containers: async () =>
              parseContainerStates(
                (await runner.exec(projectContainerStatesCommand(projectName))).stdout,
              ),
          }
        : {}),
    },
    { now: deps.now, sleep: deps.sleep },
    (line) => deps.log.info(line),
  );
  deps.log.info(`health: ${report.status} — ${report.message}`);
  if (report.status !== 'healthy') await showFailingLogs(runner, report, deps);
  return report;
}

async function showFailingLogs(
  runner: Runner,
  report: HealthReport,
  deps: OperationDeps,
): Promise<void> {
  const failing = new Set(report.failingServices);
  const names = report.containers
    .filter((c) => failing.size === 0 || failing.has(c.service))
    .map((c) => c.name);
  if (names.length === 0) return;
  await deps.log.group(`Last ${LOG_LINES} log lines of ${names.join(', ')}`, async () => {
    try {
      const logs = await runner.exec(containerLogsCommand(names, LOG_LINES));
      deps.log.info(logs.stdout);
    } catch (error) {
      deps.log.info(`Could not read logs: ${(error as Error).message}`);
    }
  });
}
