import { composeCommand, upSubcommand, type ComposeTool } from '../commands/compose.js';
import { switchCurrentCommand, writeFileAtomicCommand } from '../commands/release-files.js';
import { RELEASE_FILES, releaseDir } from '../commands/site-layout.js';
import type { HealthReport } from '../health/health-check.js';
import type { HealthSettings } from '../inputs/health-settings.js';
import type { HealthStatus, Manifest, ReleaseMetadata } from '../release/metadata.js';
import type { OperationDeps } from './deps.js';
import type { PhaseTimer } from './phase-timer.js';
import { checkProjectHealth } from './release-health.js';
import { releaseProject } from './release-project.js';
import type { SiteSession } from './site-session.js';

/** Records a health verdict in a release's `release.json` (atomically). */
export async function recordReleaseHealth(
  session: SiteSession,
  metadata: ReleaseMetadata,
  status: HealthStatus,
  now: number,
): Promise<void> {
  metadata.health_status = status;
  metadata.health_checked_at = new Date(now).toISOString();
  await session.runner.exec(
    writeFileAtomicCommand(
      `${releaseDir(session.layout, metadata.release_id)}/${RELEASE_FILES.metadata}`,
      JSON.stringify(metadata, null, 2) + '\n',
    ),
  );
}

export function manifestFor(
  site: string,
  current: string | null,
  previous: string | null,
  health: HealthStatus,
  now: number,
): Manifest {
  return {
    site_id: site,
    current_release_id: current,
    previous_release_id: previous,
    last_health_status: health,
    updated_at: new Date(now).toISOString(),
  };
}

/** `compose up` of a release with its frozen files and pinned images. */
export async function upRelease(
  session: SiteSession,
  tool: ComposeTool,
  metadata: ReleaseMetadata,
): Promise<void> {
  const project = releaseProject(
    tool,
    metadata.project_name,
    releaseDir(session.layout, metadata.release_id),
    metadata.compose_files,
    metadata.project_directory,
  );
  await session.runner.exec(composeCommand(project, upSubcommand()));
}

/**
 * Brings a verified release back: `up` with its frozen files (only changed
 * services are recreated), switch `current`, check health, record it.
 */
export async function restoreRelease(
  session: SiteSession,
  tool: ComposeTool,
  target: ReleaseMetadata,
  fromRelease: string | null,
  health: HealthSettings,
  deps: OperationDeps,
  phases: PhaseTimer,
): Promise<HealthReport> {
  const site = target.site_id;
  await phases.run('rollback: up', () => upRelease(session, tool, target));
  await phases.run('rollback: switch', () =>
    session.runner.exec(switchCurrentCommand(session.layout, target.release_id)),
  );
  await phases.run('rollback: manifest', () =>
    session.writeManifest(manifestFor(site, target.release_id, fromRelease, 'unknown', deps.now())),
  );
  const report = await phases.run('rollback: health', () =>
    checkProjectHealth(session.runner, target.project_name, health, deps),
  );
  await recordReleaseHealth(session, target, report.status, deps.now());
  await session.writeManifest(
    manifestFor(site, target.release_id, fromRelease, report.status, deps.now()),
  );
  return report;
}
