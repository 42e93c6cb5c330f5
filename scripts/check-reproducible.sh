#!/usr/bin/env bash
# Builds the release binary for TARGET twice, in two separate target folders, and fails unless
# both archives are byte for byte the same. CI runs it on Linux; it takes two release builds.
#
#   scripts/check-reproducible.sh [TARGET]     (default: the host's target)
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-$(rustc -vV | sed -n 's/^host: //p')}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for run in a b; do
  CARGO_TARGET_DIR="$work/target-$run" scripts/build-release.sh "$target" "$work/dist-$run" > /dev/null
done
a=$(cd "$work/dist-a" && sha256sum ./*.tar.gz)
b=$(cd "$work/dist-b" && sha256sum ./*.tar.gz)
echo "first build:  $a"
echo "second build: $b"
if [ "$a" != "$b" ]; then
  echo "NOT reproducible: the two builds differ" >&2
  exit 1
fi
echo "reproducible: both builds are identical"
