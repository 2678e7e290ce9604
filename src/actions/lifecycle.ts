import { RemoteStateError } from '../errors.js';
import {
  composeCommand,
  downSubcommand,
  restartSubcommand,
  stopSubcommand,
  upSubcommand,
} from '../commands/compose.js';
import { projectContainerStatesCommand } from '../commands/containers.js';
import { untagImagesCommand } from '../commands/docker.js';
import { removeTreeCommand } from '../commands/release-files.js';
import { releaseDir } from '../commands/site-layout.js';
import { parseContainerStates, type ContainerState } from '../health/container-state.js';
import { deriveSiteStatus, type SiteStatus } from '../health/site-status.js';
import type { LifecycleSettings } from '../inputs/operation-settings.js';
import type { Manifest, ReleaseMetadata } from '../release/metadata.js';
import type { OperationDeps } from './deps.js';
import { PhaseTimer } from './phase-timer.js';
import { releaseProject } from './release-project.js';
import { listReleases, readMetadata, writeMetadata } from './release-store.js';
import { SiteSession, type SiteState } from './site-session.js';

export interface ReleaseListing {
  readonly release_id: string;
  readonly artifact_hash: string | null;
  readonly created_at: string | null;
  readonly health_status: string;
  readonly pinned: boolean;
  readonly current: boolean;
}

export interface ServiceStatus {
  readonly name: string;
  readonly container: string;
  readonly state: string;
  readonly health: string;
  readonly image_id: string;
  readonly started_at: string;
}

export interface LifecycleResult {
  readonly operation: string;
  readonly status: SiteStatus;
  readonly services: readonly ServiceStatus[];
  readonly currentReleaseId: string | null;
  readonly releases?: readonly ReleaseListing[];
  readonly message: string;
  readonly target: string;
}

const READ_ONLY = new Set(['status', 'list-releases']);

function servicesOf(containers: readonly ContainerState[]): ServiceStatus[] {
  return containers.map((c) => ({
    name: c.service,
    container: c.name,
    state: c.state,
    health: c.health,
    image_id: c.imageId,
    started_at: c.startedAt,
  }));
}

export async function lifecycle(
  settings: LifecycleSettings,
  deps: OperationDeps,
): Promise<LifecycleResult> {
  const startedAt = deps.now();
  const phases = new PhaseTimer(deps.log, deps.now);
  const { operation } = settings;
  const session = await phases.run('connect', () => SiteSession.open(settings, deps));
  if (['start', 'stop', 'restart', 'remove'].includes(operation)) session.probeCompose();
  const site = settings.site.site;
  try {
    const mutating = !READ_ONLY.has(operation) && !settings.site.dryRun;
    const state = await phases.run(mutating ? 'lock' : 'read site', async () => {
      const [, state] = await Promise.all([
        mutating ? session.acquireLock(operation) : Promise.resolve(),
        session.readState(),
      ]);
      return state;
    });
    const currentId = state.currentReleaseId;
    const current = state.currentMetadata;
    const projectName = current?.project_name ?? site.toLowerCase();
    const containers = async () =>
      parseContainerStates(
        (await session.runner.exec(projectContainerStatesCommand(projectName))).stdout,
      );
    const result = (
      message: string,
      containerStates: readonly ContainerState[],
      manifest = state.manifest,
      releases?: ReleaseListing[],
    ): LifecycleResult => ({
      operation,
      status: deriveSiteStatus(containerStates, manifest?.stopped === true),
      services: servicesOf(containerStates),
      currentReleaseId: currentId,
      releases,
      message,
      target: session.runner.target,
    });
    const audit = async (outcome: string, detail?: string, logPath?: string) => {
      if (settings.site.dryRun) return;
      await session
        .appendAudit(
          session.auditEntry(operation, startedAt, {
            from_release: currentId,
            to_release: currentId,
            result: outcome,
            detail,
          }),
          logPath,
        )
        // A read-only operation on a site that does not exist has nowhere to write.
        .catch((error: Error) => {
          if (mutating) throw error;
        });
    };

    switch (operation) {
      case 'status': {
        const states = await phases.run('status', containers);
        await audit('success');
        return result(
          `${site} is ${deriveSiteStatus(states, state.manifest?.stopped === true)}`,
          states,
        );
      }
      case 'list-releases': {
        const releases = await phases.run('list', () => listReleases(session));
        const listing: ReleaseListing[] = releases.reverse().map((r) => ({
          release_id: r.releaseId,
          artifact_hash: r.metadata?.artifact_hash ?? null,
          created_at: r.metadata?.created_at ?? null,
          health_status: r.metadata?.health_status ?? 'unknown',
          pinned: r.metadata?.pinned === true,
          current: r.releaseId === currentId,
        }));
        await audit('success');
        return result(`${listing.length} release(s)`, await containers(), state.manifest, listing);
      }
      case 'pin':
      case 'unpin': {
        const releaseId = settings.releaseId as string;
        const metadata = await readMetadata(session, releaseId);
        if (!metadata)
          throw new RemoteStateError(
            `Release ${releaseId} does not exist or its release.json is unreadable (input 'release-id')`,
          );
        const pinned = operation === 'pin';
        if (!settings.site.dryRun) {
          await writeMetadata(session, { ...metadata, pinned });
          await audit('success', releaseId);
        }
        return result(
          `${releaseId} is ${pinned ? 'pinned' : 'no longer pinned'}`,
          await containers(),
        );
      }
      default:
        return await changeState(
          settings,
          deps,
          session,
          state,
          current,
          containers,
          result,
          audit,
          phases,
        );
    }
  } finally {
    await session.close();
  }
}

