import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigurationError, RemoteCommandError, RemoteStateError } from '../errors.js';
import {
  composeCommand,
  configSubcommand,
  pullSubcommand,
  upSubcommand,
  type ComposeProject,
} from '../commands/compose.js';
import { removeOneOffContainersCommand } from '../commands/containers.js';
import { inspectImagesCommand, releaseImageTag, tagImagesCommand } from '../commands/docker.js';
import { underSiteLock } from '../commands/lock.js';
import {
  prepareStagingCommand,
  pathTakenCommand,
  promoteReleaseCommand,
  removeTreeCommand,
  switchCurrentCommand,
} from '../commands/release-files.js';
import { RELEASE_FILES, makeReleaseId, releaseDir } from '../commands/site-layout.js';
import type { HealthReport } from '../health/health-check.js';
import type { DeploySettings } from '../inputs/deploy-settings.js';
import { artifactHash, type FrozenFile } from '../release/artifact-hash.js';
import { parseComposeConfig, pinOverride } from '../release/compose-config.js';
import type { ReleaseMetadata, ServicePin } from '../release/metadata.js';
import { toCommandLine } from '../remote/shell-quote.js';
import type { OperationDeps } from './deps.js';
import { PhaseTimer } from './phase-timer.js';
import { checkProjectHealth } from './release-health.js';
import { projectDirectoryOf, releaseProject } from './release-project.js';
import { autoRollbackCandidates, listReleases, verifyRelease } from './release-store.js';
import {
  manifestFor,
  recordReleaseHealth,
  repairInterrupted,
  restoreRelease,
} from './restore-release.js';
import { pruneReleases, type PruneOutcome } from './prune.js';
import { SiteSession, type SiteState } from './site-session.js';

export interface DeployResult {
  readonly releaseId: string;
  readonly previousReleaseId: string | null;
  readonly artifactHash: string;
  readonly deployed: boolean;
  readonly releaseDir: string;
  readonly services: readonly ServicePin[];
  readonly health?: HealthReport;
  readonly healthStatus: string;
  readonly rolledBack: boolean;
  readonly currentReleaseId: string | null;
  readonly rollbackHealth?: HealthReport;
  readonly pruned?: PruneOutcome;
  readonly timings: ReadonlyArray<{ phase: string; ms: number }>;
  readonly target: string;
  /** Commands a dry run would have run, as command lines. */
  readonly plannedCommands: readonly string[];
  /** Set when the step must fail although the operation ran to its end (unhealthy release). */
  readonly failure?: string;
}

/** Bytes of every file the release freezes, read from the workspace once. */
function freezeFiles(settings: DeploySettings): FrozenFile[] {
  return [
    ...settings.composeFiles.map((f) => ({ path: f.releasePath, content: readFileSync(f.source) })),
    ...settings.extraFiles.map((f) => ({ path: f.releasePath, content: readFileSync(f.source) })),
    { path: RELEASE_FILES.env, content: Buffer.from(settings.envText, 'utf8') },
  ];
}

function modeOf(settings: DeploySettings, path: string): number {
  if (path === RELEASE_FILES.env) return 0o600;
  const file = [...settings.composeFiles, ...settings.extraFiles].find(
    (f) => f.releasePath === path,
  );
  return (file?.mode ?? 0o644) | 0o600;
}

