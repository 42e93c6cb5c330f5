//! Auditing installed Skills: are they still what was installed, by a signer still trusted, and
//! clean under today's rules and policy?
//!
//! Nothing in the installed folder is taken on its word. The decision is the one every gate
//! takes ([`crate::decision::decide`] on the folder): the stored signature is verified again
//! against today's trust root; the files on disk are compared
//! with the manifest *that signature covers* (the stored `manifest.json` only has to agree with
//! it); and today's policy is applied: a receipt that says the Skill was installed unsigned is a
//! problem unless the policy still accepts unsigned Skills. The folder is walked without
//! following any link, and whatever the walk does not read as an ordinary file of the Skill (a
//! link, a special file, a `.git`, a file over the scanner's limits) is a problem itself. An
//! installed Skill folder that is itself a link is reported, not entered. Audit only reads.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{MANIFEST_FILE, RECEIPT_DIR, RECEIPT_FILE, Receipt, SIGNATURE_FILE};
use crate::bundle::is_executable;
use crate::decision::{Judge, Judged, Refusal, Signer, Subject, decide};
use crate::limits::Limits;
use crate::manifest::{ContentMismatch, FileMismatch, Manifest, PAYLOAD_TYPE};
use crate::policy::Policy;
use crate::signing::envelope::{self, Signed};
use crate::tree::{Sha256Digest, sha256};
use crate::verify::{Authority, VerifyError};

/// One problem with an installed Skill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// A stable code:
    /// - `no-receipt`: installed without skillsig, nothing to check the files against;
    /// - `receipt-invalid`: the receipt or stored manifest is damaged, missing or disagrees with
    ///   the other, or the receipt says signed but the signature is gone;
    /// - `unsigned`: no signature is stored (whatever the receipt says) and today's policy
    ///   requires signatures;
    /// - `signature-mismatch`: the stored manifest is not the one the stored signature covers
    ///   (the files are then checked against the signed one);
    /// - `signer-not-trusted`: the stored signature does not verify against today's trust root
    ///   (revoked, expired or unknown key, namespace no longer allowed, altered signature), or
    ///   there is no trust root;
    /// - `publisher-not-allowed`, `trust-root-too-old`, `permission-denied`,
    ///   `permission-not-allowed`: today's policy refuses the signer or a declared permission
    ///   (the policy's own codes);
    /// - `file-changed`, `file-added`, `file-removed`, `exec-bit-changed`: the files differ from
    ///   the signed manifest;
    /// - `symlink`: a symbolic link inside the Skill (never followed);
    /// - `special-file`: a FIFO, socket or device inside the Skill;
    /// - `git-folder`: a `.git` inside the Skill (its `config` can run programs on the next
    ///   `git` command there, e.g. through `core.fsmonitor`);
    /// - `not-scanned`: a file the scanner did not read (over its size or count limits, or
    ///   unreadable);
    /// - `skill-symlink`: the Skill folder itself is a symbolic link, so OpenClaw loads whatever
    ///   it points to;
    /// - `finding`: a scan finding that blocks under today's rules and policy;
    /// - `unreadable`: the Skill folder could not be read to be judged;
    /// - `shadowed`: a Skill of the same name in a location OpenClaw loads first.
    /// - `stale-staging`: a folder an install killed midway left behind (the next install in
    ///   that location removes it, or puts back a version it had moved aside).
    pub code: &'static str,
    /// What is wrong, for people.
    pub message: String,
}

/// The audit of one Skill folder.
#[derive(Debug, Clone, Serialize)]
pub struct AuditedSkill {
    /// The folder audited.
    pub path: PathBuf,
    /// `namespace/name@version` from the verified manifest, else from the receipt, else the
    /// folder name.
    pub skill: String,
    /// Whether nothing is wrong.
    pub clean: bool,
    /// Everything that is wrong.
    pub problems: Vec<Problem>,
}

/// The problems found so far in one Skill folder.
#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn push(&mut self, code: &'static str, message: String) {
        self.0.push(Problem { code, message });
    }
}

