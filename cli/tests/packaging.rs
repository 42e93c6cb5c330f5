//! Installing without building: the Homebrew formula and `cargo binstall` metadata must point
//! at archives the release actually publishes, for this version, and
//! `scripts/update-homebrew.sh` must fill every checksum from a release's SHA256SUMS.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const RELEASE_URL: &str = "https://github.com/skillsig/skillsig/releases/download/";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(relative: &str) -> String {
    fs::read_to_string(repo().join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// The workspace version, read the way scripts/build-release.sh reads it.
fn workspace_version() -> String {
    let version = read("Cargo.toml")
        .lines()
        .find_map(|line| {
            line.strip_prefix("version = \"")?
                .strip_suffix('"')
                .map(str::to_owned)
        })
        .expect("Cargo.toml has a version line");
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    version
}

/// The archive names a release publishes: scripts/build-release.sh's name for each target
/// of the release workflow's `build` job (its other jobs build the npm packages and wheels).
fn released_archives() -> Vec<String> {
    let build = read("scripts/build-release.sh");
    assert!(
        build.contains(r#"archive="$out/skillsig-v$version-$target.tar.gz""#),
        "scripts/build-release.sh names its archive differently: update the formula, the binstall metadata and this test"
    );
    let version = workspace_version();
    let workflow = read(".github/workflows/release.yml");
    let build_job = workflow
        .lines()
        .skip_while(|line| *line != "  build:")
        .skip(1)
        .take_while(|line| {
            !(line.starts_with("  ") && !line.starts_with("   ") && line.ends_with(':'))
        });
    let archives: Vec<String> = build_job
        .filter_map(|line| line.trim().strip_prefix("- target: "))
        .map(|target| format!("skillsig-v{version}-{}.tar.gz", target.trim()))
        .collect();
    assert_eq!(archives.len(), 5, "{archives:?}");
    archives
}

/// The value of each `KEY "VALUE"` line of the formula, in order.
fn formula_values(formula: &str, key: &str) -> Vec<String> {
    formula
        .lines()
        .filter_map(|line| line.trim().strip_prefix(key)?.strip_prefix(" \""))
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

const FORMULA: &str = "packaging/homebrew/skillsig.rb";

#[test]
fn formula_is_valid_ruby() {
    let ruby_found = Command::new("ruby").arg("--version").output().is_ok();
    if !ruby_found {
        eprintln!("skipped: ruby is not installed, so `ruby -c {FORMULA}` cannot run");
        return;
    }
    let output = Command::new("ruby")
        .arg("-c")
        .arg(repo().join(FORMULA))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "ruby -c {FORMULA}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn formula_downloads_released_archives_of_this_version() {
    let formula = read(FORMULA);
    let version = workspace_version();
    assert_eq!(formula_values(&formula, "version"), [version.as_str()]);
    let released = released_archives();
    let urls = formula_values(&formula, "url");
    assert_eq!(urls.len(), 4, "macOS and Linux, arm and intel: {urls:?}");
    for url in &urls {
        let archive = url
            .strip_prefix(&format!("{RELEASE_URL}v{version}/"))
            .unwrap_or_else(|| panic!("{url} is not a v{version} release download"));
        assert!(
            released.iter().any(|a| a == archive),
            "{archive} is not in {released:?}"
        );
    }
    let checksums = formula_values(&formula, "sha256");
    assert_eq!(checksums.len(), urls.len(), "one sha256 per url");
}

#[test]
fn binstall_metadata_names_the_released_archives() {
    let manifest = read("cli/Cargo.toml");
    let pkg_url = manifest
        .lines()
        .find_map(|line| line.strip_prefix("pkg-url = \"")?.strip_suffix('"'))
        .expect("cli/Cargo.toml has [package.metadata.binstall] pkg-url");
    let version = workspace_version();
    let released = released_archives();
    for archive in &released {
        let target = archive
            .strip_prefix(&format!("skillsig-v{version}-"))
            .and_then(|rest| rest.strip_suffix(".tar.gz"))
            .unwrap();
        let expanded = pkg_url
            .replace("{ version }", &version)
            .replace("{ target }", target);
        assert_eq!(expanded, format!("{RELEASE_URL}v{version}/{archive}"));
    }
    assert!(manifest.contains("pkg-fmt = \"tgz\""));
}

/// A SHA256SUMS as the release workflow writes it (`sha256sum -- *.tar.gz`), with a distinct
/// checksum per archive.
fn sample_sums(archives: &[String]) -> (String, Vec<(String, String)>) {
    let pairs: Vec<(String, String)> = archives
        .iter()
        .enumerate()
        .map(|(i, archive)| (archive.clone(), format!("{:064x}", 0xabc0 + i)))
        .collect();
    let text = pairs
        .iter()
        .map(|(a, sha)| format!("{sha}  {a}\n"))
        .collect();
    (text, pairs)
}

fn update_homebrew(sums: &Path, formula: &Path) -> std::process::Output {
    Command::new("bash")
        .arg(repo().join("scripts/update-homebrew.sh"))
        .arg(sums)
        .arg(formula)
        .output()
        .unwrap()
}

#[test]
fn update_homebrew_fills_every_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let formula = dir.path().join("skillsig.rb");
    fs::copy(repo().join(FORMULA), &formula).unwrap();
    let (text, pairs) = sample_sums(&released_archives());
    let sums = dir.path().join("SHA256SUMS");
    fs::write(&sums, text).unwrap();

    let output = update_homebrew(&sums, &formula);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let filled = fs::read_to_string(&formula).unwrap();
    let urls = formula_values(&filled, "url");
    let checksums = formula_values(&filled, "sha256");
    assert_eq!(urls.len(), checksums.len());
    for (url, sha) in urls.iter().zip(&checksums) {
        let archive = url.rsplit('/').next().unwrap();
        let expected = &pairs.iter().find(|(a, _)| a == archive).unwrap().1;
        assert_eq!(sha, expected, "{archive}");
    }
    // Only the checksums changed: the formula kept its version and downloads.
    let original = read(FORMULA);
    assert_eq!(
        formula_values(&filled, "url"),
        formula_values(&original, "url")
    );
    assert_eq!(
        formula_values(&filled, "version"),
        formula_values(&original, "version")
    );
}

#[test]
fn update_homebrew_refuses_sums_missing_an_archive_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let formula = dir.path().join("skillsig.rb");
    fs::copy(repo().join(FORMULA), &formula).unwrap();
    let archives = released_archives();
    let without_macos_arm: Vec<String> = archives
        .into_iter()
        .filter(|a| !a.contains("aarch64-apple-darwin"))
        .collect();
    let sums = dir.path().join("SHA256SUMS");
    fs::write(&sums, sample_sums(&without_macos_arm).0).unwrap();

    let output = update_homebrew(&sums, &formula);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("aarch64-apple-darwin"), "{stderr}");
    assert_eq!(fs::read_to_string(&formula).unwrap(), read(FORMULA));
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 2, "no temporary file left: {leftovers:?}");
}
