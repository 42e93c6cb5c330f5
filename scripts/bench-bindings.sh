#!/usr/bin/env bash
# The figures of docs/benchmarks.md "Node and Python packages", in one run: checkUpload of the
# example Skill from Node and from Python (release builds), the Rust call (criterion), and
# `skillsig verify` as a process per upload. Tools as scripts/test-bindings.sh installs them.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
tools="$CARGO_TARGET_DIR/ci-tools"
n="${1:-5000}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --locked --quiet -p skillsig-cli
SKILLSIG_BIN="$CARGO_TARGET_DIR/release/skillsig" bindings/fixtures.sh "$work"
(cd bindings/node && "$tools/napi/node_modules/.bin/napi" build --platform --release --target-dir "$CARGO_TARGET_DIR" -- --locked --quiet)
(cd bindings/python && VIRTUAL_ENV="$tools/bindings-venv" "$tools/bindings-venv/bin/maturin" develop --release --locked --quiet)

echo "== Rust (criterion, one core)"
SKILLSIG_BENCH_FIXTURES="$work" cargo bench --locked -p skillsig-bindings --bench check_upload 2>&1 | grep -E "^check_upload|time:|thrpt:"
echo "== Node"
node bindings/node/bench/check-upload.js "$work" "$n"
echo "== Python"
"$tools/bindings-venv/bin/python" bindings/python/bench/check_upload.py "$work" "$n"
echo "== skillsig verify, one process per upload (200 uploads)"
start=$(date +%s%N)
for _ in $(seq 200); do
  SKILLSIG_STATE_DIR="$work/state" "$CARGO_TARGET_DIR/release/skillsig" verify "$work/example-weather-report-1.0.0.skill" \
    --trust-root "$work/trust.json" --json > /dev/null
done
end=$(date +%s%N)
echo "skillsig verify per upload: $(( (end - start) / 200000 )) µs per upload"
# The bindings are left built in release; scripts/test-bindings.sh builds them in debug again.
