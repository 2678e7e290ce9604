#!/usr/bin/env bash
# `npm run demo`: bring up the local test target (Docker engine, sshd on
# 127.0.0.1:2222, user `berth`), deploy a demo site with the built
# deploy-release bundle exactly as the Actions runner would, and print its
# URL and release id. Run it again to see an unchanged (no-op) deploy;
# DEMO_VERSION=v2 npm run demo switches the site to the v2 image.
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/e2e/target/up.sh
# shellcheck disable=SC1091
set -a; . test/e2e/target/.state/target.env; set +a

port=${DEMO_PORT:-18080}
version=${DEMO_VERSION:-v1}
workspace=$(mktemp -d /tmp/berth-demo.XXXXXX)
trap 'rm -rf "$workspace"' EXIT
mkdir -p "$workspace/deploy"
cat >"$workspace/deploy/compose.yml" <<'YAML'
services:
  web:
    image: "berth-fixture/web:${WEB_TAG}"
    network_mode: host
    environment:
      PORT: "${WEB_PORT}"
YAML

out=$(mktemp); summary=$(mktemp)
export GITHUB_WORKSPACE=$workspace GITHUB_OUTPUT=$out GITHUB_STEP_SUMMARY=$summary \
  GITHUB_STATE=/dev/null GITHUB_ACTOR=demo GITHUB_REPOSITORY=acme/demo GITHUB_SHA=demo
export INPUT_HOST=$BERTH_TEST_HOST INPUT_PORT=$BERTH_TEST_PORT INPUT_USERNAME=$BERTH_TEST_USER
env "INPUT_PRIVATE-KEY=$(cat "$BERTH_TEST_KEY")" \
  "INPUT_KNOWN-HOSTS=$(cat "$BERTH_TEST_KNOWN_HOSTS")" \
  INPUT_SITE=demo \
  "INPUT_COMPOSE-FILE=deploy/compose.yml" \
  "INPUT_ENV=WEB_PORT=$port
WEB_TAG=$version" \
  INPUT_PULL=false \
  "INPUT_HEALTH-URL=http://127.0.0.1:$port/health" \
  "INPUT_HEALTH-BACKOFF=0.2" \
  "$BERTH_TEST_NODE24" dist/deploy-release/index.js

release=$(grep -A1 '^release-id<<' "$out" | tail -1)
echo
echo "Demo site 'demo' is serving $(wget -qO- "http://127.0.0.1:$port/version" 2>/dev/null || busybox wget -qO- "http://127.0.0.1:$port/version") at http://127.0.0.1:$port/ (release $release)"
echo "Release files: /home/$BERTH_TEST_USER/berth/demo/ on the target."
