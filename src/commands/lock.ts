import type { SiteLayout } from './site-layout.js';

/** Exit status `flock -E` reports when the lock stayed busy for the whole wait. */
export const LOCK_BUSY_EXIT = 75;
export const LOCK_READY_LINE = 'BERTH-LOCKED';
/** The holder gives up when no heartbeat arrives for this long (silent client death). */
export const LOCK_HEARTBEAT_SECONDS = 15;
const WATCHDOG_SECONDS = LOCK_HEARTBEAT_SECONDS * 4;

/** Held shared by long commands run under the site lock (see `underSiteLock`). */
export const OPS_LOCK_FILE = '.lock.ops';

/**
 * A process of our own SSH session holds an exclusive flock on `.lock` for
 * as long as its input stays open. A killed job closes the connection, the
 * input reaches EOF, the holder exits and the kernel frees the lock. Where
 * bash exists, a `read -t` watchdog also frees it when heartbeats stop
 * arriving from a client that vanished without closing the connection.
 * Before it exits, the holder waits for the commands it covered that are
 * still running on the server (`underSiteLock`): those outlive a killed job,
 * and the next operation must not start beside them.
 */
export function lockHolderCommand(layout: SiteLayout, timeoutSeconds: number): string[] {
  const holder =
    `echo ${LOCK_READY_LINE}; ` +
    `if command -v bash >/dev/null 2>&1; then bash -c 'while read -r -t ${WATCHDOG_SECONDS} _; do :; done'; ` +
    'else cat >/dev/null; fi; ' +
    `exec flock -x "$1/${OPS_LOCK_FILE}" true`;
  return [
    'sh',
    '-c',
    'mkdir -p -- "$1" && exec flock $2 -E ' +
      LOCK_BUSY_EXIT +
      ' "$1/.lock" sh -c "$3" berth-lock-holder "$1"',
    'berth-lock',
    layout.siteDir,
    // `-w 0` would not mean "do not wait", so zero becomes `-n`.
    timeoutSeconds > 0 ? `-w${timeoutSeconds}` : '-n',
    holder,
  ];
}

/**
 * Runs a long command (before-up, `compose up`) holding `.lock.ops` shared.
 * If the job dies, the command goes on running on the server; the site lock
 * is then only freed when it has finished (only the lock holder's session
 * runs such commands, so the shared lock is never contended). Its output goes
 * to temporary files and is printed when it ends: a command writing to the
 * connection of a job that is gone would die of SIGPIPE half way, e.g.
 * between removing the old containers and starting the new ones.
 */
export function underSiteLock(layout: SiteLayout, argv: readonly string[]): string[] {
  return [
    'sh',
    '-c',
    'f="$1"; shift; ' +
      'o=$(mktemp 2>/dev/null) && e=$(mktemp 2>/dev/null) || exec flock -s "$f" "$@"; ' +
      // Printed (and removed) on any exit, also when `timeout` (command-timeout) ends it.
      `trap 'cat -- "$o"; cat -- "$e" >&2; rm -f -- "$o" "$e"' EXIT; trap 'exit 143' INT TERM; ` +
      'flock -s "$f" "$@" >"$o" 2>"$e"; exit "$?"',
    'berth-locked',
    `${layout.siteDir}/${OPS_LOCK_FILE}`,
    ...argv,
  ];
}

export function writeLockInfoCommand(layout: SiteLayout, info: string): string[] {
  return ['sh', '-c', 'printf "%s\\n" "$2" > "$1"', 'berth-lock-info', layout.lockInfo, info];
}

export function readLockInfoCommand(layout: SiteLayout): string[] {
  return ['sh', '-c', 'cat -- "$1" 2>/dev/null || true', 'berth-lock-holder', layout.lockInfo];
}
