import type { HealthReport } from '../health/health-check.js';
import type { HealthGateSettings } from '../inputs/operation-settings.js';
import type { OperationDeps } from './deps.js';
import { checkProjectHealth } from './release-health.js';
import { manifestFor, recordReleaseHealth } from './restore-release.js';
import { SiteSession } from './site-session.js';

export interface HealthGateResult {
  readonly report: HealthReport;
  readonly currentReleaseId: string | null;
  readonly recorded: boolean;
  readonly target: string;
}

/**
 * Checks a site's health; with `site` given and present, records the result
 * in `manifest.json`, the current `release.json` and the audit log. Reads
 * need no lock, so a gate never waits behind a deploy.
 */
export async function healthGate(
  settings: HealthGateSettings,
  deps: OperationDeps,
): Promise<HealthGateResult> {
  const startedAt = deps.now();
  const session = await deps.log.group('connect', () => SiteSession.open(settings, deps));
  try {
    const site = settings.site.site;
    const state = site ? await session.readState() : null;
    const projectName = state?.currentMetadata?.project_name ?? site.toLowerCase();
    // Without a site there is no compose project to name, so the URL alone decides.
    const health = site ? settings.health : { ...settings.health, containers: false };
    const report = await deps.log.group('health', () =>
      checkProjectHealth(session.runner, projectName, health, deps),
    );
    let recorded = false;
    if (state?.currentReleaseId && !settings.site.dryRun) {
      if (state.currentMetadata) {
        await recordReleaseHealth(session, { ...state.currentMetadata }, report.status, deps.now());
      }
      const manifest = state.manifest;
      await session.writeManifest({
        ...manifestFor(
          site,
          state.currentReleaseId,
          manifest?.previous_release_id ?? null,
          report.status,
          deps.now(),
        ),
        ...(manifest?.stopped ? { stopped: true } : {}),
      });
      await session.appendAudit(
        session.auditEntry('health', startedAt, {
          from_release: state.currentReleaseId,
          to_release: state.currentReleaseId,
          result: report.status,
          detail: report.message.slice(0, 300),
        }),
      );
      recorded = true;
    }
    return {
      report,
      currentReleaseId: state?.currentReleaseId ?? null,
      recorded,
      target: session.runner.target,
    };
  } finally {
    await session.close();
  }
}
