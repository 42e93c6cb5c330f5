#!/usr/bin/env bash
# Runs the fuzz targets in fuzz/ (cargo fuzz, nightly toolchain), each for SECONDS, seeded from
# testdata/, the schema examples and ../shared/corpus/benign-real.
#
#   scripts/fuzz.sh SECONDS [TARGET...]     (default: every target; CI runs a few seconds each)
#
# Exits non-zero on the first crash, timeout or out-of-memory; libFuzzer leaves the input in
# fuzz/artifacts/TARGET/. Built without a sanitizer (`-s none`): the fuzzed code has no
# `unsafe`, so what matters is panics, overflow (debug assertions are on), hangs and memory.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:?usage: scripts/fuzz.sh SECONDS [TARGET...]}
shift

target_dir=${CARGO_TARGET_DIR:-$PWD/target}
tools="$target_dir/ci-tools"
if [ ! -x "$tools/cargo-fuzz/bin/cargo-fuzz" ]; then
  cargo install --quiet --locked cargo-fuzz --version 0.13.1 --root "$tools/cargo-fuzz"
fi
export PATH="$tools/cargo-fuzz/bin:$PATH"
fuzz_target_dir="$target_dir/fuzz"
corpus="$target_dir/fuzz-corpus"

# Seeds: copies of real inputs for each target (a seed is only a starting point, so a missing
# ../shared just means fewer seeds).
seed() { # TARGET FILE...
  mkdir -p "$corpus/$1"
  local target=$1
  shift
  for file in "$@"; do
    [ -f "$file" ] && cp "$file" "$corpus/$target/$(sha256sum "$file" | cut -c1-16)"
  done
  return 0
}
benign=../shared/corpus/benign-real
sources=(testdata)
[ -d "$benign" ] && sources+=("$benign")
mapfile -t shell < <(find "${sources[@]}" -type f \( -name '*.sh' -o -name '*.bash' \) | head -300)
mapfile -t python < <(find "${sources[@]}" -type f -name '*.py' | head -300)
mapfile -t javascript < <(find "${sources[@]}" -type f \( -name '*.js' -o -name '*.mjs' -o -name '*.ts' \) | head -300)
mapfile -t powershell < <(find "${sources[@]}" -type f \( -name '*.ps1' -o -name '*.psm1' \) | head -300)
mapfile -t markdown < <(find "${sources[@]}" -type f -name '*.md' | head -500)
mapfile -t svg < <(find "${sources[@]}" -type f -name '*.svg' | head -100)
mapfile -t tomls < <(find "${sources[@]}" registry-schema/examples -type f -name '*.toml' | head -200)
seed scan_shell "${shell[@]}"
seed scan_python "${python[@]}"
seed scan_javascript "${javascript[@]}"
seed scan_powershell "${powershell[@]}" "${shell[@]:0:20}"
seed scan_markdown "${markdown[@]}"
seed scan_svg "${svg[@]}" "${markdown[@]:0:20}"
seed skill_metadata "${markdown[@]}" "${tomls[@]}"
# The pyc target adds the 16-byte header itself: its seeds are the marshal data of real .pyc files.
mkdir -p "$corpus/scan_pyc"
while IFS= read -r pyc; do
  tail -c +17 "$pyc" >"$corpus/scan_pyc/$(sha256sum "$pyc" | cut -c1-16)"
done < <(find testdata -type f -name '*.pyc' | head -50)
seed trust_root registry-schema/examples/trust-root/*/*
seed registry_metadata registry-schema/examples/registry-*/*/*
seed signed_formats registry-schema/examples/manifest/*/* ../shared/vectors/model-signing/nvidia-skills/*/skill.oms.sig \
  ../shared/vectors/sigstore-conformance/bundle-verify/*/bundle.sigstore.json
# Bundles: the example Skills packed by the skillsig built for the tests, when there is one.
skillsig="$target_dir/debug/skillsig"
if [ -x "$skillsig" ]; then
  packed=$(mktemp -d)
  for dir in testdata/skills/* testdata/skills-blocked/*; do
    "$skillsig" pack "$dir" -o "$packed" >/dev/null 2>&1 || true
  done
  seed bundle_read "$packed"/*.skill
  seed signed_formats "$packed"/*.manifest.json
  rm -rf "$packed"
fi
mkdir -p "$corpus/bundle_read"

targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cd fuzz && cargo +nightly fuzz list)
cd fuzz
cargo +nightly fuzz build -s none -a --target-dir "$fuzz_target_dir"
# The targets run as built (not through `cargo fuzz run`, which would rebuild on every change).
bin_dir="$fuzz_target_dir/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for target in "${targets[@]}"; do
  echo "fuzz: $target for ${seconds}s" >&2
  mkdir -p "artifacts/$target"
  status=0
  "$bin_dir/$target" "$corpus/$target" -artifact_prefix="artifacts/$target/" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=262144 -print_final_stats=1 \
    >"$log" 2>&1 || status=$?
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs)' "$log" | sed 's/^/  /' >&2 || true
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$log" >&2
    echo "fuzz: $target failed (exit $status); the input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
done
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, no crash, timeout or out-of-memory" >&2
