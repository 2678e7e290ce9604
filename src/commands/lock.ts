import type { SiteLayout } from './site-layout.js';

/** Exit status `flock -E` reports when the lock stayed busy for the whole wait. */
export const LOCK_BUSY_EXIT = 75;
export const LOCK_READY_LINE = 'BERTH-LOCKED';
/** The holder gives up when no heartbeat arrives for this long (silent client death). */
export const LOCK_HEARTBEAT_SECONDS = 15;
const WATCHDOG_SECONDS = LOCK_HEARTBEAT_SECONDS * 4;

/**
 * A process of our own SSH session holds an exclusive flock on `.lock` for
 * as long as its input stays open. A killed job closes the connection, the
 * input reaches EOF, the holder exits and the kernel frees the lock. Where
 * bash exists, a `read -t` watchdog also frees it when heartbeats stop
 * arriving from a client that vanished without closing the connection.
 */
export function lockHolderCommand(layout: SiteLayout, timeoutSeconds: number): string[] {
  const holder =
    `echo ${LOCK_READY_LINE}; ` +
    `if command -v bash >/dev/null 2>&1; then exec bash -c 'while read -r -t ${WATCHDOG_SECONDS} _; do :; done'; ` +
    'else exec cat >/dev/null; fi';
  return [
    'sh',
    '-c',
    'mkdir -p -- "$1" && exec flock $2 -E ' + LOCK_BUSY_EXIT + ' "$1/.lock" sh -c "$3"',
    'berth-lock',
    layout.siteDir,
    // `-w 0` would not mean "do not wait", so zero becomes `-n`.
    timeoutSeconds > 0 ? `-w${timeoutSeconds}` : '-n',
    holder,
  ];
}

export function writeLockInfoCommand(layout: SiteLayout, info: string): string[] {
  return ['sh', '-c', 'printf "%s\\n" "$2" > "$1"', 'berth-lock-info', layout.lockInfo, info];
}

export function readLockInfoCommand(layout: SiteLayout): string[] {
  return ['sh', '-c', 'cat -- "$1" 2>/dev/null || true', 'berth-lock-holder', layout.lockInfo];
}
