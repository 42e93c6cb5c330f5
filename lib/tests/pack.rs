//! Packing a folder: reproducibility (golden hash), round trips, interoperability with GNU
//! tar, every refusal, atomic output, and the real published Skills of the shared corpus.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use skillsig::Limits;

#[path = "support/shared.rs"]
mod shared;

const BENIGN_CORPUS: &str = "corpus/benign-real";

#[test]
fn shared_vectors_present_or_skipped_with_reason() {
    shared::report(&[(BENIGN_CORPUS, "benign_corpus_packs_and_round_trips")]);
}
use skillsig::bundle::{self, ProblemKind, SecretKind, SourceError, SourceOptions};
use skillsig::pack::{self, PackError};
use skillsig::tree::{PathError, TreeError, sha256};

/// The example Skill shipped in testdata.
fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/skills/weather-report")
}

/// Pinned sha256 of the example Skill's bundle. If this changes, the bundle format changed:
/// that breaks every published hash, so it must be deliberate (and the format version raised).
const GOLDEN_BUNDLE_SHA256: &str =
    "708bddec12787cdf01666515580ad46663adb654d3f30890c7996191643f2d72";
const GOLDEN_TREE_DIGEST: &str = "5286fb0f41f1561dfc8da03ebce6bc24fa958769f2c643bf1131e607c0bdc1e6";

/// The fixture's files, relative path and whether it is executable, in the order given.
fn fixture_files() -> Vec<(String, bool)> {
    let mut files = Vec::new();
    for entry in walk(&fixture()) {
        let rel = entry
            .strip_prefix(fixture())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let exec = fs::metadata(&entry).unwrap().permissions().mode() & 0o100 != 0;
        files.push((rel, exec));
    }
    files
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Copies the fixture into a fresh folder, creating files in `order`, with mtimes, permission
/// bits (other than the owner exec bit) and owners that differ from copy to copy.
fn copy_fixture(order: &[(String, bool)], seed: u64, dest: &Path) {
    for (i, (rel, exec)) in order.iter().enumerate() {
        let target = dest.join(rel);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::copy(fixture().join(rel), &target).unwrap();
        let mode = match (exec, seed % 2) {
            (true, 0) => 0o700,
            (true, _) => 0o775,
            (false, 0) => 0o600,
            (false, _) => 0o666,
        };
        fs::set_permissions(&target, fs::Permissions::from_mode(mode)).unwrap();
        let mtime =
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 * seed + i as u64 * 7919);
        fs::File::options()
            .write(true)
            .open(&target)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        if is_root() {
            std::os::unix::fs::lchown(&target, Some(1000 + seed as u32), Some(2000 + seed as u32))
                .unwrap();
        }
    }
}

