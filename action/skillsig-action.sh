#!/usr/bin/env bash
# The skillsig GitHub Action: every step of it. action.yml only passes its inputs here as
# INPUT_* variables; this script runs the same outside GitHub (tests/action.rs runs it with a
# fake runner environment), so nothing here may depend on GitHub beyond the documented runner
# variables.
#
#   INPUT_COMMAND        scan | pack | sign | verify | check          (default: check)
#   INPUT_PATH           a Skill folder, or a folder of Skills        (default: .)
#   INPUT_FAIL_ON        critical | high | medium | low | info         (default: high)
#   INPUT_SARIF_FILE     where scan/check write SARIF                  (default: skillsig.sarif)
#   INPUT_KEYLESS        true: sign with the workflow's OIDC identity  (default: false)
#   INPUT_KEY            an ed25519 private key PEM, from a secret (never put on a command line)
#   INPUT_TRUST_ROOT     trust root file for verify                     (default: none)
#   INPUT_VERSION        skillsig version to install                    (default: action/VERSION)
#   INPUT_OUT_DIR        where pack/sign write bundles                  (default: skillsig-out)
#   INPUT_SIGNING_CONFIG, INPUT_SIGSTORE_TRUSTED_ROOT   Sigstore overrides (private deployments)
#   SKILLSIG_PASSWORD    passphrase of an encrypted INPUT_KEY
#   SKILLSIG_BIN         use this skillsig binary instead of installing one
#   SKILLSIG_RELEASE_BASE_URL   where release archives live (tests serve them on loopback)
#
# Outputs (to $GITHUB_OUTPUT): verdict, findings, sarif-file, bundle, tree-digest, signature.
# Results also go to $GITHUB_STEP_SUMMARY (a table per Skill) and, for findings at or above
# fail-on, to workflow-command annotations. Exit: 0 pass, 1 blocked or refused, 2 misuse.
set -euo pipefail

action_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command=${INPUT_COMMAND:-check}
path=${INPUT_PATH:-.}
fail_on=${INPUT_FAIL_ON:-high}
sarif_file=${INPUT_SARIF_FILE:-skillsig.sarif}
keyless=${INPUT_KEYLESS:-false}
trust_root=${INPUT_TRUST_ROOT:-}
out_dir=${INPUT_OUT_DIR:-skillsig-out}
version=${INPUT_VERSION:-}
[ -n "$version" ] || version=$(tr -d '[:space:]' < "$action_dir/VERSION")
version=${version#v}
max_annotations=${SKILLSIG_MAX_ANNOTATIONS:-50}
output_file=${GITHUB_OUTPUT:-/dev/null}
summary_file=${GITHUB_STEP_SUMMARY:-/dev/null}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

die() { # usage errors: exit 2
  printf '::error title=skillsig::%s\n' "$(escape_data "$1")"
  exit 2
}

# Workflow commands: data escapes %, CR and LF; properties also : and ,.
escape_data() {
  local s=${1//'%'/'%25'}
  s=${s//$'\r'/'%0D'}
  printf '%s' "${s//$'\n'/'%0A'}"
}
escape_property() {
  local s
  s=$(escape_data "$1")
  s=${s//':'/'%3A'}
  printf '%s' "${s//','/'%2C'}"
}

# name=value, in the multi-line-safe form with a delimiter the value cannot contain.
set_output() {
  local name=$1 value=$2 delimiter
  delimiter="skillsig_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  printf '%s<<%s\n%s\n%s\n' "$name" "$delimiter" "$value" "$delimiter" >> "$output_file"
}

case "$command" in scan | pack | sign | verify | check) ;; *) die "command must be scan, pack, sign, verify or check, not '$command'" ;; esac
case "$fail_on" in critical | high | medium | low | info) ;; *) die "fail-on must be critical, high, medium, low or info, not '$fail_on'" ;; esac
case "$keyless" in true | false) ;; *) die "keyless must be true or false, not '$keyless'" ;; esac
[ -e "$path" ] || die "path '$path' does not exist"

