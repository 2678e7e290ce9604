import { projectContainerStatesCommand } from '../commands/containers.js';
import { parseContainerStates } from '../health/container-state.js';
import type { HealthReport } from '../health/health-check.js';
import { deriveSiteStatus } from '../health/site-status.js';
import type { RollbackSettings } from '../inputs/operation-settings.js';
import type { OperationDeps } from './deps.js';
import { PhaseTimer } from './phase-timer.js';
import { listReleases, pickRollbackTarget, verifyRelease } from './release-store.js';
import { repairInterrupted, restoreRelease } from './restore-release.js';
import { SiteSession } from './site-session.js';

/** The fail-safe report: a rollback never ends in an unhandled exception. */
export interface RollbackResult {
  readonly success: boolean;
  readonly fromRelease: string | null;
  readonly toRelease: string | null;
  readonly lifecycleStatus: string;
  readonly healthStatus: string;
  readonly message: string;
  readonly warnings: readonly string[];
  readonly health?: HealthReport;
  /** Whether anything on the server changed. */
  readonly changed: boolean;
  /** The git sha recorded by the restored release (for a GitHub deployment). */
  readonly restoredSha: string;
  readonly timings: ReadonlyArray<{ phase: string; ms: number }>;
  readonly target: string;
}

export async function rollback(
  settings: RollbackSettings,
  deps: OperationDeps,
): Promise<RollbackResult> {
  const startedAt = deps.now();
  const phases = new PhaseTimer(deps.log, deps.now);
  const warnings: string[] = [];
  let fromRelease: string | null = null;
  let toRelease: string | null = settings.releaseId ?? null;
  let changed = false;
  let session: SiteSession | undefined;
  const report = (
    fields: Partial<RollbackResult> & Pick<RollbackResult, 'success' | 'message'>,
  ): RollbackResult => ({
    fromRelease,
    toRelease,
    lifecycleStatus: 'unknown',
    healthStatus: 'unknown',
    warnings,
    changed,
    restoredSha: '',
    timings: phases.timings,
    target: session?.runner.target ?? settings.connection.host,
    ...fields,
  });
  try {
    session = await phases.run('connect', () => SiteSession.open(settings, deps));
    session.probeCompose();
    const opened = session;
    const lockedState = await phases.run('lock', async () => {
      const [, state] = await Promise.all([
        settings.site.dryRun ? Promise.resolve() : opened.acquireLock('rollback'),
        opened.readState(),
      ]);
      return state;
    });
    fromRelease = lockedState.currentReleaseId;
    const tool = () => opened.requireCompose();
    if (!settings.site.dryRun) await repairInterrupted(opened, lockedState, tool, deps, phases);
    const releases = await phases.run('choose', () => listReleases(opened));
    if (settings.releaseId) {
      if (!releases.some((r) => r.releaseId === settings.releaseId)) {
        return report({
          success: false,
          message: `Release ${settings.releaseId} does not exist on ${opened.runner.target} (input 'release-id'); the site was left as it was`,
        });
      }
      if (settings.releaseId === fromRelease) {
        warnings.push(
          `${settings.releaseId} is already the current release; it is brought up again`,
        );
      }
    } else {
      const target = pickRollbackTarget(releases, fromRelease);
      if (!target) {
        return report({
          success: false,
          message: `No release older than ${fromRelease ?? '(none)'} that is not marked unhealthy; the site was left as it was`,
        });
      }
      toRelease = target.releaseId;
    }
    const targetId = toRelease as string;
    const metadata = await phases.run('verify', () => verifyRelease(opened, targetId));
    if (settings.site.dryRun) {
      deps.log.info(
        `Dry run: would restore ${targetId} (verified) in place of ${fromRelease ?? 'nothing'}.`,
      );
      return report({
        success: true,
        message: `Dry run: ${targetId} verified; nothing changed`,
        restoredSha: metadata.git.sha,
      });
    }
    changed = true;
    const health = await restoreRelease(
      opened,
      await tool(),
      metadata,
      fromRelease,
      settings.health,
      deps,
      phases,
    );
    const containers =
      health.containers.length > 0
        ? health.containers
        : parseContainerStates(
            (await opened.runner.exec(projectContainerStatesCommand(metadata.project_name))).stdout,
          );
    const lifecycleStatus = deriveSiteStatus(containers, false);
    const success = health.status === 'healthy';
    const message = success
      ? `Rolled back from ${fromRelease ?? 'nothing'} to ${targetId}; it is healthy`
      : `Rolled back from ${fromRelease ?? 'nothing'} to ${targetId}, but it is ${health.status}: ${health.message}. No further rollback was attempted.`;
    await opened.appendAudit(
      opened.auditEntry('rollback', startedAt, {
        from_release: fromRelease,
        to_release: targetId,
        result: success ? 'success' : health.status,
        detail: settings.reason || undefined,
      }),
    );
    return report({
      success,
      message,
      lifecycleStatus,
      healthStatus: health.status,
      health,
      restoredSha: metadata.git.sha,
    });
  } catch (error) {
    const message = (error as Error).message;
    const phase = (error as { phase?: string }).phase;
    if (session && changed) {
      await session
        .appendAudit(
          session.auditEntry('rollback', startedAt, {
            from_release: fromRelease,
            to_release: toRelease,
            result: 'failed',
            detail: message.slice(0, 500),
          }),
        )
        .catch(() => undefined);
    }
    return report({
      success: false,
      message: changed
        ? `Rollback to ${toRelease} failed during ${phase ?? 'the restore'}: ${message}`
        : `Rollback could not start${phase ? ` (${phase})` : ''}: ${message}. The site was left as it was.`,
    });
  } finally {
    await session?.close().catch(() => undefined);
  }
}