/** start, stop, restart, remove: compose with the current release's frozen files. */
async function changeState(
  settings: LifecycleSettings,
  deps: OperationDeps,
  session: SiteSession,
  state: SiteState,
  current: ReleaseMetadata | null,
  containers: () => Promise<ContainerState[]>,
  result: (
    message: string,
    states: readonly ContainerState[],
    manifest?: Manifest | null,
  ) => LifecycleResult,
  audit: (outcome: string, detail?: string, logPath?: string) => Promise<void>,
  phases: PhaseTimer,
): Promise<LifecycleResult> {
  const { operation } = settings;
  const site = settings.site.site;
  const before = await containers();
  const statusBefore = deriveSiteStatus(before, state.manifest?.stopped === true);
  if (!current && operation !== 'remove') {
    throw new RemoteStateError(
      `Site ${site} has no current release on ${session.runner.target}; deploy it first`,
    );
  }
  const tool = await session.requireCompose();
  const project = current
    ? releaseProject(
        tool,
        current.project_name,
        releaseDir(session.layout, current.release_id),
        current.compose_files,
        current.project_directory,
      )
    : undefined;
  const run = (subcommand: string[]) => session.runner.exec(composeCommand(project!, subcommand));
  const setStopped = async (stopped: boolean) => {
    if (!state.manifest) return;
    const { stopped: _drop, ...rest } = state.manifest;
    const next: Manifest = {
      ...rest,
      updated_at: new Date(deps.now()).toISOString(),
      ...(stopped ? { stopped: true } : {}),
    };
    await session.writeManifest(next);
    return next;
  };
  if (settings.site.dryRun) {
    deps.log.info(`Dry run: would ${operation} ${site} (now ${statusBefore}); nothing changed.`);
    return result(`Dry run: ${site} is ${statusBefore}; nothing changed`, before);
  }
  switch (operation) {
    case 'start': {
      if (statusBefore === 'running') {
        await audit('success', 'already running');
        return result(`${site} is already running`, before);
      }
      await phases.run('start', () => run(upSubcommand()));
      const manifest = await setStopped(false);
      await audit('success');
      return result(`${site} started`, await containers(), manifest ?? state.manifest);
    }
    case 'stop': {
      const alreadyStopped = before.every((c) => c.state !== 'running' && c.state !== 'restarting');
      if (!alreadyStopped) await phases.run('stop', () => run(stopSubcommand()));
      const manifest = await setStopped(true);
      await audit('success', alreadyStopped ? 'already stopped' : undefined);
      return result(
        alreadyStopped ? `${site} was already stopped` : `${site} stopped`,
        await containers(),
        manifest ?? state.manifest,
      );
    }
    case 'restart': {
      // `restart` does not start containers that were never created; `up` first covers both.
      await phases.run('restart', async () => {
        if (statusBefore === 'absent') await run(upSubcommand());
        else await run(restartSubcommand());
      });
      const manifest = await setStopped(false);
      await audit('success');
      return result(`${site} restarted`, await containers(), manifest ?? state.manifest);
    }
    case 'remove': {
      const removeData = !settings.keepData;
      await phases.run('remove', async () => {
        if (project) await run(downSubcommand(removeData));
        else if (before.length > 0) {
          await session.runner.exec([
            'docker',
            'rm',
            '--force',
            '--volumes',
            ...before.map((c) => c.id),
          ]);
        }
      });
      if (removeData) {
        const releases = await listReleases(session);
        const tags = releases.flatMap((r) => r.metadata?.services.map((s) => s.pinned_tag) ?? []);
        if (tags.length > 0)
          await session.runner.exec(untagImagesCommand(tags), { okCodes: [0, 1] });
        await session.runner.exec(removeTreeCommand(session.layout.siteDir));
        await audit(
          'success',
          'removed containers, volumes, releases and the site directory',
          session.layout.rootAuditLog,
        );
        return result(`${site} removed with its data`, await containers(), null);
      }
      await audit(
        'success',
        'removed containers; releases, volumes and data kept',
        session.layout.rootAuditLog,
      );
      return result(`${site} removed; releases, volumes and data kept`, await containers());
    }
    default:
      throw new RemoteStateError(`Unknown operation ${operation}`);
  }
}
