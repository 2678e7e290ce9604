import { RELEASE_FILES, type SiteLayout } from './site-layout.js';

/**
 * Every complete release's `release.json` in one round trip, as
 * `<release-id>\t<base64>` lines (`!` when missing or unreadable). Staged
 * or foreign directories are not `rel_…` and are skipped.
 */
export function listReleasesCommand(layout: SiteLayout): string[] {
  return [
    'sh',
    '-c',
    'cd -- "$1" 2>/dev/null || exit 0; for d in rel_*; do [ -d "$d" ] || continue; ' +
      'if [ -r "$d/$2" ]; then printf "%s\\t%s\\n" "$d" "$(base64 -w0 < "$d/$2")"; else printf "%s\\t!\\n" "$d"; fi; done',
    'berth-releases',
    layout.releasesDir,
    RELEASE_FILES.metadata,
  ];
}

/** Image ids behind tags, one line each (`-` when the tag is gone). */
export function resolveTagsCommand(tags: readonly string[]): string[] {
  return [
    'sh',
    '-c',
    'for t in "$@"; do docker image inspect --format "{{.Id}}" -- "$t" 2>/dev/null || echo -; done',
    'berth-resolve',
    ...tags,
  ];
}

/** Disk use of directories in bytes (`du -sb`), one line each. */
export function diskUsageCommand(paths: readonly string[]): string[] {
  return ['sh', '-c', 'du -sb -- "$@" 2>/dev/null || true', 'berth-du', ...paths];
}