function parentDirectories(paths: readonly string[]): string[] {
  const dirs = new Set<string>();
  for (const path of paths) {
    const parts = path.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return [...dirs].sort();
}

/** Moments of a deploy others may want to record (GitHub Deployments); never awaited on the hot path. */
export interface DeployEvents {
  /** The release exists in `releases/` and is about to go live. */
  onReleaseReady?(releaseId: string): void;
}

export async function deployRelease(
  settings: DeploySettings,
  deps: OperationDeps,
  events: DeployEvents = {},
): Promise<DeployResult> {
  const startedAt = deps.now();
  const phases = new PhaseTimer(deps.log, deps.now);
  const frozen = freezeFiles(settings);
  const composePaths = settings.composeFiles.map((f) => f.releasePath);
  const projectDirectory = projectDirectoryOf(composePaths);
  const session = await phases.run('connect', () => SiteSession.open(settings, deps));
  const { layout, runner } = session;
  const site = settings.site.site;
  try {
    if (settings.site.dryRun) return await dryRun(settings, deps, session, phases, frozen);

    session.probeCompose();
    const lockedState = await phases.run('lock', async () => {
      const [, state] = await Promise.all([session.acquireLock('deploy'), session.readState()]);
      return state;
    });
    const state = await repairInterrupted(
      session,
      lockedState,
      () => session.requireCompose(),
      deps,
      phases,
    );
    if (state.freeKb !== null && state.freeKb < settings.minFreeMb * 1024) {
      throw new RemoteStateError(
        `Only ${Math.floor(state.freeKb / 1024)} MiB free under ${settings.site.deployRootInput} on ${runner.target}; ` +
          `'min-free-mb' asks for at least ${settings.minFreeMb} MiB`,
      );
    }
    const previousReleaseId = state.currentReleaseId;
    const stagingName = `${Math.floor(deps.now() / 1000)}-${randomBytes(4).toString('hex')}`;
    const stagedDir = `${layout.stagingDir}/${stagingName}`;

    await phases.run('upload', async () => {
      await runner.exec(
        prepareStagingCommand(layout, stagingName, parentDirectories(frozen.map((f) => f.path))),
      );
      await runner.writeFiles(
        frozen.map((f) => ({
          path: `${stagedDir}/${f.path}`,
          content: f.content,
          mode: modeOf(settings, f.path),
        })),
      );
    });
    const tool = await session.requireCompose();
    const userProject: ComposeProject = releaseProject(
      tool,
      settings.projectName,
      stagedDir,
      composePaths,
      projectDirectory,
      false,
    );
    const config = await phases.run('config', async () => {
      const result = await runner.exec(composeCommand(userProject, configSubcommand()));
      const parsed = parseComposeConfig(result.stdout);
      if (parsed.buildServices.length > 0) {
        throw new ConfigurationError(
          'compose-file',
          `service(s) ${parsed.buildServices.join(', ')} build from source (build:) or name no image; ` +
            'build and push images in CI, then reference them with image:',
        );
      }
      if (parsed.services.length === 0)
        throw new ConfigurationError('compose-file', 'defines no services');
      return parsed;
    });
    if (settings.pull) {
      await phases.run('pull', () => runner.exec(composeCommand(userProject, pullSubcommand())));
    }

    const pinned = await phases.run('pin', async () => {
      const references = [...new Set(config.services.map((s) => s.image))];
      let inspected;
      try {
        inspected = await runner.exec(inspectImagesCommand(references));
      } catch (error) {
        if (error instanceof RemoteCommandError) {
          throw new RemoteStateError(
            `Image(s) not on ${runner.target}: ${error.stderrTail.replace(/\s+/g, ' ').trim()}` +
              (settings.pull ? '' : " ('pull' is false: load or pull the images first)"),
          );
        }
        throw error;
      }
      const byReference = new Map<string, { id: string; digest: string | null }>();
      inspected.stdout
        .split('\n')
        .filter(Boolean)
        .forEach((line, index) => {
          const [id, digestsJson] = line.split('\t');
          const digests = JSON.parse(digestsJson || 'null') as string[] | null;
          byReference.set(references[index] ?? '', { id: id ?? '', digest: digests?.[0] ?? null });
        });
      const imageIds = Object.fromEntries(
        config.services.map((s) => [s.service, byReference.get(s.image)?.id ?? '']),
      );
      const hash = artifactHash(frozen, imageIds);
      return { hash, imageIds, byReference };
    });

    if (pinned.hash === state.currentHash && previousReleaseId && !settings.force) {
      await runner.exec(removeTreeCommand(layout.stagingDir));
      deps.log.info(
        `Release ${previousReleaseId} already has artifact ${pinned.hash}; nothing to change.`,
      );
      await session.appendAudit(
        session.auditEntry('deploy', startedAt, {
          from_release: previousReleaseId,
          to_release: previousReleaseId,
          result: 'unchanged',
        }),
      );
      return {
        releaseId: previousReleaseId,
        previousReleaseId: state.manifest?.previous_release_id ?? null,
        artifactHash: pinned.hash,
        deployed: false,
        releaseDir: session.absolute(releaseDir(layout, previousReleaseId), state),
        services: [],
        healthStatus: state.manifest?.last_health_status ?? 'unknown',
        rolledBack: false,
        currentReleaseId: previousReleaseId,
        timings: phases.timings,
        target: runner.target,
        plannedCommands: [],
      };
    }

    const releaseId = await freeReleaseId(session, deps.now() / 1000, pinned.hash);
    const finalDir = releaseDir(layout, releaseId);
    const services: ServicePin[] = config.services.map((s) => ({
      service: s.service,
      image: s.image,
      image_id: pinned.byReference.get(s.image)?.id ?? '',
      repo_digest: pinned.byReference.get(s.image)?.digest ?? null,
      pinned_tag: releaseImageTag(site, releaseId, s.service),
    }));
    const metadata: ReleaseMetadata = {
      release_id: releaseId,
      site_id: site,
      artifact_hash: pinned.hash,
      created_at: new Date(deps.now()).toISOString(),
      health_status: 'unknown',
      project_name: settings.projectName,
      compose_command: tool.argv.join(' '),
      compose_version: tool.version,
      compose_files: composePaths,
      project_directory: projectDirectory,
      files: frozen.map((f) => f.path).sort(),
      services,
      git: { sha: deps.run.sha, ref: deps.run.ref, repository: deps.run.repository },
      run_url: deps.run.runUrl,
      actor: deps.run.actor,
    };
    await phases.run('pin', async () => {
      await Promise.all([
        runner.writeFiles([
          {
            path: `${stagedDir}/${RELEASE_FILES.pinOverride}`,
            content: Buffer.from(
              pinOverride(
                services.map((s) => ({ service: s.service, tag: s.pinned_tag })),
                config.version,
              ),
            ),
            mode: 0o644,
          },
          {
            path: `${stagedDir}/${RELEASE_FILES.artifactHash}`,
            content: Buffer.from(pinned.hash + '\n'),
            mode: 0o644,
          },
          {
            path: `${stagedDir}/${RELEASE_FILES.metadata}`,
            content: Buffer.from(JSON.stringify(metadata, null, 2) + '\n'),
            mode: 0o644,
          },
        ]),
        runner.exec(
          tagImagesCommand(services.map((s) => ({ imageId: s.image_id, tag: s.pinned_tag }))),
        ),
      ]);
      await runner.exec(promoteReleaseCommand(stagedDir, finalDir));
    });

    events.onReleaseReady?.(releaseId);
    const project = releaseProject(
      tool,
      settings.projectName,
      finalDir,
      composePaths,
      projectDirectory,
    );
    const base = {
      releaseId,
      previousReleaseId,
      artifactHash: pinned.hash,
      services,
      target: runner.target,
    };
    const releaseDirAbsolute = session.absolute(finalDir, state);

    try {
      if (settings.beforeUp.length > 0) {
        await phases.run('before-up', async () => {
          for (const argv of settings.beforeUp) {
            await runner.exec(underSiteLock(layout, composeCommand(project, argv)));
          }
        });
      }
    } catch (error) {
      // A `run` cut off by its timeout leaves its container running on the server.
      await runner
        .exec(removeOneOffContainersCommand(settings.projectName), { okCodes: [0, 1] })
        .catch(() => undefined);
      // Best effort: on a lost connection these cannot be written, and that failure
      // must not hide the before-up error itself. The release never went live, so it
      // is marked unhealthy: an automatic rollback target must be a release that served.
      metadata.deploy_failure = 'before-up failed';
      await recordReleaseHealth(session, metadata, 'unhealthy', deps.now()).catch(() => undefined);
      await session
        .appendAudit(
          session.auditEntry('deploy', startedAt, {
            from_release: previousReleaseId,
            to_release: releaseId,
            result: 'failed',
            detail: `before-up failed; ${previousReleaseId ?? 'nothing'} still serving`,
          }),
        )
        .catch(() => undefined);
      throw error;
    }

    let upError: Error | undefined;
    await phases.run('up', async () => {
      await session.markInFlight('deploy', releaseId);
      try {
        await runner.exec(underSiteLock(layout, composeCommand(project, upSubcommand())));
      } catch (error) {
        upError = error as Error;
        deps.log.warning(`compose up failed: ${upError.message}`, 'Deploy: up');
      }
    });
    await phases.run('switch', async () => {
      await runner.exec(switchCurrentCommand(layout, releaseId));
      await session.clearInFlight();
    });
    await phases.run('manifest', () =>
      session.writeManifest(manifestFor(site, releaseId, previousReleaseId, 'unknown', deps.now())),
    );
    const health: HealthReport = upError
      ? {
          status: 'unhealthy',
          httpStatus: null,
          attempts: [],
          elapsedMs: 0,
          message: `compose up failed: ${upError.message.split('\n')[0]}`,
          failingServices: [],
          containers: [],
        }
      : await phases.run('health', () =>
          checkProjectHealth(runner, settings.projectName, settings.health, deps),
        );
    await recordReleaseHealth(session, metadata, health.status, deps.now());
    await session.writeManifest(
      manifestFor(site, releaseId, previousReleaseId, health.status, deps.now()),
    );

    const finished = {
      ...base,
      deployed: true,
      releaseDir: releaseDirAbsolute,
      health,
      healthStatus: health.status,
      timings: phases.timings,
      plannedCommands: [],
    };
    if (health.status === 'healthy') {
      await session.appendAudit(
        session.auditEntry('deploy', startedAt, {
          from_release: previousReleaseId,
          to_release: releaseId,
          result: 'success',
        }),
      );
      const pruned =
        settings.keepReleases > 0
          ? await phases.run('prune', () =>
              pruneReleases(session, settings.keepReleases, releaseId, deps, false),
            )
          : undefined;
      return { ...finished, rolledBack: false, currentReleaseId: releaseId, pruned };
    }

    // Not healthy: the release stays in releases/ for forensics, marked so it is never auto-selected.
    if (health.status !== 'unhealthy')
      await recordReleaseHealth(session, metadata, 'unhealthy', deps.now());
    const candidates = settings.autoRollback
      ? autoRollbackCandidates(await listReleases(session), releaseId, previousReleaseId)
      : [];
    // Verification changes nothing, so a candidate that fails it (tampered, images gone)
    // is skipped for the next one; only a restored release that is unhealthy ends the search.
    const skipped: string[] = [];
    let target: ReleaseMetadata | undefined;
    for (const candidate of candidates.slice(0, 3)) {
      try {
        target = await phases.run('rollback: verify', () =>
          verifyRelease(session, candidate.releaseId),
        );
        break;
      } catch (error) {
        if (!(error instanceof RemoteStateError)) throw error;
        skipped.push(`${candidate.releaseId}: ${error.message}`);
        deps.log.warning(
          `Cannot roll back to ${candidate.releaseId}: ${error.message}`,
          'Berth: rollback target',
        );
      }
    }
    if (!target) {
      const why = !settings.autoRollback
        ? "'auto-rollback' is false"
        : skipped.length > 0
          ? `no earlier release could be verified (${skipped.join('; ')})`
          : 'there is no earlier healthy release to roll back to';
      await session.appendAudit(
        session.auditEntry('deploy', startedAt, {
          from_release: previousReleaseId,
          to_release: releaseId,
          result: `unhealthy`,
          detail: why.slice(0, 500),
        }),
      );
      return {
        ...finished,
        rolledBack: false,
        currentReleaseId: releaseId,
        failure: `Release ${releaseId} is ${health.status} (${health.message}); it was left running because ${why}.`,
      };
    }
    const targetMetadata = target;
    const rollbackHealth = await restoreRelease(
      session,
      tool,
      targetMetadata,
      releaseId,
      settings.health,
      deps,
      phases,
    );
    await session.appendAudit(
      session.auditEntry('deploy', startedAt, {
        from_release: previousReleaseId,
        to_release: targetMetadata.release_id,
        result: 'rolled-back',
        detail: `${releaseId} was ${health.status}; restored ${targetMetadata.release_id} (${rollbackHealth.status})`,
      }),
    );
    return {
      ...finished,
      rolledBack: true,
      currentReleaseId: targetMetadata.release_id,
      rollbackHealth,
      failure:
        `Release ${releaseId} is ${health.status} (${health.message}); rolled back to ${targetMetadata.release_id}, ` +
        `which is ${rollbackHealth.status}.`,
    };
  } finally {
    await session.close();
  }
}

/**
 * The release id for an artifact made now. The same artifact deployed again
 * within one second (after a failed attempt, or with `force`) would get the
 * id of a release that exists; the next free second is taken instead.
 */
async function freeReleaseId(
  session: SiteSession,
  unixSeconds: number,
  hash: string,
): Promise<string> {
  for (let offset = 0; ; offset++) {
    const releaseId = makeReleaseId(unixSeconds + offset, hash);
    const probe = await session.runner.exec(
      pathTakenCommand(releaseDir(session.layout, releaseId)),
    );
    if (probe.stdout.trim() !== 'taken' || offset >= 30) return releaseId;
  }
}

/** Connect, validate, read the site, and print every command a deploy would run. */
async function dryRun(
  settings: DeploySettings,
  deps: OperationDeps,
  session: SiteSession,
  phases: PhaseTimer,
  frozen: readonly FrozenFile[],
): Promise<DeployResult> {
  session.probeCompose();
  const state: SiteState = await phases.run('read site', () => session.readState());
  const tool = await session.requireCompose();
  const { layout } = session;
  const placeholder = 'rel_<unix-time>_<hash>';
  const stagedDir = `${layout.stagingDir}/<staging>`;
  const composePaths = settings.composeFiles.map((f) => f.releasePath);
  const projectDirectory = projectDirectoryOf(composePaths);
  const staged = releaseProject(
    tool,
    settings.projectName,
    stagedDir,
    composePaths,
    projectDirectory,
    false,
  );
  const final = releaseProject(
    tool,
    settings.projectName,
    releaseDir(layout, placeholder),
    composePaths,
    projectDirectory,
  );
  const planned = [
    toCommandLine(
      prepareStagingCommand(layout, '<staging>', parentDirectories(frozen.map((f) => f.path))),
    ),
    ...frozen.map((f) => `sftp put ${stagedDir}/${f.path} (${f.content.length} bytes)`),
    toCommandLine(composeCommand(staged, configSubcommand())),
    ...(settings.pull ? [toCommandLine(composeCommand(staged, pullSubcommand()))] : []),
    toCommandLine(inspectImagesCommand(['<images from compose config>'])),
    toCommandLine(
      tagImagesCommand([
        {
          imageId: '<image id>',
          tag: releaseImageTag(settings.site.site, placeholder, '<service>'),
        },
      ]),
    ),
    toCommandLine(promoteReleaseCommand(stagedDir, releaseDir(layout, placeholder))),
    ...settings.beforeUp.map((argv) => toCommandLine(composeCommand(final, argv))),
    toCommandLine(composeCommand(final, upSubcommand())),
    toCommandLine(switchCurrentCommand(layout, placeholder)),
  ];
  deps.log.info('Dry run: nothing was changed. A deploy would run:');
  for (const line of planned) deps.log.info(`  ${line}`);
  const current = state.currentReleaseId;
  return {
    releaseId: current ?? '',
    previousReleaseId: state.manifest?.previous_release_id ?? null,
    artifactHash: state.currentHash ?? '',
    deployed: false,
    releaseDir: current ? session.absolute(releaseDir(layout, current), state) : '',
    services: [],
    healthStatus: state.manifest?.last_health_status ?? 'unknown',
    rolledBack: false,
    currentReleaseId: current,
    timings: phases.timings,
    target: session.runner.target,
    plannedCommands: planned,
  };
}
