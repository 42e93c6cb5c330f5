#!/usr/bin/env bash
# Makes what the Node and Python tests check against, in OUT_DIR, with the skillsig command
# ($SKILLSIG_BIN, else target/debug/skillsig): the example Skill packed and signed with a
# throw-away key, a trust root naming that key for the namespace `example`, and a signature of
# the same bundle by a key the trust root does not know; the Skill's folder signed with OpenSSF
# model-signing (oms-folder/).
set -euo pipefail
out="${1:?usage: fixtures.sh OUT_DIR}"
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${SKILLSIG_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/skillsig}"
mkdir -p "$out"
export SKILLSIG_STATE_DIR="$out/state"
"$bin" pack "$root/testdata/skills/weather-report" --out-dir "$out" >/dev/null
"$bin" keygen --out "$out/publisher" --unencrypted >/dev/null 2>>"$out/keygen.log"
"$bin" keygen --out "$out/stranger" --unencrypted >/dev/null 2>>"$out/keygen.log"
bundle="$out/example-weather-report-1.0.0.skill"
"$bin" sign "$bundle" --key "$out/stranger.key" >/dev/null
mv "$bundle.sigstore.json" "$out/foreign.sigstore.json"
"$bin" sign "$bundle" --key "$out/publisher.key" >/dev/null
"$bin" trust init --file "$out/trust.json" >/dev/null
"$bin" trust add-publisher example --namespace example --key "$out/publisher.pub" --file "$out/trust.json" >/dev/null
# The same Skill as a folder signed with OpenSSF model-signing (skill.oms.sig, the same key).
cp -R "$root/testdata/skills/weather-report" "$out/oms-folder"
"$bin" sign "$out/oms-folder" --format oms --key "$out/publisher.key" >/dev/null
