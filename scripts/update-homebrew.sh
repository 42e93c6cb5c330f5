#!/usr/bin/env bash
# Fills packaging/homebrew/skillsig.rb for a release: the version of this checkout, each
# archive URL for that version, and each archive's sha256 from the release's SHA256SUMS
# (the file .github/workflows/release.yml writes with `sha256sum -- *.tar.gz`).
#
#   scripts/update-homebrew.sh SHA256SUMS [FORMULA]
#
# Refuses, and leaves the formula as it was, when SHA256SUMS has no valid line for an archive
# the formula downloads.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sums=${1:?usage: update-homebrew.sh SHA256SUMS [FORMULA]}
formula=${2:-$root/packaging/homebrew/skillsig.rb}
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -1)
[ -n "$version" ] || { echo "error: no version in $root/Cargo.toml" >&2; exit 2; }
[ -r "$sums" ] || { echo "error: cannot read $sums: pass the release's SHA256SUMS" >&2; exit 2; }

tmp=$(mktemp "$formula.XXXXXX")
trap 'rm -f "$tmp"' EXIT
awk -v version="$version" -v sums="$sums" '
  BEGIN {
    while ((getline line < sums) > 0) {
      if (split(line, f, /[ \t]+/) < 2) continue
      name = f[2]; sub(/^\*/, "", name)   # sha256sum -b marks names with "*"
      if (length(f[1]) == 64 && f[1] ~ /^[0-9a-f]+$/) sha[name] = f[1]
    }
  }
  /^[ \t]*version "/ { sub(/"[^"]*"/, "\"" version "\"") }
  /^[ \t]*url "/ {
    if (!match($0, /(x86_64|aarch64)-[a-z0-9_-]+\.tar\.gz"/)) {
      printf "error: %s:%d: cannot tell the target of this url\n", FILENAME, FNR > "/dev/stderr"; bad = 1
    }
    target = substr($0, RSTART, RLENGTH - length(".tar.gz\""))
    archive = "skillsig-v" version "-" target ".tar.gz"
    indent = $0; sub(/[^ \t].*/, "", indent)
    $0 = indent "url \"https://github.com/skillsig/skillsig/releases/download/v" version "/" archive "\""
    pending = archive; urls++
  }
  /^[ \t]*sha256 "/ {
    if (pending == "") {
      printf "error: %s:%d: sha256 without a url before it\n", FILENAME, FNR > "/dev/stderr"; bad = 1
    } else if (!(pending in sha)) {
      printf "error: %s has no sha256 for %s: is it the SHA256SUMS of v%s?\n", sums, pending, version > "/dev/stderr"; bad = 1
    } else {
      sub(/"[^"]*"/, "\"" sha[pending] "\""); filled++
    }
    pending = ""
  }
  { print }
  END {
    if (urls == 0) { printf "error: %s downloads no archive\n", FILENAME > "/dev/stderr"; bad = 1 }
    if (filled != urls) bad = 1
    exit bad ? 1 : 0
  }
' "$formula" > "$tmp" || { echo "error: $formula left unchanged" >&2; exit 1; }
chmod --reference="$formula" "$tmp" 2> /dev/null || true
mv "$tmp" "$formula"
trap - EXIT
echo "updated $formula for v$version"
