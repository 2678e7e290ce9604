import type { SiteLayout } from './site-layout.js';

/**
 * Every release's `release.json` in one round trip and a fixed number of
 * processes, whatever the number of releases: `<release-id>\t<json on one
 * line>` (joining lines is safe: JSON strings hold no raw newline), or
 * `<release-id>\t!` when the file is missing, empty or unreadable. Staged or
 * foreign directories are not `rel_…` and are skipped.
 */
export function listReleasesCommand(layout: SiteLayout): string[] {
  const joinFiles =
    'FNR == 1 { if (NR > 1) print ""; d = FILENAME; sub(/\\/.*/, "", d); printf "%s\\t", d } ' +
    '{ printf "%s ", $0 } END { if (NR > 0) print "" }';
  return [
    'sh',
    '-c',
    'cd -- "$1" 2>/dev/null || exit 0; awkprog="$2"; set --; ' +
      'for d in rel_*; do [ -d "$d" ] || continue; ' +
      'if [ -s "$d/release.json" ] && [ -r "$d/release.json" ]; then set -- "$@" "$d/release.json"; ' +
      'else printf "%s\\t!\\n" "$d"; fi; done; ' +
      '[ "$#" -eq 0 ] || exec awk "$awkprog" "$@"',
    'berth-releases',
    layout.releasesDir,
    joinFiles,
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