fn is_root() -> bool {
    fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

#[test]
fn golden_bundle_is_byte_identical_whatever_the_filesystem_metadata() {
    let files = fixture_files();
    let mut reversed = files.clone();
    reversed.reverse();
    let mut hashes = Vec::new();
    for (seed, order) in [(1, &files), (2, &reversed), (3, &files)] {
        let dir = tempfile::tempdir().unwrap();
        copy_fixture(order, seed, dir.path());
        let packed = pack::pack_dir(dir.path(), &SourceOptions::default()).unwrap();
        hashes.push(hex::encode(sha256(&packed.bundle)));
        assert_eq!(
            hex::encode(packed.manifest.tree_digest()),
            GOLDEN_TREE_DIGEST
        );
    }
    assert_eq!(hashes, vec![GOLDEN_BUNDLE_SHA256; 3]);
    let direct = pack::pack_dir(&fixture(), &SourceOptions::default()).unwrap();
    assert_eq!(hex::encode(sha256(&direct.bundle)), GOLDEN_BUNDLE_SHA256);
}

#[test]
fn manifest_bytes_are_canonical_and_stable() {
    let a = pack::pack_dir(&fixture(), &SourceOptions::default()).unwrap();
    let b = pack::pack_dir(&fixture(), &SourceOptions::default()).unwrap();
    let json = a.manifest.to_canonical_json();
    assert_eq!(json, b.manifest.to_canonical_json());
    let reparsed = skillsig::manifest::Manifest::from_json(&json).unwrap();
    assert_eq!(
        reparsed.to_canonical_json(),
        json,
        "parse → serialize is the identity"
    );
    assert!(
        !json.contains(&b'\n'),
        "canonical JSON has no insignificant whitespace"
    );
}

#[test]
fn round_trip_through_the_reader() {
    let packed = pack::pack_dir(&fixture(), &SourceOptions::default()).unwrap();
    let read = bundle::read_bytes(&packed.bundle, &Limits::DEFAULT).unwrap();
    assert_eq!(read.tree, packed.tree);
    assert_eq!(read.sha256, sha256(&packed.bundle));
}

#[test]
fn gnu_tar_reads_our_bundles_and_we_read_its_ustar_archives() {
    if Command::new("tar").arg("--version").output().is_err() {
        eprintln!("skipped: no tar on PATH");
        return;
    }
    let packed = pack::pack_dir(&fixture(), &SourceOptions::default()).unwrap();
    let work = tempfile::tempdir().unwrap();
    let bundle_path = work.path().join("b.skill");
    fs::write(&bundle_path, &packed.bundle).unwrap();
    let out = work.path().join("out");
    fs::create_dir(&out).unwrap();
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(&bundle_path)
        .arg("-C")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    for (rel, exec) in fixture_files() {
        assert_eq!(
            fs::read(out.join(&rel)).unwrap(),
            fs::read(fixture().join(&rel)).unwrap(),
            "{rel}"
        );
        let mode = fs::metadata(out.join(&rel)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, if exec { 0o755 } else { 0o644 }, "{rel}");
    }

    // GNU tar's own ustar output, with folder entries and owner names, reads to the same tree.
    let gnu = work.path().join("gnu.skill");
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "cd '{}' && tar --format=ustar --sort=name --owner=0 --group=0 -cf - . | gzip -n > '{}'",
            out.display(),
            gnu.display()
        ))
        .status()
        .unwrap();
    assert!(status.success());
    // gzip's own header (OS byte 3) is not the fixed one a bundle carries.
    assert!(matches!(
        bundle::read_bytes(&fs::read(&gnu).unwrap(), &Limits::DEFAULT),
        Err(bundle::ReadError::Gzip(
            bundle::GzipError::NotCanonicalHeader
        ))
    ));
    let read = bundle::read_bytes(&with_bundle_header(&gnu), &Limits::DEFAULT);
    // `tar -C out .` names entries `./SKILL.md`: not clean, so refused by name.
    assert!(
        matches!(
            read,
            Err(bundle::ReadError::Path {
                source: PathError::NotClean(_),
                ..
            })
        ),
        "{read:?}"
    );
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "cd '{}' && tar --format=ustar --sort=name --owner=0 --group=0 -cf - SKILL.md references scripts skillsig.toml | gzip -n > '{}'",
            out.display(),
            gnu.display()
        ))
        .status()
        .unwrap();
    assert!(status.success());
    let read = bundle::read_bytes(&with_bundle_header(&gnu), &Limits::DEFAULT).unwrap();
    assert_eq!(read.tree, packed.tree);
}

/// A minimal valid Skill folder.
fn skill_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("SKILL.md"),
        "---\nname: t\ndescription: d\n---\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("skillsig.toml"),
        "[skill]\nnamespace = \"acme\"\nversion = \"1.0.0\"\n",
    )
    .unwrap();
    dir
}

