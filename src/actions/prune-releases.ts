import type { PruneSettings } from '../inputs/operation-settings.js';
import type { OperationDeps } from './deps.js';
import { PhaseTimer } from './phase-timer.js';
import { pruneReleases, type PruneOutcome } from './prune.js';
import { SiteSession } from './site-session.js';

export interface PruneResult extends PruneOutcome {
  readonly currentReleaseId: string | null;
  readonly dryRun: boolean;
  readonly target: string;
}

export async function pruneReleasesAction(
  settings: PruneSettings,
  deps: OperationDeps,
): Promise<PruneResult> {
  const phases = new PhaseTimer(deps.log, deps.now);
  const session = await phases.run('connect', () => SiteSession.open(settings, deps));
  try {
    const dryRun = settings.site.dryRun;
    const state = await phases.run('lock', async () => {
      const [, state] = await Promise.all([
        dryRun ? Promise.resolve() : session.acquireLock('prune'),
        session.readState(),
      ]);
      return state;
    });
    const startedAt = deps.now();
    const outcome = await phases.run('prune', () =>
      pruneReleases(session, settings.keep, state.currentReleaseId, deps, dryRun),
    );
    if (!dryRun && outcome.pruned.length === 0 && state.currentReleaseId) {
      // pruneReleases audits deletions; an operation that deleted nothing is audited here.
      await session.appendAudit(
        session.auditEntry('prune', startedAt, {
          from_release: null,
          to_release: null,
          result: 'success',
          detail: `nothing to delete; ${outcome.kept.length} release(s), keep ${settings.keep}`,
        }),
      );
    }
    return {
      ...outcome,
      currentReleaseId: state.currentReleaseId,
      dryRun,
      target: session.runner.target,
    };
  } finally {
    await session.close();
  }
}