/// Every Skill folder below `root` (one level, and `root` itself): folders holding a
/// `SKILL.md`, and every link to a folder (OpenClaw follows links, so a linked folder is
/// audited, and reported, whatever it holds).
pub fn skill_folders(root: &Path) -> Vec<PathBuf> {
    if has_skill_md(root) {
        return vec![root.to_owned()];
    }
    let mut out: Vec<PathBuf> = fs::read_dir(root)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().to_string_lossy().starts_with(".skillsig-"))
        .filter(|e| match e.file_type() {
            Ok(t) if t.is_dir() => has_skill_md(&e.path()),
            Ok(t) if t.is_symlink() => e.path().is_dir(),
            _ => false,
        })
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

/// Whether `dir` has a `SKILL.md` entry of any kind (a link named so is reported by the audit).
fn has_skill_md(dir: &Path) -> bool {
    ["SKILL.md", "skill.md"]
        .iter()
        .any(|name| fs::symlink_metadata(dir.join(name)).is_ok())
}

/// Audits one installed Skill folder against the current trust root and policy. Reads only.
pub fn audit_skill(
    dir: &Path,
    authority: Option<&Authority>,
    policy: &Policy,
    now: Timestamp,
    limits: &Limits,
) -> AuditedSkill {
    let folder_name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut problems = Problems::default();
    if fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
        let target = fs::read_link(dir)
            .map(|t| t.display().to_string())
            .unwrap_or_else(|err| format!("an unreadable target ({err})"));
        problems.push(
            "skill-symlink",
            format!(
                "{} is a symbolic link to {target}: OpenClaw follows it and loads whatever is there, which skillsig did not install or verify; remove the link and install the Skill with `skillsig install`",
                dir.display()
            ),
        );
        return AuditedSkill {
            path: dir.to_owned(),
            skill: folder_name,
            clean: false,
            problems: problems.0,
        };
    }
    let on_disk = walk(dir, limits, &mut problems);
    let stored = StoredReceipt::read(dir, limits);
    let mut skill = folder_name;
    let receipt = match stored.receipt {
        None => {
            problems.push(
                "no-receipt",
                "installed without skillsig: no receipt, so nothing to check the files against"
                    .into(),
            );
            None
        }
        Some(Err(err)) => {
            problems.push(
                "receipt-invalid",
                format!("{RECEIPT_DIR}/{RECEIPT_FILE} is damaged: {err}; reinstall the Skill"),
            );
            None
        }
        Some(Ok(receipt)) => Some(receipt),
    };
    // The decision is the one every gate takes; the receipt and the stored manifest only
    // explain it (which files changed), they never make a Skill pass.
    let judge = Judge {
        authority,
        policy,
        allow_unsigned: true,
        now,
        limits,
    };
    let (reason, violations, judged) = match decide(&Subject::Folder { dir }, &judge) {
        Ok(decision) => match decision.into_result() {
            Ok(accepted) => (None, Vec::new(), Some(accepted.into_judged())),
            Err(refused) => {
                let (reason, violations, judged) = refused.into_parts();
                (Some(reason), violations, judged)
            }
        },
        Err(err) => {
            problems.push(
                "unreadable",
                format!(
                    "the Skill cannot be read to be judged [{}]: {err}",
                    err.code()
                ),
            );
            (None, Vec::new(), None)
        }
    };
    let stored_manifest = stored
        .manifest
        .as_deref()
        .and_then(|b| Manifest::from_json(b).ok());
    // The manifest that explains which files changed, when the decision has none of its own.
    let mut explain_with: Option<&Manifest> = None;
    if let Some(receipt) = &receipt {
        skill = receipt.skill.clone();
        let agrees = stored
            .manifest
            .as_deref()
            .is_some_and(|b| hex::encode(sha256(b)) == receipt.manifest_sha256);
        if stored_manifest.is_none() || !agrees {
            problems.push(
                "receipt-invalid",
                format!("{RECEIPT_DIR}/{MANIFEST_FILE} is missing, damaged, or not the manifest the receipt names; reinstall the Skill"),
            );
        }
        // Which manifest the signature carries is read without trusting it: whether it
        // verifies is the decision's to say.
        let signed_payload = stored.signature.as_deref().and_then(|bytes| {
            match envelope::parse(bytes, PAYLOAD_TYPE).ok()? {
                Signed::Key(signed) | Signed::Keyless(signed) => Some(signed.payload),
            }
        });
        if let Some(payload) = &signed_payload
            && stored.manifest.as_deref() != Some(payload.as_slice())
        {
            problems.push(
                "signature-mismatch",
                format!("{RECEIPT_DIR}/{MANIFEST_FILE} is not the manifest {RECEIPT_DIR}/{SIGNATURE_FILE} signs: the files are checked against the signed one; reinstall the Skill"),
            );
        }
        if let Some(Signer::Skill(signed)) = judged.as_ref().map(Judged::signer) {
            skill = signed.manifest().id().to_string();
        }
        if stored.signature.is_none() && receipt.signed {
            problems.push(
                "receipt-invalid",
                format!("the receipt says signed, but {RECEIPT_DIR}/{SIGNATURE_FILE} is missing; reinstall the Skill"),
            );
        }
        explain_with = stored_manifest.as_ref();
        match &reason {
            Some(Refusal::Verify(VerifyError::Content(ContentMismatch::Files(mismatches)))) => {
                // The decision compared the files with the signed manifest: say which differ.
                explain_with = None;
                for mismatch in mismatches {
                    let (code, path, what) = match mismatch {
                        FileMismatch::Extra(path) => ("file-added", path, "added"),
                        FileMismatch::Missing(path) => ("file-removed", path, "removed"),
                        FileMismatch::Changed(path) => ("file-changed", path, "changed"),
                        FileMismatch::ExecBit(path) => {
                            ("exec-bit-changed", path, "given another exec bit")
                        }
                    };
                    problems.push(code, format!("{path} was {what} since install"));
                }
            }
            Some(Refusal::Verify(err)) => problems.push(
                "signer-not-trusted",
                format!("the stored signature does not verify against today's trust root [{}]: {err}", err.code()),
            ),
            Some(Refusal::Oms(err)) => problems.push(
                "signer-not-trusted",
                format!("the folder's OpenSSF model-signing signature does not verify against today's trust root [{}]: {err}", err.code()),
            ),
            Some(Refusal::NoTrustRoot) => problems.push(
                "signer-not-trusted",
                "no trust root to check the signer against; pass --trust-root".into(),
            ),
            Some(Refusal::Unsigned) => problems.push(
                "unsigned",
                "no signature is stored, so nobody vouches for these files, and the policy requires signatures; reinstall the Skill from a signed bundle".into(),
            ),
            // Verified (the files are the signed ones), or links and special files the walk
            // reports itself.
            _ => {
                if judged
                    .as_ref()
                    .is_some_and(|j| matches!(j.signer(), Signer::Skill(_)))
                {
                    explain_with = None;
                }
            }
        }
    }
    if let Some(manifest) = explain_with {
        compare_files(manifest, &on_disk, &mut problems);
    }
    for violation in violations {
        match violation.code {
            "finding-blocks" => problems.push("finding", violation.message),
            code => problems.push(code, violation.message),
        }
    }
    AuditedSkill {
        path: dir.to_owned(),
        skill,
        clean: problems.0.is_empty(),
        problems: problems.0,
    }
}

