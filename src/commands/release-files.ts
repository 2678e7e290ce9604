import { IN_FLIGHT_FILE, RELEASE_FILES, type SiteLayout } from './site-layout.js';

/**
 * Read-only look at a site: login directory, current release (and whether
 * its directory exists), its artifact hash and release.json, the manifest
 * (base64, one line) and the free space. Prints `key<TAB>value` lines.
 */
export function siteStateCommand(layout: SiteLayout): string[] {
  const script = [
    'site="$1"',
    'printf "home\\t%s\\n" "$HOME"',
    'if [ -L "$site/current" ]; then printf "current\\t%s\\n" "$(readlink "$site/current")"; [ -d "$site/current" ] || printf "current_missing\\t1\\n"; fi',
    'if [ -f "$site/current/' +
      RELEASE_FILES.artifactHash +
      '" ]; then printf "current_hash\\t%s\\n" "$(head -c 200 "$site/current/' +
      RELEASE_FILES.artifactHash +
      '")"; fi',
    'if [ -f "$site/current/' +
      RELEASE_FILES.metadata +
      '" ]; then printf "current_meta\\t%s\\n" "$(base64 -w0 < "$site/current/' +
      RELEASE_FILES.metadata +
      '")"; fi',
    'if [ -f "$site/manifest.json" ]; then printf "manifest\\t%s\\n" "$(base64 -w0 < "$site/manifest.json")"; fi',
    'if [ -f "$site/' +
      IN_FLIGHT_FILE +
      '" ]; then printf "in_flight\\t%s\\n" "$(base64 -w0 < "$site/' +
      IN_FLIGHT_FILE +
      '")"; fi',
    'd="$site"; while [ ! -d "$d" ]; do case "$d" in */*) d="${d%/*}";; *) d=.; esac; [ -n "$d" ] || d=/; done',
    'printf "free_kb\\t%s\\n" "$(df -Pk -- "$d" | awk "NR==2 {print \\$4}")"',
  ].join('\n');
  return ['sh', '-c', script, 'berth-state', layout.siteDir];
}

/** Clears leftovers of interrupted runs (safe: only called under the lock) and makes a staging dir. */
export function prepareStagingCommand(
  layout: SiteLayout,
  stagingName: string,
  subdirectories: readonly string[],
): string[] {
  return [
    'sh',
    '-c',
    'staging="$1"; shift; rm -rf -- "$staging" && mkdir -p -- "$@" && chmod 700 -- "$1"',
    'berth-stage',
    layout.stagingDir,
    `${layout.stagingDir}/${stagingName}`,
    ...subdirectories.map((dir) => `${layout.stagingDir}/${stagingName}/${dir}`),
    layout.releasesDir,
  ];
}

/** Prints `taken` when something exists at `path`. */
export function pathTakenCommand(path: string): string[] {
  return ['sh', '-c', 'if [ -e "$1" ] || [ -L "$1" ]; then echo taken; fi', 'berth-taken', path];
}

/** Atomic rename of a complete release into `releases/` (fails if the name is taken). */
export function promoteReleaseCommand(stagedDir: string, releaseDir: string): string[] {
  return ['mv', '-T', '--', stagedDir, releaseDir];
}

export function removeTreeCommand(path: string): string[] {
  return ['rm', '-rf', '--', path];
}

/** New symlink beside `current`, then rename over it: readers never see it missing. */
export function switchCurrentCommand(layout: SiteLayout, releaseId: string): string[] {
  return [
    'sh',
    '-c',
    'ln -sfn -- "$2" "$1.next" && mv -T -- "$1.next" "$1"',
    'berth-switch',
    layout.current,
    `releases/${releaseId}`,
  ];
}

/** Writes `content` to a temp file beside `path` and renames it over. */
export function writeFileAtomicCommand(path: string, content: string): string[] {
  return [
    'sh',
    '-c',
    'printf "%s" "$2" > "$1.tmp.$$" && mv -f -- "$1.tmp.$$" "$1"',
    'berth-write',
    path,
    content,
  ];
}

/** One line appended with O_APPEND, so concurrent writers never interleave a line. */
export function appendLineCommand(path: string, line: string): string[] {
  return ['sh', '-c', 'printf "%s\\n" "$2" >> "$1"', 'berth-append', path, line];
}

/** Prints each named file as `<path>\t<base64>` for reading several files in one round trip. */
export function readFilesCommand(paths: readonly string[]): string[] {
  return [
    'sh',
    '-c',
    'for f in "$@"; do if [ -f "$f" ] && [ -r "$f" ]; then printf "%s\\t%s\\n" "$f" "$(base64 -w0 < "$f")"; else printf "%s\\t!\\n" "$f"; fi; done',
    'berth-read',
    ...paths,
  ];
}
