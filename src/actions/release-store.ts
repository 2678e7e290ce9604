import { RemoteStateError } from '../errors.js';
import { readFilesCommand, writeFileAtomicCommand } from '../commands/release-files.js';
import { listReleasesCommand, resolveTagsCommand } from '../commands/releases.js';
import { RELEASE_FILES, RELEASE_ID_PATTERN, releaseDir } from '../commands/site-layout.js';
import { artifactHash } from '../release/artifact-hash.js';
import type { ReleaseMetadata } from '../release/metadata.js';
import type { SiteSession } from './site-session.js';

export interface ReleaseEntry {
  readonly releaseId: string;
  /** null when `release.json` is missing or damaged: such a release is never chosen. */
  readonly metadata: ReleaseMetadata | null;
}

/** All releases, oldest first, from one remote command whatever their number. */
export async function listReleases(session: SiteSession): Promise<ReleaseEntry[]> {
  const { stdout } = await session.runner.exec(listReleasesCommand(session.layout));
  const entries: ReleaseEntry[] = [];
  for (const line of stdout.split('\n')) {
    const tab = line.indexOf('\t');
    const releaseId = tab === -1 ? line.trim() : line.slice(0, tab);
    const json = tab === -1 ? '' : line.slice(tab + 1).trim();
    if (!RELEASE_ID_PATTERN.test(releaseId)) continue;
    let metadata: ReleaseMetadata | null = null;
    if (json && json !== '!') {
      try {
        metadata = JSON.parse(json) as ReleaseMetadata;
        if (metadata.release_id !== releaseId) metadata = null;
      } catch {
        metadata = null;
      }
    }
    entries.push({ releaseId, metadata });
  }
  return sortOldestFirst(entries);
}

/**
 * Age order of a release: its `created_at` (milliseconds), else the second in
 * its id, then the id. Two releases made within one second differ only in
 * their hash part, so the id alone cannot order them.
 */
export function releaseAgeKey(entry: ReleaseEntry): string {
  const seconds = Number(entry.releaseId.slice(4, 14));
  const created = entry.metadata?.created_at ?? new Date(seconds * 1000).toISOString();
  return `${created}|${entry.releaseId}`;
}