fn problems(dir: &Path, options: &SourceOptions) -> Vec<(String, ProblemKind)> {
    match pack::pack_dir(dir, options) {
        Err(PackError::Source(SourceError::Refused { problems })) => {
            problems.into_iter().map(|p| (p.path, p.kind)).collect()
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn links_and_special_files_are_refused_all_at_once() {
    let dir = skill_dir();
    symlink("/etc/passwd", dir.path().join("passwd")).unwrap();
    fs::create_dir(dir.path().join("sub")).unwrap();
    symlink("..", dir.path().join("sub/up")).unwrap();
    let fifo = dir.path().join("pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let found = problems(dir.path(), &SourceOptions::default());
    assert_eq!(
        found,
        [
            ("passwd".into(), ProblemKind::Symlink),
            ("pipe".into(), ProblemKind::SpecialFile("a FIFO")),
            ("sub/up".into(), ProblemKind::Symlink),
        ]
    );
}

#[test]
fn bad_names_are_refused() {
    let dir = skill_dir();
    fs::write(dir.path().join("aux.md"), "x").unwrap();
    fs::write(dir.path().join("ab:c"), "x").unwrap();
    fs::write(dir.path().join("e\u{301}.md"), "x").unwrap();
    let found = problems(dir.path(), &SourceOptions::default());
    assert_eq!(
        found,
        [
            (
                "ab:c".into(),
                ProblemKind::BadPath(PathError::ForbiddenChar(':'))
            ),
            (
                "aux.md".into(),
                ProblemKind::BadPath(PathError::ReservedName("aux.md".into()))
            ),
            (
                "e\u{301}.md".into(),
                ProblemKind::BadPath(PathError::NotNfc)
            ),
        ]
    );
}

#[test]
fn a_case_variant_of_the_reserved_output_folder_is_refused() {
    // The root `.skillsig/` is left out; any name an installed Skill's `.skillsig/` could
    // collide with is refused, as the bundle reader refuses it.
    let dir = skill_dir();
    fs::create_dir_all(dir.path().join(".SkillSig")).unwrap();
    fs::write(dir.path().join(".SkillSig/receipt.json"), "{}").unwrap();
    let found = problems(dir.path(), &SourceOptions::default());
    assert_eq!(
        found,
        [(
            ".SkillSig/receipt.json".into(),
            ProblemKind::BadPath(PathError::Reserved(".SkillSig".into()))
        )]
    );
}

#[test]
fn case_collisions_on_disk_are_refused() {
    let dir = skill_dir();
    fs::write(dir.path().join("Notes.md"), "x").unwrap();
    fs::write(dir.path().join("notes.md"), "y").unwrap();
    let found = problems(dir.path(), &SourceOptions::default());
    assert_eq!(found.len(), 1);
    assert!(matches!(
        &found[0].1,
        ProblemKind::Conflict(TreeError::Collision { .. })
    ));
}

#[test]
fn likely_secrets_are_refused_unless_allowed() {
    let dir = skill_dir();
    fs::write(dir.path().join(".env"), "OPENAI_API_KEY=sk-live\n").unwrap();
    fs::write(dir.path().join(".env.example"), "OPENAI_API_KEY=\n").unwrap();
    fs::create_dir(dir.path().join("certs")).unwrap();
    fs::write(
        dir.path().join("certs/ca.pem"),
        "-----BEGIN CERTIFICATE-----\n",
    )
    .unwrap();
    fs::write(dir.path().join("id_rsa"), "x").unwrap();
    fs::write(
        dir.path().join("notes.txt"),
        "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oooE\n",
    )
    .unwrap();
    let found = problems(dir.path(), &SourceOptions::default());
    assert_eq!(
        found,
        [
            (".env".into(), ProblemKind::Secret(SecretKind::EnvFile)),
            (
                "certs/ca.pem".into(),
                ProblemKind::Secret(SecretKind::KeyFileName)
            ),
            (
                "id_rsa".into(),
                ProblemKind::Secret(SecretKind::KeyFileName)
            ),
            (
                "notes.txt".into(),
                ProblemKind::Secret(SecretKind::PrivateKeyContent)
            ),
        ]
    );

    let allow = |paths: &[&str]| SourceOptions {
        allow_secrets: paths.iter().map(|p| p.to_string()).collect(),
        ..SourceOptions::default()
    };
    let found = problems(
        dir.path(),
        &allow(&[
            "./certs/ca.pem",
            ".env",
            "id_rsa",
            "notes.txt",
            "missing.key",
        ]),
    );
    assert_eq!(
        found,
        [("missing.key".into(), ProblemKind::UnusedAllowSecret)]
    );
    let packed = pack::pack_dir(
        dir.path(),
        &allow(&["certs/ca.pem", ".env", "id_rsa", "notes.txt"]),
    )
    .unwrap();
    assert!(packed.tree.get(".env").is_some() && packed.tree.get(".env.example").is_some());
}

#[test]
fn git_output_folder_and_skillignore_are_left_out() {
    let dir = skill_dir();
    for folder in [
        ".git",
        "sub/.git",
        ".skillsig",
        "sub/.skillsig",
        "build",
        "sub/cache",
    ] {
        fs::create_dir_all(dir.path().join(folder)).unwrap();
        fs::write(dir.path().join(folder).join("f"), "x").unwrap();
    }
    fs::write(dir.path().join("sub/.git/config"), "x").unwrap();
    fs::write(dir.path().join(".skillignore"), "build/\n*.log\n").unwrap();
    fs::write(dir.path().join("debug.log"), "x").unwrap();
    fs::write(dir.path().join("sub/.skillignore"), "cache/\n").unwrap();
    // An ignored symlink or secret does not stop the pack.
    symlink("/etc/passwd", dir.path().join("build/link")).unwrap();
    fs::write(dir.path().join("build/.env"), "SECRET=1").unwrap();
    let packed = pack::pack_dir(dir.path(), &SourceOptions::default()).unwrap();
    let paths: Vec<&str> = packed.tree.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            ".skillignore",
            "SKILL.md",
            "skillsig.toml",
            "sub/.skillignore",
            "sub/.skillsig/f"
        ]
    );
}

#[test]
fn limits_are_checked_before_reading() {
    let dir = skill_dir();
    let big = fs::File::create(dir.path().join("big.bin")).unwrap();
    big.set_len(21 * 1024 * 1024).unwrap(); // sparse: nothing is really written
    let err = pack::pack_dir(dir.path(), &SourceOptions::default()).unwrap_err();
    assert!(
        matches!(err, PackError::Source(SourceError::Limit(TreeError::FileTooLarge { ref path, .. })) if path == "big.bin"),
        "{err}"
    );

    let dir = skill_dir();
    for i in 0..5 {
        fs::write(dir.path().join(format!("f{i}")), "0123456789").unwrap();
    }
    let small = |limits| SourceOptions {
        limits,
        ..SourceOptions::default()
    };
    let err = pack::pack_dir(
        dir.path(),
        &small(Limits {
            max_files: 6,
            ..Limits::DEFAULT
        }),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            PackError::Source(SourceError::Limit(TreeError::TooManyFiles { limit: 6 }))
        ),
        "{err}"
    );
    let err = pack::pack_dir(
        dir.path(),
        &small(Limits {
            max_total_bytes: 80,
            ..Limits::DEFAULT
        }),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            PackError::Source(SourceError::Limit(TreeError::TotalTooLarge { limit: 80 }))
        ),
        "{err}"
    );
}

