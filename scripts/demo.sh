#!/usr/bin/env bash
# Builds skillsig and runs the main job on the example Skill in testdata/, in a throw-away
# folder (its own trust root and state, nothing of yours is read or changed):
# pack → sign with a throw-away key → trust that key for the namespace → verify → show what the
# Skill asks to be allowed to do → scan → install into a throw-away folder → audit it.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p skillsig-cli
bin="${CARGO_TARGET_DIR:-$PWD/target}/release/skillsig"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export SKILLSIG_TRUST_ROOT="$work/trust.json" SKILLSIG_STATE_DIR="$work/state"
skill="$PWD/testdata/skills/weather-report"
bundle="$work/out/example-weather-report-1.0.0.skill"

step() { printf '\n== %s\n' "$*"; }
step "skillsig pack"
"$bin" pack "$skill" --out-dir "$work/out"
step "skillsig keygen (throw-away, unencrypted)"
"$bin" keygen --out "$work/publisher" --unencrypted
step "skillsig sign"
"$bin" sign "$bundle" --key "$work/publisher.key"
step "skillsig trust init / add-publisher"
"$bin" trust init
"$bin" trust add-publisher example --namespace example --key "$work/publisher.pub"
step "skillsig verify"
"$bin" verify "$bundle"
step "skillsig inspect"
"$bin" inspect "$bundle"
step "skillsig scan"
"$bin" scan "$skill"
step "skillsig install (into a throw-away folder) and audit"
"$bin" install "$bundle" --dest "$work/skills" --yes
"$bin" audit "$work/skills"
