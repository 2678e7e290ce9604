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

/**
 * Removes the one-off `compose run` containers of a project (compose labels
 * them `oneoff=True` in v1 and v2 alike): a before-up command ended by
 * `command-timeout` stops only the compose client, not its container.
 */
export function removeOneOffContainersCommand(projectName: string): string[] {
  return [
    'sh',
    '-c',
    'ids=$(docker ps --all --quiet --filter "label=$1=$2" --filter "label=com.docker.compose.oneoff=True") || exit; ' +
      '[ -z "$ids" ] || exec docker rm --force $ids',
    'berth-rm-oneoff',
    PROJECT_LABEL,
    projectName,
  ];
}
