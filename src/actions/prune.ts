import { untagImagesCommand } from '../commands/docker.js';
import { diskUsageCommand } from '../commands/releases.js';
import { releaseDir } from '../commands/site-layout.js';
import type { OperationDeps } from './deps.js';
import { listReleases, sortOldestFirst, type ReleaseEntry } from './release-store.js';
import type { SiteSession } from './site-session.js';

export interface PruneOutcome {
  readonly pruned: readonly string[];
  readonly kept: readonly string[];
  readonly freedBytes: number;
}

/**
 * Which releases go: the oldest beyond the newest `keep`, never the current
 * one, never a pinned one, never one whose `release.json` is unreadable (it
 * may be something we do not understand, and it is never deleted blindly).
 */
export function choosePrunable(
  releases: readonly ReleaseEntry[],
  keep: number,
  currentId: string | null,
): { prune: ReleaseEntry[]; keep: ReleaseEntry[] } {
  const newestFirst = sortOldestFirst(releases).reverse();
  const prune: ReleaseEntry[] = [];
  const kept: ReleaseEntry[] = [];
  newestFirst.forEach((release, index) => {
    const protectedRelease =
      index < keep ||
      release.releaseId === currentId ||
      release.metadata === null ||
      release.metadata.pinned === true;
    (protectedRelease ? kept : prune).push(release);
  });
  return { prune: prune.reverse(), keep: kept };
}

/** Deletes prunable releases and their image tags; the caller holds the lock. */
export async function pruneReleases(
  session: SiteSession,
  keep: number,
  currentId: string | null,
  deps: OperationDeps,
  dryRun: boolean,
): Promise<PruneOutcome> {
  const startedAt = deps.now();
  const releases = await listReleases(session);
  const plan = choosePrunable(releases, keep, currentId);
  const kept = plan.keep.map((r) => r.releaseId);
  const pruned = plan.prune.map((r) => r.releaseId);
  if (pruned.length === 0) {
    deps.log.info(`Nothing to prune: ${kept.length} release(s), keep ${keep}.`);
    return { pruned, kept, freedBytes: 0 };
  }
  const dirs = pruned.map((id) => releaseDir(session.layout, id));
  const usage = await session.runner.exec(diskUsageCommand(dirs));
  const freedBytes = usage.stdout
    .split('\n')
    .map((line) => Number(line.split('\t')[0]))
    .filter(Number.isFinite)
    .reduce((sum, bytes) => sum + bytes, 0);
  if (dryRun) {
    deps.log.info(
      `Dry run: would delete ${pruned.join(', ')} (${freedBytes} bytes); keeps ${kept.join(', ')}.`,
    );
    return { pruned, kept, freedBytes };
  }
  const tags = plan.prune.flatMap((r) => r.metadata?.services.map((s) => s.pinned_tag) ?? []);
  await session.runner.exec(['rm', '-rf', '--', ...dirs]);
  if (tags.length > 0) {
    // Exit 1 when a tag is already gone; the rest are still removed.
    const untag = await session.runner.exec(untagImagesCommand(tags), { okCodes: [0, 1] });
    if (untag.code !== 0)
      deps.log.info(`Some image tags were already gone: ${untag.stderr.trim()}`);
  }
  deps.log.info(`Deleted ${pruned.join(', ')} (${freedBytes} bytes); kept ${kept.join(', ')}.`);
  await session.appendAudit(
    session.auditEntry('prune', startedAt, {
      from_release: null,
      to_release: null,
      result: 'success',
      detail: `deleted ${pruned.join(', ')}; freed ${freedBytes} bytes`,
    }),
  );
  return { pruned, kept, freedBytes };
}