/// The files in `.skillsig/`, each read only when it is a regular file (no link followed):
/// `None` when absent.
struct StoredReceipt {
    receipt: Option<Result<Receipt, String>>,
    manifest: Option<Vec<u8>>,
    signature: Option<Vec<u8>>,
}

impl StoredReceipt {
    fn read(dir: &Path, limits: &Limits) -> StoredReceipt {
        let receipt_dir = dir.join(RECEIPT_DIR);
        // A linked `.skillsig` is reported by the walk; nothing is read through it.
        let real_dir = fs::symlink_metadata(&receipt_dir).is_ok_and(|m| m.is_dir());
        let read = |name: &str| {
            real_dir
                .then(|| read_regular(&receipt_dir.join(name), limits.max_file_bytes))
                .and_then(Result::ok)
        };
        StoredReceipt {
            receipt: read(RECEIPT_FILE)
                .map(|bytes| serde_json::from_slice(&bytes).map_err(|e| e.to_string())),
            manifest: read(MANIFEST_FILE),
            signature: read(SIGNATURE_FILE),
        }
    }
}

/// A regular file of the installed Skill.
struct DiskFile {
    absolute: PathBuf,
    size: u64,
    executable: bool,
    /// The content, when the scanner read it (within its limits).
    data: Option<Vec<u8>>,
}

