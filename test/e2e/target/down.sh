#!/usr/bin/env bash
# Stop what test/e2e/target/up.sh started: its sshd (by pid file) and the dockerd it started (by the
# pid it recorded). Best effort; never touches daemons it did not start. Keys, images, the berth user
# and installed packages are kept, so a following up.sh is quick.
#   --keep-docker   stop only sshd
set -uo pipefail

log() { printf '[berth-target] %s\n' "$*" >&2; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=${BERTH_TARGET_STATE:-$HERE/.state}
keep_docker=false
[ "${1:-}" = --keep-docker ] && keep_docker=true

# alive PID: exists and is not a zombie (orphans are reaped lazily on this kind of machine).
alive() { local st; st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) && [ -n "$st" ] && [ "$st" != Z ]; }

# stop_pid NAME PIDFILE MATCH: kill the pid in PIDFILE if its command line contains MATCH.
stop_pid() {
  local name=$1 pidfile=$2 match=$3 pid
  pid=$(cat "$pidfile" 2>/dev/null) || { log "$name: not started by us"; return 0; }
  if [ -n "$pid" ] && alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$match"; then
    log "stopping $name (pid $pid)"
    kill "$pid" 2>/dev/null
    for _ in $(seq 1 150); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then log "$name did not exit in 15 s; sending KILL"; kill -9 "$pid" 2>/dev/null; fi
  else
    log "$name: not running"
  fi
  rm -f "$pidfile"
}

stop_pid sshd "$STATE/sshd/sshd.pid" "$STATE/sshd/sshd_config"
if ! $keep_docker; then
  # dockerd stops its containers (and its managed containerd) on SIGTERM.
  stop_pid dockerd "$STATE/dockerd.pid" dockerd
fi
exit 0
