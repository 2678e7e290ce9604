import { LockTimeoutError, RemoteCommandError, RemoteStateError } from '../errors.js';
import { composeProbeCommand, parseComposeProbe, type ComposeTool } from '../commands/compose.js';
import {
  LOCK_BUSY_EXIT,
  LOCK_HEARTBEAT_SECONDS,
  LOCK_READY_LINE,
  lockHolderCommand,
  readLockInfoCommand,
  writeLockInfoCommand,
} from '../commands/lock.js';
import {
  appendLineCommand,
  removeTreeCommand,
  siteStateCommand,
  writeFileAtomicCommand,
} from '../commands/release-files.js';
import {
  RELEASE_ID_PATTERN,
  inFlightPath,
  siteLayout,
  type SiteLayout,
} from '../commands/site-layout.js';
import type { SharedSettings } from '../inputs/shared-settings.js';
import {
  auditLine,
  type AuditEntry,
  type HealthStatus,
  type Manifest,
  type ReleaseMetadata,
} from '../release/metadata.js';
import type { HeldProcess, Runner } from '../remote/runner.js';
import type { OperationDeps } from './deps.js';

/** What the target told us about a site in one read-only round trip. */
export interface SiteState {
  readonly home: string;
  readonly currentReleaseId: string | null;
  readonly currentHash: string | null;
  /** The current release's `release.json`, read in the same round trip; null when unreadable. */
  readonly currentMetadata: ReleaseMetadata | null;
  readonly manifest: Manifest | null;
  readonly freeKb: number | null;
  /** Set when `manifest` was rebuilt from `current` because the file was damaged. */
  readonly damagedManifest?: true;
  /** What an operation that stopped between `up` and the switch left in `.in-flight`. */
  readonly inFlight?: string;
}

