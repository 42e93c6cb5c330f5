#!/usr/bin/env bash
# Builds skillsig and runs the main job on the example Skill in testdata/:
# pack it into a reproducible bundle, then inspect the bundle (files, tree digest, permissions).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p skillsig-cli
bin=target/release/skillsig
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$bin" pack testdata/skills/weather-report --out-dir "$out"
echo
"$bin" inspect "$out/example-weather-report-1.0.0.skill"
