import { createHash } from 'node:crypto';

export interface FrozenFile {
  /** Path inside the release directory. */
  readonly path: string;
  readonly content: Buffer;
}

/**
 * sha256 over a release's frozen content: every file (sorted by path, each
 * framed by its path and length so no two layouts collide) and the pinned
 * image id of every service (sorted by service).
 */
export function artifactHash(
  files: readonly FrozenFile[],
  imageIds: Readonly<Record<string, string>>,
): string {
  const hash = createHash('sha256');
  const sortedFiles = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const file of sortedFiles) {
    hash.update(`file\0${file.path}\0${file.content.length}\0`);
    hash.update(file.content);
  }
  for (const service of Object.keys(imageIds).sort()) {
    hash.update(`image\0${service}\0${imageIds[service]}\0`);
  }
  return hash.digest('hex');
}