sha256_of() {
  if command -v sha256sum > /dev/null; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

# The release archive for this runner, checked against the checksums pinned in this action.
install_skillsig() {
  if [ -n "${SKILLSIG_BIN:-}" ]; then
    skillsig=$SKILLSIG_BIN
    return
  fi
  local target archive expected url base
  case "${RUNNER_OS:-$(uname -s)}/${RUNNER_ARCH:-$(uname -m)}" in
    Linux/X64 | Linux/x86_64) target=x86_64-unknown-linux-musl ;;
    Linux/ARM64 | Linux/aarch64) target=aarch64-unknown-linux-musl ;;
    macOS/X64 | Darwin/x86_64) target=x86_64-apple-darwin ;;
    macOS/ARM64 | Darwin/arm64) target=aarch64-apple-darwin ;;
    Windows/X64) target=x86_64-pc-windows-msvc ;;
    *) target= ;;
  esac
  archive="skillsig-v$version-$target.tar.gz"
  expected=
  if [ -n "$target" ]; then
    expected=$(awk -v f="$archive" '$2 == f { print $1 }' "$action_dir/checksums.txt")
  fi
  if [ -z "$expected" ]; then
    echo "No prebuilt skillsig $version for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}: building it with cargo install --locked"
    cargo install --locked --quiet --root "$work/cargo" --version "$version" skillsig-cli || {
      echo "::error title=skillsig::no prebuilt skillsig $version for this runner, and cargo install --locked skillsig-cli@$version failed"
      exit 1
    }
    skillsig="$work/cargo/bin/skillsig"
    return
  fi
  base=${SKILLSIG_RELEASE_BASE_URL:-https://github.com/skillsig/skillsig/releases/download}
  url="$base/v$version/$archive"
  echo "Downloading $url"
  # https only, except to this machine (tests); never executed before the checksum matches.
  case "$url" in
    https://* | http://127.0.0.1[:/]* | http://localhost[:/]*) ;;
    *) die "refusing to download skillsig over plain http: $url" ;;
  esac
  curl --fail --silent --show-error --location --retry 3 --max-filesize 104857600 \
    --output "$work/$archive" "$url" || { echo "::error title=skillsig::download failed: $url"; exit 1; }
  local actual
  actual=$(sha256_of "$work/$archive")
  if [ "$actual" != "$expected" ]; then
    echo "::error title=skillsig::checksum mismatch for $archive: expected $expected, got $actual; refusing to run it"
    exit 1
  fi
  mkdir -p "$work/bin"
  tar -xzf "$work/$archive" -C "$work/bin"
  skillsig="$work/bin/skillsig"
  [ -f "$skillsig.exe" ] && skillsig="$skillsig.exe"
  [ -x "$skillsig" ] || { echo "::error title=skillsig::$archive holds no skillsig binary"; exit 1; }
}

# The Skill folders under $path: itself when it holds SKILL.md, else its subfolders that do.
skill_dirs() {
  if [ -f "$path/SKILL.md" ]; then
    printf '%s\n' "$path"
  else
    find "$path" -mindepth 1 -maxdepth 2 -name SKILL.md -not -path '*/.*' -exec dirname {} \; | LC_ALL=C sort
  fi
}

