import type { HealthReport } from '../health/health-check.js';
import type { HealthGateSettings } from '../inputs/operation-settings.js';
import type { OperationDeps } from './deps.js';
import { checkProjectHealth } from './release-health.js';
import { readMetadata } from './release-store.js';
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
    const projectName = await currentProjectName(session, state?.currentReleaseId ?? null, site);
    // Without a site there is no compose project to name, so the URL alone decides.
    const health = site ? settings.health : { ...settings.health, containers: false };
    const report = await deps.log.group('health', () =>
      checkProjectHealth(session.runner, projectName, health, deps),
    );
    let recorded = false;
    if (state?.currentReleaseId && !settings.site.dryRun) {
      const metadata = await readMetadata(session, state.currentReleaseId);
      if (metadata) await recordReleaseHealth(session, metadata, report.status, deps.now());
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

/** The compose project of the current release, or the site's default name. */
export async function currentProjectName(
  session: SiteSession,
  currentReleaseId: string | null,
  site: string,
): Promise<string> {
  if (currentReleaseId) {
    const metadata = await readMetadata(session, currentReleaseId);
    if (metadata?.project_name) return metadata.project_name;
  }
  return site.toLowerCase();
}
