import { composeCommand, upSubcommand, type ComposeTool } from '../commands/compose.js';
import { underSiteLock } from '../commands/lock.js';
import { switchCurrentCommand } from '../commands/release-files.js';
import { releaseDir } from '../commands/site-layout.js';
import type { HealthReport } from '../health/health-check.js';
import type { HealthSettings } from '../inputs/health-settings.js';
import type { HealthStatus, Manifest, ReleaseMetadata } from '../release/metadata.js';
import type { OperationDeps } from './deps.js';
import type { PhaseTimer } from './phase-timer.js';
import { checkProjectHealth } from './release-health.js';
import { releaseProject } from './release-project.js';
import { readMetadata, writeMetadata } from './release-store.js';
import type { SiteSession, SiteState } from './site-session.js';

/** Records a health verdict in a release's `release.json` (atomically). */
export async function recordReleaseHealth(
  session: SiteSession,
  metadata: ReleaseMetadata,
  status: HealthStatus,
  now: number,
): Promise<void> {
  metadata.health_status = status;
  metadata.health_checked_at = new Date(now).toISOString();
  await writeMetadata(session, metadata);
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
  await session.runner.exec(underSiteLock(session.layout, composeCommand(project, upSubcommand())));
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
  await phases.run('rollback: up', async () => {
    await session.markInFlight('rollback', target.release_id);
    await upRelease(session, tool, target);
  });
  await phases.run('rollback: switch', async () => {
    await session.runner.exec(switchCurrentCommand(session.layout, target.release_id));
    await session.clearInFlight();
  });
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

/**
 * Puts right what an interrupted operation (a cancelled job, a lost
 * connection) can leave between `compose up` and recording its result:
 * containers already running a release `current` does not name (`.in-flight`
 * is still there), or `manifest.json` naming another release than `current`.
 * Runs under the lock, before the operation changes anything: `current` is
 * brought up again (compose recreates only what differs) and the manifest is
 * rewritten from it. Returns the state as it is afterwards.
 */
export async function repairInterrupted(
  session: SiteSession,
  state: SiteState,
  tool: () => Promise<ComposeTool>,
  deps: OperationDeps,
  phases: PhaseTimer,
): Promise<SiteState> {
  const current = state.currentReleaseId;
  const manifestStale =
    current !== null && (state.manifest === null || state.manifest.current_release_id !== current);
  if (state.inFlight === undefined && !manifestStale) return state;
  return phases.run('repair', async () => {
    const why =
      state.inFlight !== undefined
        ? `an earlier operation stopped between \`up\` and switching \`current\` (${state.inFlight})`
        : state.manifest === null
          ? `${session.layout.manifest} is missing, but ${session.layout.current} is ${current}`
          : `${session.layout.manifest} names ${state.manifest.current_release_id ?? 'nothing'}, ` +
            `but ${session.layout.current} is ${current} (an earlier operation stopped before recording it)`;
    const metadata = current ? await readMetadata(session, current) : null;
    if (current && !metadata) {
      deps.log.warning(
        `${why}; ${current} has no readable release.json, so it cannot be brought up again`,
        'Site state repaired',
      );
      return state;
    }
    deps.log.warning(
      `${why}; ` +
        (current
          ? `bringing the current release ${current} up again`
          : 'no release is current, so there is nothing to bring up'),
      'Site state repaired',
    );
    let manifest = state.manifest;
    if (metadata) {
      await upRelease(session, await tool(), metadata);
      if (manifestStale) {
        manifest = manifestFor(
          metadata.site_id,
          metadata.release_id,
          state.manifest?.current_release_id ?? null,
          metadata.health_status,
          deps.now(),
        );
        await session.writeManifest(manifest);
      }
    }
    if (state.inFlight !== undefined) await session.clearInFlight();
    const { inFlight: _cleared, ...rest } = state;
    return { ...rest, manifest };
  });
}