export function parseSiteState(
  stdout: string,
  layout: SiteLayout,
  site: string,
  warn: (message: string) => void,
  { rewriting = false }: { rewriting?: boolean } = {},
): SiteState {
  const fields = new Map<string, string[]>();
  for (const line of stdout.split('\n')) {
    const [key, ...rest] = line.split('\t');
    if (key) fields.set(key, rest);
  }
  const currentTarget = fields.get('current')?.[0] ?? null;
  let currentReleaseId: string | null = null;
  if (currentTarget !== null) {
    const id = currentTarget.replace(/^releases\//, '');
    if (!RELEASE_ID_PATTERN.test(id) || !currentTarget.startsWith('releases/')) {
      throw new RemoteStateError(
        `${layout.current} points to '${currentTarget}', which is not a Berth release; fix or remove the link`,
      );
    }
    currentReleaseId = id;
    if (fields.has('current_missing')) {
      warn(
        `${layout.current} points to ${currentTarget}, which does not exist (removed by hand?); ` +
          'a deploy, or a rollback to a release that exists, repairs the link',
      );
    }
  }
  const currentMetadata = parseCurrentMetadata(fields.get('current_meta')?.[0], currentReleaseId);
  let manifest: Manifest | null = null;
  let damagedManifest = false;
  const encoded = fields.get('manifest')?.[0];
  if (encoded !== undefined) {
    try {
      if (encoded === '') throw new Error('empty or unreadable');
      const parsed = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as Manifest;
      if (typeof parsed !== 'object' || parsed === null || !('current_release_id' in parsed)) {
        throw new Error('not a manifest object');
      }
      manifest = parsed;
    } catch (error) {
      const health = currentMetadata ? recordedHealth(currentMetadata) : 'unknown';
      const source =
        `${layout.current}` +
        (currentReleaseId
          ? ` (${currentReleaseId}, last health '${health}' from its release.json)`
          : ' (no current release)');
      warn(
        `${layout.manifest} is damaged (${(error as Error).message}); ` +
          (rewriting
            ? `rewriting it from ${source}`
            : `using ${source} instead; the file is rewritten by the next operation that changes the site`),
      );
      manifest = {
        site_id: site,
        current_release_id: currentReleaseId,
        previous_release_id: null,
        last_health_status: health,
        updated_at: new Date(0).toISOString(),
      };
      damagedManifest = true;
    }
  }
  const freeText = fields.get('free_kb')?.[0]?.trim() ?? '';
  const freeKb = /^\d+$/.test(freeText) ? Number(freeText) : NaN;
  return {
    home: fields.get('home')?.[0] ?? '',
    currentReleaseId,
    currentHash: fields.get('current_hash')?.[0]?.trim() || null,
    currentMetadata,
    manifest,
    freeKb: Number.isFinite(freeKb) ? freeKb : null,
    ...(damagedManifest ? { damagedManifest } : {}),
    ...(fields.has('in_flight')
      ? {
          inFlight:
            Buffer.from(fields.get('in_flight')?.[0] ?? '', 'base64')
              .toString('utf8')
              .trim() || 'unknown operation',
        }
      : {}),
  };
}

/** The current release's `release.json` (base64), when it parses and names that release. */
function parseCurrentMetadata(
  encoded: string | undefined,
  releaseId: string | null,
): ReleaseMetadata | null {
  if (!encoded || !releaseId) return null;
  try {
    const metadata = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as ReleaseMetadata;
    return typeof metadata === 'object' && metadata !== null && metadata.release_id === releaseId
      ? metadata
      : null;
  } catch {
    return null;
  }
}

/** A release's recorded health, `unknown` unless it is one of the known verdicts. */
function recordedHealth(metadata: ReleaseMetadata): HealthStatus {
  const status = metadata.health_status;
  return status === 'healthy' || status === 'unhealthy' || status === 'starting'
    ? status
    : 'unknown';
}

/** A connection to the target for one site: state, lock and audit in one place. */
export class SiteSession {
  private lock: HeldProcess | undefined;
  private composeProbe: Promise<ComposeTool | null> | undefined;
  /** Settles once the lock holder is running (or failed): state is read only after that. */
  private locking: Promise<unknown> | undefined;

  private constructor(
    readonly runner: Runner,
    readonly layout: SiteLayout,
    private readonly settings: SharedSettings,
    private readonly deps: OperationDeps,
  ) {}

  static async open(settings: SharedSettings, deps: OperationDeps): Promise<SiteSession> {
    const runner = await deps.connect(settings.connection, {
      onCommand: (label, result) =>
        deps.log.info(result ? `$ ${label}  (${result.durationMs} ms)` : `$ ${label}  (failed)`),
      warn: (message) => deps.log.warning(message, 'Host key not verified'),
      info: (message) => deps.log.info(message),
    });
    return new SiteSession(
      runner,
      siteLayout(settings.site.deployRoot, settings.site.site),
      settings,
      deps,
    );
  }

  /** Absolute form of a target path, for outputs and messages. */
  absolute(path: string, state: SiteState): string {
    return path.startsWith('/') || !state.home ? path : `${state.home}/${path}`;
  }

  /**
   * Reads the site. While the lock is being taken this waits for it: a state
   * read while another operation still holds the lock would be stale by the
   * time this one proceeds. Under the lock, a damaged manifest is rewritten.
   */
  async readState(): Promise<SiteState> {
    await this.locking?.catch(() => undefined);
    const result = await this.runner.exec(siteStateCommand(this.layout));
    const locked = this.lock !== undefined;
    const state = parseSiteState(
      result.stdout,
      this.layout,
      this.settings.site.site,
      (m) => this.deps.log.warning(m, 'Site state repaired'),
      { rewriting: locked },
    );
    if (locked && state.damagedManifest && state.manifest) {
      await this.writeManifest({
        ...state.manifest,
        updated_at: new Date(this.deps.now()).toISOString(),
      });
    }
    return state;
  }

  /**
   * The compose CLI on the target. Probed once, from the moment the session
   * opens and alongside the lock and state reads, so the ~0.1 s it takes to
   * start the compose binary stays off the critical path.
   */
  async requireCompose(): Promise<ComposeTool> {
    this.composeProbe ??= this.runner
      .exec(composeProbeCommand(this.settings.site.composeCommand))
      .then((result) => parseComposeProbe(result.stdout));
    const tool = await this.composeProbe;
    if (tool) return tool;
    const choice = this.settings.site.composeCommand;
    throw new RemoteStateError(
      choice === 'auto'
        ? `Neither 'docker compose' nor 'docker-compose' works on ${this.runner.target} for this user`
        : `'${choice}' (input 'compose-command') does not work on ${this.runner.target} for this user`,
    );
  }

  /** Starts the compose probe without waiting for it. */
  probeCompose(): void {
    this.requireCompose().catch(() => undefined);
  }

  /** Takes the site lock; waits up to `lock-timeout`, then names the holder. */
  async acquireLock(operation: string): Promise<void> {
    const { site, lockTimeoutSeconds } = this.settings.site;
    try {
      const holding = this.runner.hold(
        lockHolderCommand(this.layout, lockTimeoutSeconds),
        LOCK_READY_LINE,
        LOCK_HEARTBEAT_SECONDS * 1000,
      );
      this.locking = holding;
      this.lock = await holding;
    } catch (error) {
      if (error instanceof RemoteCommandError && error.exitCode === LOCK_BUSY_EXIT) {
        const info = await this.runner
          .exec(readLockInfoCommand(this.layout))
          .then((r) => r.stdout.trim())
          .catch(() => '');
        throw new LockTimeoutError(site, lockTimeoutSeconds, info);
      }
      throw error;
    }
    const { run } = this.deps;
    const info = JSON.stringify({
      operation,
      actor: run.actor,
      run_url: run.runUrl,
      started_at: new Date(this.deps.now()).toISOString(),
    });
    await this.runner.exec(writeLockInfoCommand(this.layout, info));
  }

  /** Marks the site as between `up` and the switch (cleared by `clearInFlight`). */
  async markInFlight(operation: string, releaseId: string): Promise<void> {
    const { run } = this.deps;
    const info = JSON.stringify({
      operation,
      release_id: releaseId,
      actor: run.actor,
      run_url: run.runUrl,
      started_at: new Date(this.deps.now()).toISOString(),
    });
    await this.runner.exec(writeFileAtomicCommand(inFlightPath(this.layout), info + '\n'));
  }

  async clearInFlight(): Promise<void> {
    await this.runner.exec(removeTreeCommand(inFlightPath(this.layout)));
  }

  async writeManifest(manifest: Manifest): Promise<void> {
    await this.runner.exec(
      writeFileAtomicCommand(this.layout.manifest, JSON.stringify(manifest, null, 2) + '\n'),
    );
  }

  async appendAudit(entry: AuditEntry, logPath = this.layout.auditLog): Promise<void> {
    await this.runner.exec(appendLineCommand(logPath, auditLine(entry)));
  }

  auditEntry(
    operation: string,
    startedAt: number,
    fields: Pick<AuditEntry, 'from_release' | 'to_release' | 'result'> & { detail?: string },
  ): AuditEntry {
    const { run } = this.deps;
    return {
      time: new Date(this.deps.now()).toISOString(),
      operation,
      site: this.settings.site.site,
      actor: run.actor,
      run_url: run.runUrl,
      ...fields,
      duration_ms: this.deps.now() - startedAt,
    };
  }

  async close(): Promise<void> {
    try {
      await this.lock?.release();
    } finally {
      this.lock = undefined;
      await this.runner.close();
    }
  }
}