dirs=() bundles=() tree_digests=() signatures=()
pack_all() {
  local dir json
  while IFS= read -r dir; do
    dirs+=("$dir")
    json=$("$skillsig" pack "$dir" --out-dir "$out_dir" --json) || {
      echo "::error title=skillsig pack::$(escape_data "cannot pack $dir")"
      exit 1
    }
    bundles+=("$(jq -r .bundle <<< "$json")")
    tree_digests+=("$(jq -r .tree_digest <<< "$json")")
  done < <(skill_dirs)
  [ ${#bundles[@]} -gt 0 ] || die "no Skill (a folder with SKILL.md) under '$path'"
}

sign_all() {
  local bundle args=()
  if [ "$keyless" = true ]; then
    args=(--keyless)
    [ -z "${INPUT_SIGNING_CONFIG:-}" ] || args+=(--signing-config "$INPUT_SIGNING_CONFIG")
    [ -z "${INPUT_SIGSTORE_TRUSTED_ROOT:-}" ] || args+=(--sigstore-trusted-root "$INPUT_SIGSTORE_TRUSTED_ROOT")
  elif [ -n "${INPUT_KEY:-}" ]; then
    (umask 077 && printf '%s\n' "$INPUT_KEY" > "$work/signing.key")
    args=(--key "$work/signing.key")
  else
    die "sign needs keyless: true (and permissions: id-token: write) or the key input from a secret"
  fi
  for bundle in "${bundles[@]}"; do
    "$skillsig" sign "$bundle" "${args[@]}" || exit 1
    signatures+=("$bundle.sigstore.json")
  done
}

verify_all() {
  local bundle args=()
  [ -z "$trust_root" ] || args+=(--trust-root "$trust_root")
  [ -z "${INPUT_SIGSTORE_TRUSTED_ROOT:-}" ] || args+=(--sigstore-trusted-root "$INPUT_SIGSTORE_TRUSTED_ROOT")
  for bundle in "${bundles[@]}"; do
    "$skillsig" verify "$bundle" "${args[@]}" || exit 1
  done
}

# Scans $@ (folders or bundles); writes report.json and the SARIF file; sets verdict/findings.
verdict=pass findings=0
scan() {
  local status=0
  "$skillsig" scan "$@" --fail-on "$fail_on" --format json --output "$work/report.json" || status=$?
  [ "$status" -le 1 ] || die "skillsig scan could not read '$path'"
  "$skillsig" scan "$@" --fail-on "$fail_on" --format sarif --output "$sarif_file" 2> /dev/null || true
  verdict=$(jq -r .verdict "$work/report.json")
  findings=$(jq --arg fail "$fail_on" '
      def rank: {"info":0,"low":1,"medium":2,"high":3,"critical":4}[.];
      [.skills[].findings[] | select(.suppressed == null) | select((.severity | rank) >= ($fail | rank))] | length
    ' "$work/report.json")
  annotate
  summarize
}

annotate() {
  local shown=0 severity file line rule message
  while IFS=$'\t' read -r severity file line rule message; do
    if [ "$shown" -ge "$max_annotations" ]; then
      echo "::warning title=skillsig::$((findings - shown)) more findings at or above $fail_on are in the SARIF file and the job summary"
      break
    fi
    printf '::error file=%s,line=%s,title=%s::%s\n' "$(escape_property "$file")" "$line" \
      "$(escape_property "$rule")" "$(escape_data "[$severity] $message")"
    shown=$((shown + 1))
  done < <(jq -r --arg fail "$fail_on" --arg root "${GITHUB_WORKSPACE:-$PWD}/" '
      def rank: {"info":0,"low":1,"medium":2,"high":3,"critical":4}[.];
      .skills[] | .path as $dir | .findings[]
      | select(.suppressed == null) | select((.severity | rank) >= ($fail | rank))
      | [.severity, ((if ($dir | endswith(".skill")) then $dir else $dir + "/" + .file end)
           | if startswith($root) then .[($root | length):] else . end | sub("^(\\./)+"; "")),
         (.line | tostring), .rule, (.message | gsub("[\t\r\n]"; " "))] | @tsv
    ' "$work/report.json")
}

# Markdown table cells: no pipes or newlines, HTML-escaped.
summarize() {
  {
    printf '## skillsig %s: %s\n\n' "$command" "$( [ "$verdict" = pass ] && echo 'pass' || echo '**blocked**')"
    printf '| Skill | Version | Verdict | Top findings | Asks permission to |\n|---|---|---|---|---|\n'
    jq -r --arg fail "$fail_on" '
      def rank: {"info":0,"low":1,"medium":2,"high":3,"critical":4}[.];
      def cell: tostring | gsub("&"; "&amp;") | gsub("<"; "&lt;") | gsub(">"; "&gt;") | gsub("[|]"; "\\|") | gsub("[\r\n]"; " ");
      .skills[]
      | [ ((.name // .path) | cell), ((.version // "—") | cell),
          (if .verdict == "pass" then "pass" else "**block**" end),
          ([.findings[] | select(.suppressed == null) | select((.severity | rank) >= 1)]
            | sort_by(-(.severity | rank)) | .[:5]
            | map("`" + (.rule | cell) + "` " + .severity + " " + ((.file + ":" + (.line | tostring)) | cell))
            | if length == 0 then "none" else join("<br>") end),
          (if (.permissions_described | length) == 0 then "nothing declared"
           else (.permissions_described | map(cell) | join("<br>")) end) ]
      | "| " + join(" | ") + " |"
    ' "$work/report.json"
    printf '\n'
  } >> "$summary_file"
}

install_skillsig
"$skillsig" --version

case "$command" in
  scan)
    scan "$path"
    ;;
  pack)
    pack_all
    ;;
  sign)
    pack_all
    sign_all
    ;;
  verify)
    # Bundles under $path (a file or a folder), each with its .sigstore.json beside it.
    if [ -f "$path" ]; then
      bundles=("$path")
    else
      while IFS= read -r bundle; do bundles+=("$bundle"); done < <(find "$path" -name '*.skill' | LC_ALL=C sort)
    fi
    [ ${#bundles[@]} -gt 0 ] || die "no .skill bundle under '$path'"
    verify_all
    ;;
  check)
    pack_all
    # The manifests declare what skillsig.toml declares, so scanning the folders checks the code
    # against the packed permissions (anything used but undeclared is a high finding) and keeps
    # annotation paths relative to the repository.
    scan "${dirs[@]}"
    ;;
esac

set_output verdict "$verdict"
set_output findings "$findings"
case "$command" in scan | check) set_output sarif-file "$sarif_file" ;; *) set_output sarif-file "" ;; esac
set_output bundle "$(printf '%s\n' "${bundles[@]+"${bundles[@]}"}" | sed '/^$/d')"
set_output tree-digest "$(printf '%s\n' "${tree_digests[@]+"${tree_digests[@]}"}" | sed '/^$/d')"
set_output signature "$(printf '%s\n' "${signatures[@]+"${signatures[@]}"}" | sed '/^$/d')"

if [ "$verdict" != pass ]; then
  echo "::error title=skillsig::blocked: $findings finding(s) at or above $fail_on (see the annotations, the job summary and $sarif_file)"
  exit 1
fi
