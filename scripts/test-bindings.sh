#!/usr/bin/env bash
# CI for the Node and Python packages: builds both bindings in the debug profile (so they reuse
# what `cargo test --workspace` built in the same target/), runs their tests and the two upload
# examples over loopback. Tools are cached under target/ci-tools/ and installed only when missing:
# @napi-rs/cli from npm, a venv with maturin and pytest from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
tools="$CARGO_TARGET_DIR/ci-tools"

napi="$tools/napi/node_modules/.bin/napi"
if [ ! -x "$napi" ]; then
  mkdir -p "$tools/napi"
  npm install --prefix "$tools/napi" --no-audit --no-fund --silent @napi-rs/cli@3.10.12
fi
venv="$tools/bindings-venv"
if [ ! -x "$venv/bin/maturin" ] || [ ! -x "$venv/bin/pytest" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet maturin==1.16.0 pytest==9.2.0
fi

# The fixtures are made with the skillsig command (already built by `cargo test --workspace`).
cargo build --locked --quiet -p skillsig-cli
export SKILLSIG_BIN="$CARGO_TARGET_DIR/debug/skillsig"

echo "== Node: build (napi-rs), tests, upload example"
(cd bindings/node && "$napi" build --platform --target-dir "$CARGO_TARGET_DIR" -- --locked --quiet)
# index.js and index.d.ts are generated and committed: they must be what the build makes.
git diff --exit-code -- bindings/node/index.js bindings/node/index.d.ts
(cd bindings/node && node --test test/)
(cd examples/registry-upload-node && npm install --offline --no-audit --no-fund --silent && node --test)

echo "== Python: build (maturin, abi3), tests, upload example"
(cd bindings/python && VIRTUAL_ENV="$venv" "$venv/bin/maturin" develop --locked --quiet)
"$venv/bin/python" -m pytest -q bindings/python/tests
(cd examples/registry-upload-python && "$venv/bin/python" -m pytest -q)