/// Walks the Skill folder without following links. Returns its regular files but the
/// receipt's own, by `/`-separated path, read when within the scanner's limits; everything
/// else it meets is a problem: links, special files, `.git`, files not read, names that are
/// not UTF-8.
fn walk(dir: &Path, limits: &Limits, problems: &mut Problems) -> BTreeMap<String, DiskFile> {
    let receipt_files =
        [RECEIPT_FILE, MANIFEST_FILE, SIGNATURE_FILE].map(|f| format!("{RECEIPT_DIR}/{f}"));
    let mut files = BTreeMap::new();
    let (mut read_count, mut read_bytes) = (0usize, 0u64);
    let mut walker = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .follow_root_links(false)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = walker.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                let place = err.path().unwrap_or(dir).display().to_string();
                problems.push(
                    "not-scanned",
                    format!("{place}: cannot be read ({err}), so it was not checked; make it readable and audit again"),
                );
                continue;
            }
        };
        let relative = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let lossy = relative.to_string_lossy().replace('\\', "/");
        let meta = match fs::symlink_metadata(entry.path()) {
            Ok(meta) => meta,
            Err(err) => {
                problems.push(
                    "not-scanned",
                    format!("{lossy}: cannot be read ({err}), so it was not checked; make it readable and audit again"),
                );
                continue;
            }
        };
        let file_type = meta.file_type();
        if entry.file_name() == ".git" {
            problems.push(
                "git-folder",
                format!("{lossy}: a git repository's data, never part of an installed Skill; its config can run programs on the next git command in this folder (core.fsmonitor); remove it"),
            );
            if file_type.is_dir() {
                walker.skip_current_dir();
            }
            continue;
        }
        if file_type.is_symlink() {
            let target = fs::read_link(entry.path())
                .map(|t| t.display().to_string())
                .unwrap_or_default();
            problems.push(
                "symlink",
                format!("{lossy}: a symbolic link to {target:?}, never installed by skillsig; whatever reads it reads a file nobody verified; remove it"),
            );
            continue;
        }
        if file_type.is_dir() {
            continue;
        }
        if !file_type.is_file() {
            problems.push(
                "special-file",
                format!(
                    "{lossy}: a FIFO, socket or device, never installed by skillsig; remove it"
                ),
            );
            continue;
        }
        let Some(path) = relative.to_str().map(|p| p.replace('\\', "/")) else {
            problems.push(
                "file-added",
                format!("{lossy}: a name that is not UTF-8, so no Skill can ship it; remove it"),
            );
            continue;
        };
        if receipt_files.contains(&path) {
            continue;
        }
        let size = meta.len();
        let within_limits = read_count < limits.max_files
            && size <= limits.max_file_bytes
            && read_bytes.saturating_add(size) <= limits.max_total_bytes;
        let data = if within_limits {
            match read_regular(entry.path(), limits.max_file_bytes) {
                Ok(data) => {
                    read_count += 1;
                    read_bytes += data.len() as u64;
                    Some(data)
                }
                Err(err) => {
                    problems.push(
                        "not-scanned",
                        format!("{path}: cannot be read ({err}), so it was not scanned; make it readable and audit again"),
                    );
                    None
                }
            }
        } else {
            problems.push(
                "not-scanned",
                format!(
                    "{path}: {size} bytes, over the scanner's limits ({} bytes a file, {} bytes and {} files in all), so it was not scanned; remove it, or reinstall the Skill",
                    limits.max_file_bytes, limits.max_total_bytes, limits.max_files
                ),
            );
            None
        };
        files.insert(
            path,
            DiskFile {
                absolute: entry.path().to_owned(),
                size,
                executable: is_executable(&meta),
                data,
            },
        );
    }
    files
}

