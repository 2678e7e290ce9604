import { createHash } from 'node:crypto';

/** Label every compose version puts on the containers of a project. */
export const PROJECT_LABEL = 'com.docker.compose.project';

/** One output line per reference, in order: `<image id>\t<repo digests as JSON>`. */
export function inspectImagesCommand(references: readonly string[]): string[] {
  return [
    'docker',
    'image',
    'inspect',
    '--format',
    '{{.Id}}\t{{json .RepoDigests}}',
    '--',
    ...references,
  ];
}

/** Tags each image id with its release tag, in one process on the target. */
export function tagImagesCommand(pairs: ReadonlyArray<{ imageId: string; tag: string }>): string[] {
  return [
    'sh',
    '-c',
    'while [ "$#" -ge 2 ]; do docker tag "$1" "$2" || exit; shift 2; done',
    'berth-tag',
    ...pairs.flatMap((pair) => [pair.imageId, pair.tag]),
  ];
}

/** Removes tags; an image disappears only when no container and no other tag uses it. */
export function untagImagesCommand(tags: readonly string[]): string[] {
  return ['docker', 'image', 'rm', '--no-prune', '--', ...tags];
}

/** Local tag that keeps a release's image alive: `berth/<site>:<release-id>-<service>`. */
export function releaseImageTag(site: string, releaseId: string, service: string): string {
  const safeService = service.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 90);
  return `berth/${imageRepositoryName(site)}:${releaseId}-${safeService}`;
}

/**
 * Docker repository names are lower-case alphanumerics joined by single
 * separators. A site name is lower-cased; one that is still not valid
 * (`shop-`, `a_-b`) gets a normalised name plus a short hash of the original.
 */
export function imageRepositoryName(site: string): string {
  const lower = site.toLowerCase();
  if (/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/.test(lower)) return lower;
  const normalised =
    lower
      .split(/[^a-z0-9]+/)
      .filter(Boolean)
      .join('-') || 'site';
  return `${normalised}-${createHash('sha256').update(site).digest('hex').slice(0, 6)}`;
}