#[test]
fn a_path_that_cannot_be_stored_in_ustar_is_refused() {
    let dir = skill_dir();
    let folder = dir.path().join("a".repeat(100)).join("b".repeat(100));
    fs::create_dir_all(&folder).unwrap();
    fs::write(folder.join("c".repeat(50)), "x").unwrap();
    let err = pack::pack_dir(dir.path(), &SourceOptions::default()).unwrap_err();
    assert!(matches!(err, PackError::PathDoesNotFit(_)), "{err}");
}

#[test]
fn not_a_folder_and_missing_skill_md() {
    let err =
        pack::pack_dir(Path::new("/nonexistent/skill"), &SourceOptions::default()).unwrap_err();
    assert!(
        matches!(err, PackError::Source(SourceError::Io { .. })),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("README.md"), "x").unwrap();
    let err = pack::pack_dir(dir.path(), &SourceOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "there is no SKILL.md at the root of the Skill"
    );
}

#[test]
fn write_is_atomic_and_leaves_nothing_on_failure() {
    let packed = pack::pack_dir(&fixture(), &SourceOptions::default()).unwrap();
    let out = tempfile::tempdir().unwrap();

    // The bundle's name is taken by a folder: persisting fails; nothing is left behind.
    let blocked = out.path().join("new/deeper");
    fs::create_dir_all(blocked.join(packed.bundle_file_name())).unwrap();
    let before = listing(out.path());
    assert!(pack::write(&packed, &blocked).is_err());
    assert_eq!(listing(out.path()), before, "no temporary files remain");

    // The output folder's parent is a file: nothing is created.
    fs::write(out.path().join("file"), "x").unwrap();
    let before = listing(out.path());
    assert!(pack::write(&packed, &out.path().join("file/sub/dir")).is_err());
    assert_eq!(listing(out.path()), before);

    // Missing folders are created, and removed again when the write fails.
    let fresh = out.path().join("a/b/c");
    let written = pack::write(&packed, &fresh).unwrap();
    assert_eq!(fs::read(&written.bundle).unwrap(), packed.bundle);
    assert_eq!(
        fs::read(&written.manifest).unwrap(),
        packed.manifest.to_canonical_json()
    );
    assert_eq!(
        listing(&fresh),
        [packed.bundle_file_name(), packed.manifest_file_name()]
    );
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = walk_all(dir)
        .into_iter()
        .map(|p| p.strip_prefix(dir).unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn walk_all(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        out.push(path.clone());
        if path.is_dir() {
            out.extend(walk_all(&path));
        }
    }
    out
}

/// Every real published Skill in the shared corpus loads, packs (given a skillsig.toml, which
/// none of them has) and reads back to the same tree. Odd frontmatter never stops a pack.
#[test]
fn benign_corpus_packs_and_round_trips() {
    let Some(corpus) = shared::dir(BENIGN_CORPUS) else {
        return;
    };
    let entries = fs::read_dir(&corpus).unwrap();
    let mut skills: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    skills.sort();
    let mut with_diagnostics = 0;
    for skill in &skills {
        let copy = tempfile::tempdir().unwrap();
        assert!(
            Command::new("cp")
                .arg("-a")
                .arg(format!("{}/.", skill.display()))
                .arg(copy.path())
                .status()
                .unwrap()
                .success()
        );
        fs::write(
            copy.path().join("skillsig.toml"),
            "[skill]\nnamespace = \"corpus\"\nname = \"corpus-skill\"\nversion = \"0.0.0\"\n",
        )
        .unwrap();
        let packed = pack::pack_dir(copy.path(), &SourceOptions::default())
            .unwrap_or_else(|err| panic!("{}: {err}", skill.display()));
        if !packed.info.diagnostics.is_empty() {
            with_diagnostics += 1;
        }
        let read = bundle::read_bytes(&packed.bundle, &Limits::DEFAULT).unwrap();
        assert_eq!(read.tree, packed.tree, "{}", skill.display());
    }
    assert!(skills.len() >= 200, "corpus has {} Skills", skills.len());
    eprintln!(
        "{} Skills packed; {with_diagnostics} with diagnostics",
        skills.len()
    );
}

/// A gzip file's bytes with its 10-byte header replaced by the fixed one bundles carry (the
/// header is outside the CRC, so the data still checks).
fn with_bundle_header(path: &Path) -> Vec<u8> {
    let mut bytes = fs::read(path).unwrap();
    bytes[..10].copy_from_slice(&bundle::GZIP_HEADER);
    bytes
}
