import { PROJECT_LABEL } from './docker.js';

/** All containers of a compose project, inspected in one round trip (v1 and v2 label alike). */
export function projectContainerStatesCommand(projectName: string): string[] {
  return [
    'sh',
    '-c',
    'ids=$(docker ps --all --quiet --no-trunc --filter "label=$1=$2") || exit; ' +
      '[ -z "$ids" ] || exec docker container inspect --format "{{json .}}" $ids',
    'berth-containers',
    PROJECT_LABEL,
    projectName,
  ];
}

/** Last `lines` log lines of each container, each block headed by the container name. */
export function containerLogsCommand(containers: readonly string[], lines: number): string[] {
  return [
    'sh',
    '-c',
    'n="$1"; shift; for c in "$@"; do printf "==== %s ====\\n" "$c"; docker logs --tail "$n" "$c" 2>&1; done',
    'berth-logs',
    String(lines),
    ...containers,
  ];
}

/** Label Berth puts on the containers of `compose run` in before-up, to find them again. */
export const BEFORE_UP_LABEL = 'berth.before-up';

/** `run …` with Berth's label added (other compose subcommands unchanged). */
export function labelRunArgs(argv: readonly string[], value: string): string[] {
  return argv[0] === 'run'
    ? ['run', '--label', `${BEFORE_UP_LABEL}=${value}`, ...argv.slice(1)]
    : [...argv];
}

/**
 * Removes the containers a before-up `run` left behind: a command ended by
 * 'command-timeout' only stops the compose client, not its container.
 */
export function removeBeforeUpContainersCommand(value: string): string[] {
  return [
    'sh',
    '-c',
    'ids=$(docker ps --all --quiet --filter "label=$1") || exit; ' +
      '[ -z "$ids" ] || exec docker rm --force $ids',
    'berth-rm-before-up',
    `${BEFORE_UP_LABEL}=${value}`,
  ];
}