/// Opens `path` for reading only if it is a regular file, never following a link (nor
/// blocking on a FIFO swapped in since the walk).
fn open_regular(path: &Path) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    Ok(file)
}

/// The content of a regular file, refused when larger than `limit`.
fn read_regular(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let mut data = Vec::new();
    open_regular(path)?
        .take(limit.saturating_add(1))
        .read_to_end(&mut data)?;
    if data.len() as u64 > limit {
        return Err(std::io::Error::other(format!("larger than {limit} bytes")));
    }
    Ok(data)
}

/// SHA-256 of a file, from the bytes already read, else streamed from disk.
fn digest(file: &DiskFile) -> std::io::Result<Sha256Digest> {
    match &file.data {
        Some(data) => Ok(sha256(data)),
        None => {
            let mut hasher = Sha256::new();
            std::io::copy(&mut open_regular(&file.absolute)?, &mut hasher)?;
            Ok(hasher.finalize().into())
        }
    }
}

/// The files on disk against the manifest: removed, changed (size or content), exec bit
/// flipped, added.
fn compare_files(
    manifest: &Manifest,
    on_disk: &BTreeMap<String, DiskFile>,
    problems: &mut Problems,
) {
    for record in manifest.records() {
        let path = record.path.as_str();
        let Some(file) = on_disk.get(path) else {
            problems.push("file-removed", format!("{path} was removed since install"));
            continue;
        };
        // The size first: a file of another size is not read again to be hashed.
        let changed = file.size != record.size
            || match digest(file) {
                Ok(digest) => digest != record.sha256,
                Err(_) => true,
            };
        if changed {
            problems.push("file-changed", format!("{path} was changed since install"));
        } else if file.executable != record.executable {
            problems.push(
                "exec-bit-changed",
                format!(
                    "{path} was made {} since install",
                    if file.executable {
                        "executable"
                    } else {
                        "not executable"
                    }
                ),
            );
        }
    }
    for path in on_disk.keys() {
        if !manifest.records().iter().any(|r| r.path.as_str() == path) {
            problems.push("file-added", format!("{path} was added since install"));
        }
    }
}

/// Skills with the same folder name in more than one location: the one OpenClaw loads first
/// shadows the others (`locations` are in OpenClaw's precedence order).
pub fn shadowing(locations: &[PathBuf]) -> Vec<(String, Vec<PathBuf>)> {
    let mut by_name: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for location in locations {
        for dir in skill_folders(location) {
            if let Some(name) = dir.file_name() {
                by_name
                    .entry(name.to_string_lossy().into_owned())
                    .or_default()
                    .push(dir);
            }
        }
    }
    by_name
        .into_iter()
        .filter(|(_, dirs)| dirs.len() > 1)
        .collect()
}

/// OpenClaw's Skill locations, highest precedence first.
pub fn default_locations() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(workspace) = super::workspace() {
        out.push(workspace.join("skills"));
        out.push(workspace.join(".agents").join("skills"));
    }
    if let Some(home) = directories::BaseDirs::new().map(|d| d.home_dir().to_owned()) {
        out.push(home.join(".agents").join("skills"));
        out.push(home.join(".openclaw").join("skills"));
    }
    out
}

/// What installs killed midway left in the destination folder `location`
/// ([`super::stale_staging`]), each as a Skill that is not clean, with the problem
/// `stale-staging`.
pub fn stale_staging(location: &Path) -> Vec<AuditedSkill> {
    super::stale_staging(location)
        .into_iter()
        .map(|path| AuditedSkill {
            skill: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            clean: false,
            problems: vec![Problem {
                code: "stale-staging",
                message: "left by an install that was interrupted (a half-written new version, or an old version moved aside); the next install into this folder removes it, or puts back an old version that has nothing in its place".into(),
            }],
            path,
        })
        .collect()
}