export function sortOldestFirst(entries: readonly ReleaseEntry[]): ReleaseEntry[] {
  const keyed = entries.map((entry) => ({ entry, key: releaseAgeKey(entry) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map(({ entry }) => entry);
}

/**
 * The automatic rollback target: the newest release older than `currentId`
 * whose recorded health is not `unhealthy`.
 */
export function pickRollbackTarget(
  releases: readonly ReleaseEntry[],
  currentId: string | null,
): ReleaseEntry | undefined {
  const ordered = sortOldestFirst(releases);
  const currentIndex = ordered.findIndex((r) => r.releaseId === currentId);
  const older =
    currentId === null || currentIndex === -1 ? ordered : ordered.slice(0, currentIndex);
  return older
    .reverse()
    .find((r) => r.metadata !== null && r.metadata.health_status !== 'unhealthy');
}

/**
 * Where an automatic rollback may go, best first: the release that was
 * serving before the failed deploy (when it is not marked unhealthy), then
 * the other releases older than the failed one, newest first.
 */
export function autoRollbackCandidates(
  releases: readonly ReleaseEntry[],
  failedId: string,
  previousId: string | null,
): ReleaseEntry[] {
  const ordered = sortOldestFirst(releases);
  const failedIndex = ordered.findIndex((r) => r.releaseId === failedId);
  const older = (failedIndex === -1 ? ordered : ordered.slice(0, failedIndex))
    .reverse()
    .filter((r) => r.metadata !== null && r.metadata.health_status !== 'unhealthy');
  const previous = older.find((r) => r.releaseId === previousId);
  return previous ? [previous, ...older.filter((r) => r !== previous)] : older;
}

/**
 * Checks a release before anything changes: its files are all there and
 * readable, its artifact hash matches a recomputation, and each pinned image
 * tag still names the recorded image. Returns the release's metadata.
 */
export async function verifyRelease(
  session: SiteSession,
  releaseId: string,
): Promise<ReleaseMetadata> {
  const dir = releaseDir(session.layout, releaseId);
  const metaPath = `${dir}/${RELEASE_FILES.metadata}`;
  const first = await session.runner.exec(
    readFilesCommand([metaPath, `${dir}/${RELEASE_FILES.artifactHash}`]),
  );
  const [metaLine, hashLine] = first.stdout.split('\n');
  const metaEncoded = metaLine?.split('\t')[1];
  if (!metaEncoded || metaEncoded === '!') {
    throw new RemoteStateError(
      `Release ${releaseId} is missing or incomplete: ${metaPath} cannot be read`,
    );
  }
  let metadata: ReleaseMetadata;
  try {
    metadata = JSON.parse(Buffer.from(metaEncoded, 'base64').toString('utf8')) as ReleaseMetadata;
  } catch {
    throw new RemoteStateError(`${metaPath} is not valid JSON`);
  }
  const malformed = malformedFields(metadata);
  if (malformed.length > 0) {
    throw new RemoteStateError(
      `${metaPath} is damaged: ${malformed.join(', ')} missing or wrong; the release cannot be verified`,
    );
  }
  const recordedHash = Buffer.from(hashLine?.split('\t')[1] ?? '', 'base64')
    .toString('utf8')
    .trim();
  if (!/^[a-f0-9]{64}$/.test(recordedHash)) {
    throw new RemoteStateError(`${dir}/${RELEASE_FILES.artifactHash} is missing or damaged`);
  }
  const required = [...metadata.files, RELEASE_FILES.pinOverride];
  const contents = await session.runner.exec(readFilesCommand(required.map((f) => `${dir}/${f}`)));
  const files = [];
  for (const [index, line] of contents.stdout.split('\n').filter(Boolean).entries()) {
    const encoded = line.split('\t')[1];
    const path = required[index] ?? '';
    if (encoded === undefined || encoded === '!') {
      throw new RemoteStateError(`Release ${releaseId}: ${dir}/${path} is missing or unreadable`);
    }
    if (path !== RELEASE_FILES.pinOverride)
      files.push({ path, content: Buffer.from(encoded, 'base64') });
  }
  const imageIds = Object.fromEntries(metadata.services.map((s) => [s.service, s.image_id]));
  const recomputed = artifactHash(files, imageIds);
  if (recordedHash !== metadata.artifact_hash) {
    throw new RemoteStateError(
      `Release ${releaseId} was modified after it was made: ${dir}/${RELEASE_FILES.artifactHash} ` +
        `(${recordedHash.slice(0, 12)}…) and ${metaPath} (${String(metadata.artifact_hash).slice(0, 12)}…) disagree`,
    );
  }
  if (recomputed !== recordedHash) {
    throw new RemoteStateError(
      `Release ${releaseId} was modified after it was made: its files in ${dir} ` +
        `(${metadata.files.join(', ')}) and the image ids in ${RELEASE_FILES.metadata} hash to ` +
        `${recomputed.slice(0, 12)}…, not to the recorded ${recordedHash.slice(0, 12)}…`,
    );
  }
  const tags = metadata.services.map((s) => s.pinned_tag);
  const resolved = (await session.runner.exec(resolveTagsCommand(tags))).stdout.split('\n');
  const missing = metadata.services.filter((s, i) => resolved[i]?.trim() !== s.image_id);
  if (missing.length > 0) {
    throw new RemoteStateError(
      `Release ${releaseId} cannot run: pinned image(s) missing on the host: ` +
        missing
          .map((s) => `${s.service} (${s.pinned_tag} = ${s.image_id.slice(0, 19)})`)
          .join(', '),
    );
  }
  return metadata;
}

/** The fields of a parsed `release.json` that verification relies on and that are unusable. */
function malformedFields(metadata: unknown): string[] {
  if (typeof metadata !== 'object' || metadata === null) return ['the whole object'];
  const m = metadata as Record<string, unknown>;
  const isString = (v: unknown): boolean => typeof v === 'string';
  const bad: string[] = [];
  if (!Array.isArray(m.files) || !m.files.every(isString)) bad.push('files');
  if (
    !Array.isArray(m.services) ||
    !m.services.every(
      (s: unknown) =>
        typeof s === 'object' &&
        s !== null &&
        ['service', 'image_id', 'pinned_tag'].every((k) =>
          isString((s as Record<string, unknown>)[k]),
        ),
    )
  )
    bad.push('services');
  return bad;
}

/** A release's `release.json`, or null when it is missing or not JSON. */
export async function readMetadata(
  session: SiteSession,
  releaseId: string,
): Promise<ReleaseMetadata | null> {
  const path = `${releaseDir(session.layout, releaseId)}/${RELEASE_FILES.metadata}`;
  const { stdout } = await session.runner.exec(readFilesCommand([path]));
  const encoded = stdout.split('\t')[1]?.trim();
  if (!encoded || encoded === '!') return null;
  try {
    return JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as ReleaseMetadata;
  } catch {
    return null;
  }
}

/** Rewrites a release's `release.json` (atomically: temp file, then rename). */
export async function writeMetadata(
  session: SiteSession,
  metadata: ReleaseMetadata,
): Promise<void> {
  await session.runner.exec(
    writeFileAtomicCommand(
      `${releaseDir(session.layout, metadata.release_id)}/${RELEASE_FILES.metadata}`,
      JSON.stringify(metadata, null, 2) + '\n',
    ),
  );
}
