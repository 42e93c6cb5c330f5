#!/usr/bin/env bash
# Builds the release archive of skillsig for one target, reproducibly: the same commit built
# twice with the same toolchain gives the same bytes (checked by scripts/check-reproducible.sh).
#
#   scripts/build-release.sh TARGET [OUT_DIR]     e.g. x86_64-unknown-linux-musl dist
#
# Writes OUT_DIR/skillsig-v<version>-<TARGET>.tar.gz holding the binary, its shell completions
# (completions/) and its man page (man/skillsig.1), made by the binary itself. What makes it
# reproducible: --locked dependencies; SOURCE_DATE_EPOCH from the commit (nothing embeds the
# build time); every absolute path that reaches the binary (this checkout, cargo's registry,
# the target folder) remapped to a fixed name, for Rust and for the C code of dependencies;
# the archive written with fixed owner, mode, order and time.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: build-release.sh TARGET [OUT_DIR]}
out=${2:-dist}
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
cargo_home=${CARGO_HOME:-$HOME/.cargo}
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2> /dev/null || echo 0)
export SOURCE_DATE_EPOCH
maps="--remap-path-prefix=$PWD=/skillsig --remap-path-prefix=$cargo_home=/cargo --remap-path-prefix=$target_dir=/target"
export RUSTFLAGS="${RUSTFLAGS:-} $maps"
prefix_map="-ffile-prefix-map=$PWD=/skillsig -ffile-prefix-map=$cargo_home=/cargo -ffile-prefix-map=$target_dir=/target"
export CFLAGS="${CFLAGS:-} $prefix_map" CXXFLAGS="${CXXFLAGS:-} $prefix_map"
export CARGO_INCREMENTAL=0
cargo build --release --locked --target "$target" -p skillsig-cli

exe=skillsig
case "$target" in *windows*) exe=skillsig.exe ;; esac
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$target_dir/$target/release/$exe" "$stage/$exe"
chmod 0755 "$stage/$exe"
# Completions and the man page come from the binary (the release runners build natively).
mkdir -p "$stage/completions" "$stage/man"
"$stage/$exe" completions bash > "$stage/completions/skillsig.bash"
"$stage/$exe" completions zsh > "$stage/completions/_skillsig"
"$stage/$exe" completions fish > "$stage/completions/skillsig.fish"
"$stage/$exe" completions powershell > "$stage/completions/_skillsig.ps1"
"$stage/$exe" man > "$stage/man/skillsig.1"
files=("$exe" completions/_skillsig completions/_skillsig.ps1 completions/skillsig.bash
  completions/skillsig.fish man/skillsig.1)
for f in "${files[@]}" completions man; do
  touch -d "@$SOURCE_DATE_EPOCH" "$stage/$f" 2> /dev/null || touch -t 197001010000 "$stage/$f"
done
mkdir -p "$out"
archive="$out/skillsig-v$version-$target.tar.gz"
# Fixed order, owner and time; gzip without a name or timestamp.
tar --format=ustar --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
  -cf - -C "$stage" "${files[@]}" 2> /dev/null | gzip -n -9 > "$archive" ||
  tar -cf - -C "$stage" "${files[@]}" | gzip -n -9 > "$archive"
echo "$archive"
