#!/usr/bin/env bash
# Fetches the SARIF 2.1.0 JSON Schema (shipped in the npm package @microsoft/jest-sarif) into
# target/test-schemas/, where the SARIF test finds it. Without npm the test skips with a message.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=target/test-schemas
[ -f "$dest/sarif-2.1.0-rtm.5.json" ] && exit 0
command -v npm >/dev/null || { echo "npm not found: the SARIF schema test will be skipped"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack @microsoft/jest-sarif@1.0.0-beta.0 --silent >/dev/null && tar xzf ./*.tgz)
mkdir -p "$dest"
cp "$tmp/package/lib/schemas/sarif-2.1.0-rtm.5.json" "$dest/"
echo "SARIF schema in $dest"
