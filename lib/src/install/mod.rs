//! Installing a Skill, and auditing installed ones.
//!
//! [`approve`] turns fetched bytes into an [`Approved`] Skill (verified against the trust root,
//! scanned, and accepted by the policy) — the only thing [`write()`] takes. Writing is atomic: the
//! already verified in-memory files go into a fresh folder beside the destination (files created
//! exclusively, modes 0644/0755 only, nothing followed), with a receipt, and the folder is then
//! renamed into place; an installed older version is swapped out in one atomic exchange where the
//! platform has one (Linux), else kept aside until the new one is in place. If anything fails,
//! nothing is left behind and the old version is untouched.
//!
//! Writers of one destination folder take turns: [`LockedDestination`] holds an advisory lock on
//! a file in the folder for the whole write (and the `skillsig.lock` update that goes with it),
//! and first sweeps what an install killed midway left there ([`stale_staging`]).

pub mod audit;
pub mod fetch;
pub mod lock;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::decision::{Decision, Judge, Judged, Refusal, Signer, decide_bundle};
use crate::limits::Limits;
use crate::manifest::Manifest;
use crate::policy::{Policy, Violation};
use crate::scan::{ScanSummary, SkillReport};
use crate::sigstore::CertificateSigner;
use crate::tree::{FileTree, sha256};
use crate::verify::{Authority, SignedBy, VerifyError};

/// Folder, inside an installed Skill, that holds the receipt, manifest and signature.
pub const RECEIPT_DIR: &str = crate::tree::RESERVED_ROOT;
/// The receipt's file name inside [`RECEIPT_DIR`].
pub const RECEIPT_FILE: &str = "receipt.json";
pub use crate::decision::{MANIFEST_FILE, SIGNATURE_FILE};

/// A Skill the checks accepted, ready to write. Only [`approve`] makes one.
#[derive(Debug, Clone)]
pub struct Approved {
    manifest: Manifest,
    manifest_bytes: Vec<u8>,
    signature: Option<Vec<u8>>,
    tree: FileTree,
    report: SkillReport,
    receipt: Receipt,
}

impl Approved {
    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The scan of the files about to be installed.
    pub fn report(&self) -> &SkillReport {
        &self.report
    }

    /// The receipt that will be written.
    pub fn receipt(&self) -> &Receipt {
        &self.receipt
    }
}

/// What was installed, from where, signed by whom, and what the scan said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// The receipt format's version.
    pub receipt_version: u32,
    /// `namespace/name@version`.
    pub skill: String,
    /// When the install happened.
    pub installed_at: Timestamp,
    /// Where the bundle came from: a path, URL or `registry … ns/name@version`.
    pub source: String,
    /// SHA-256 of the manifest bytes (hex).
    pub manifest_sha256: String,
    /// The tree digest (hex).
    pub tree_digest: String,
    /// Whether a signature was verified.
    pub signed: bool,
    /// The trust-root publisher that signed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub publisher: Option<String>,
    /// The key id, for key signatures.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key_id: Option<String>,
    /// For a keyless signature: the certificate's identity and issuer.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub certificate_identity: Option<CertificateIdentityRef>,
    /// The trust root the signature was checked against.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trust_root: Option<TrustRootRef>,
    /// The scan at install time.
    pub scan: ScanSummary,
}

/// The identity a keyless signature's certificate names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateIdentityRef {
    /// The certificate's subject (SAN).
    pub identity: String,
    /// The OIDC issuer it names.
    pub issuer: String,
}

impl From<CertificateSigner> for CertificateIdentityRef {
    fn from(c: CertificateSigner) -> Self {
        CertificateIdentityRef {
            identity: c.identity,
            issuer: c.issuer,
        }
    }
}

/// Name and version of a trust root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustRootRef {
    /// The trust root's name.
    pub name: String,
    /// Its version.
    pub version: u64,
}

/// Why a Skill was not installed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InstallError {
    /// The signature does not verify.
    #[error("verification failed: {0}")]
    Verify(#[from] VerifyError),
    /// The verified Skill is not the one the registry's index promised.
    #[error("{0}")]
    Registry(#[from] crate::registry::RegistryError),
    /// No signature, and the policy requires one.
    #[error(
        "the bundle has no signature and the policy requires one (an unsigned install needs `allow_unsigned = true` in the policy and --allow-unsigned)"
    )]
    Unsigned,
    /// The bundle cannot be read.
    #[error("the bundle is refused: {0}")]
    Bundle(String),
    /// Policy violations, all of them.
    #[error("the install policy refuses it:\n{}", .0.iter().map(|v| format!("[{}] {}", v.code, v.message)).collect::<Vec<_>>().join("\n"))]
    Policy(Vec<Violation>),
    /// The install target is a file or something else that is not a folder; left untouched.
    #[error(
        "{}: is not a folder, so it is not an installed Skill; nothing was changed. Move or remove it, or install with --dest elsewhere",
        .0.display()
    )]
    TargetNotAFolder(PathBuf),
    /// The install target is a symbolic link (dangling or not); never followed, left untouched.
    #[error(
        "{}: is a symbolic link; skillsig never installs through one (it would write wherever the link points). Nothing was changed. Remove the link, or pass --dest with the real folder",
        .0.display()
    )]
    TargetIsSymlink(PathBuf),
    /// Writing the installed Skill failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path being written.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

impl InstallError {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            InstallError::Verify(e) => e.code(),
            InstallError::Registry(e) => e.code(),
            InstallError::Unsigned => "unsigned",
            InstallError::Bundle(..) => "bundle-invalid",
            InstallError::Policy(..) => "policy",
            InstallError::TargetNotAFolder(..) => "target-not-a-folder",
            InstallError::TargetIsSymlink(..) => "target-is-symlink",
            InstallError::Io { .. } => "io",
        }
    }
}

/// The one decision ([`crate::decision::decide_bundle`]) over fetched bytes, then the Skill a
/// registry's index promised (when `fetched` came from one) held to the manifest. Every policy
/// violation is reported at once.
pub fn approve(
    fetched: &fetch::Fetched,
    authority: &Authority,
    policy: &Policy,
    allow_unsigned_flag: bool,
    now: Timestamp,
    limits: &Limits,
) -> Result<Approved, InstallError> {
    let judge = Judge {
        authority: Some(authority),
        policy,
        allow_unsigned: allow_unsigned_flag,
        now,
        limits,
    };
    let decision = decide_bundle(&fetched.bundle, fetched.signature.as_deref(), &judge);
    // A refused verification is said first; then a Skill other than the one the index promised.
    if let Decision::Refuse(refused) = &decision
        && let Refusal::Verify(err) = refused.reason()
    {
        return Err(match fetched.signature {
            Some(_) => InstallError::Verify(err.clone()),
            None => InstallError::Bundle(err.to_string()),
        });
    }
    if let (Some(promised), Some(manifest)) = (
        &fetched.expected,
        decision.judged().and_then(Judged::manifest),
    ) {
        crate::registry::check_index_identity(&promised.skill, manifest.id())?;
        crate::registry::check_index_tree(&promised.tree_digest, &manifest.tree_digest())?;
    }
    let judged = match decision.into_result() {
        Ok(accepted) => accepted.into_judged(),
        Err(refused) => {
            return Err(match refused.into_parts() {
                (Refusal::Unsigned, ..) => InstallError::Unsigned,
                (Refusal::Verify(err), ..) => InstallError::Verify(err),
                (_, violations, _) => InstallError::Policy(violations),
            });
        }
    };
    let report = judged.report().clone();
    let (manifest, manifest_bytes, tree, verified) = match judged.into_parts() {
        (Signer::Skill(skill), _) => (
            skill.manifest().clone(),
            skill.manifest_bytes().to_vec(),
            skill.tree().clone(),
            Some(skill),
        ),
        (Signer::Unsigned, Some((manifest, tree))) => {
            let bytes = manifest.to_canonical_json();
            (manifest, bytes, tree, None)
        }
        // A bundle is judged by its skillsig signature or as unsigned files, nothing else.
        _ => return Err(InstallError::Unsigned),
    };
    let receipt = Receipt {
        receipt_version: 1,
        skill: manifest.id().to_string(),
        installed_at: now,
        source: fetched.origin.clone(),
        manifest_sha256: hex::encode(sha256(&manifest_bytes)),
        tree_digest: hex::encode(manifest.tree_digest()),
        signed: verified.is_some(),
        publisher: verified.as_ref().map(|v| v.publisher().to_owned()),
        key_id: verified.as_ref().and_then(|v| match v.signed_by() {
            SignedBy::Key(id) => Some(id.to_string()),
            SignedBy::Certificate(_) => None,
        }),
        certificate_identity: verified.as_ref().and_then(|v| match v.signed_by() {
            SignedBy::Key(_) => None,
            SignedBy::Certificate(c) => Some(c.clone().into()),
        }),
        trust_root: verified
            .as_ref()
            .and_then(|v| v.trust_root())
            .map(|(name, version)| TrustRootRef {
                name: name.to_owned(),
                version,
            }),
        scan: ScanSummary::of(&report),
    };
    Ok(Approved {
        manifest,
        manifest_bytes,
        signature: fetched.signature.clone(),
        tree,
        report,
        receipt,
    })
}

/// The lock file, inside a destination folder, that writers of that folder take turns on.
pub const DESTINATION_LOCK_FILE: &str = ".skillsig-writing.lock";
/// Prefix of the folder a new version is written into before it is swapped into place.
const NEW_PREFIX: &str = ".skillsig-new-";
/// Prefix of the folder an installed version is moved to while being replaced (only where there
/// is no atomic exchange).
const OLD_PREFIX: &str = ".skillsig-old-";

/// A destination folder this process alone writes to until it is dropped: an advisory lock
/// (`flock`) on [`DESTINATION_LOCK_FILE`] inside it. The kernel releases the lock when the
/// process dies, however it dies, so a killed install never blocks the next one.
#[derive(Debug)]
pub struct LockedDestination {
    dir: PathBuf,
    /// Held open for the lock; closing it releases the lock.
    _lock: fs::File,
}

impl LockedDestination {
    /// Creates `dir` if needed, waits for any other writer of it to finish, then sweeps what an
    /// interrupted install left there: staging folders are removed, and an installed version
    /// moved aside with nothing in its place is put back.
    pub fn acquire(dir: &Path) -> Result<LockedDestination, InstallError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| InstallError::Io { path, source }
        };
        fs::create_dir_all(dir).map_err(io(dir))?;
        let path = dir.join(DESTINATION_LOCK_FILE);
        let lock = loop {
            let mut options = fs::OpenOptions::new();
            options.read(true).write(true).create(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o644).custom_flags(libc::O_NOFOLLOW);
            }
            let file = options.open(&path).map_err(io(&path))?;
            file.lock().map_err(io(&path))?;
            // The writer before us removes the file as it finishes: a lock on a removed file
            // excludes nobody, so take it again on the file now at the path.
            if still_at(&file, &path) {
                break file;
            }
        };
        let held = LockedDestination {
            dir: dir.to_owned(),
            _lock: lock,
        };
        held.sweep();
        Ok(held)
    }

    /// The destination folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Removes the leftovers of installs that were killed midway (no live writer can own them:
    /// we hold the lock). An old version moved aside with nothing in its place goes back.
    fn sweep(&self) {
        for leftover in staging_folders(&self.dir) {
            let name = leftover
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let restore = name
                .strip_prefix(OLD_PREFIX)
                .and_then(|rest| rest.rsplit_once('-'))
                .map(|(skill, _pid)| self.dir.join(skill))
                .filter(|target| fs::symlink_metadata(target).is_err());
            let restored = restore.is_some_and(|target| fs::rename(&leftover, target).is_ok());
            if !restored {
                // Best effort: what cannot be removed stays visible to `audit` as stale.
                let _ = fs::remove_dir_all(&leftover);
            }
        }
    }
}

impl Drop for LockedDestination {
    fn drop(&mut self) {
        // Removed while still held, so that a waiter holding the old file sees it is gone
        // (`still_at`) and retries; the lock itself is released when the file closes.
        #[cfg(unix)]
        let _ = fs::remove_file(self.dir.join(DESTINATION_LOCK_FILE));
    }
}

/// Whether `file` is still the file at `path`.
#[cfg(unix)]
fn still_at(file: &fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::symlink_metadata(path)) {
        (Ok(held), Ok(current)) => held.dev() == current.dev() && held.ino() == current.ino(),
        _ => false,
    }
}

/// Elsewhere the lock file is never removed, so the file locked is the one at the path.
#[cfg(not(unix))]
fn still_at(_file: &fs::File, _path: &Path) -> bool {
    true
}

/// The staging folders (`.skillsig-new-*`, `.skillsig-old-*`) in `dir`, live or not.
fn staging_folders(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            (name.starts_with(NEW_PREFIX) || name.starts_with(OLD_PREFIX))
                && e.file_type().is_ok_and(|t| t.is_dir())
        })
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

/// What installs killed midway left in the destination folder `dir`: half-written new versions
/// and old versions moved aside. Empty while an install into `dir` is running (the folders are
/// then its own); the next install sweeps them.
pub fn stale_staging(dir: &Path) -> Vec<PathBuf> {
    let folders = staging_folders(dir);
    if folders.is_empty() || writer_running(dir) {
        return Vec::new();
    }
    folders
}

/// Whether another process holds `dir`'s write lock right now.
fn writer_running(dir: &Path) -> bool {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    // Never follow a link, nor wait on a FIFO planted under the lock file's name.
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let Ok(file) = options.open(dir.join(DESTINATION_LOCK_FILE)) else {
        return false;
    };
    matches!(file.try_lock(), Err(fs::TryLockError::WouldBlock))
}

/// Writes an approved Skill to `<dest>/<name>` atomically, replacing an installed version only
/// once the new one is complete. Returns the installed folder.
///
/// An existing target that is not a plain folder — a file, or a symbolic link, even to a folder
/// or dangling — is refused and left as it is.
pub fn write(approved: &Approved, dest: &LockedDestination) -> Result<PathBuf, InstallError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| InstallError::Io { path, source }
    };
    let dest = dest.path();
    let target = dest.join(&approved.manifest.id().name);
    let replacing = match fs::symlink_metadata(&target) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(InstallError::TargetIsSymlink(target));
        }
        Ok(meta) if meta.is_dir() => true,
        Ok(_) => return Err(InstallError::TargetNotAFolder(target)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(source) => {
            return Err(InstallError::Io {
                path: target,
                source,
            });
        }
    };
    let staging = tempfile::Builder::new()
        .prefix(NEW_PREFIX)
        .tempdir_in(dest)
        .map_err(io(dest))?;
    let staged = staging.path();
    for (path, entry) in approved.tree.iter() {
        let file_path = path.components().fold(staged.to_owned(), |p, c| p.join(c));
        if let Some(parent) = file_path.parent() {
            fs::create_dir_all(parent).map_err(io(parent))?;
        }
        write_new(
            &file_path,
            &entry.data,
            if entry.executable { 0o755 } else { 0o644 },
        )
        .map_err(io(&file_path))?;
    }
    let receipt_dir = staged.join(RECEIPT_DIR);
    fs::create_dir_all(&receipt_dir).map_err(io(&receipt_dir))?;
    let receipt = serde_json::to_vec_pretty(&approved.receipt).expect("a receipt serializes");
    write_new(&receipt_dir.join(RECEIPT_FILE), &receipt, 0o644).map_err(io(&receipt_dir))?;
    write_new(
        &receipt_dir.join(MANIFEST_FILE),
        &approved.manifest_bytes,
        0o644,
    )
    .map_err(io(&receipt_dir))?;
    if let Some(signature) = &approved.signature {
        write_new(&receipt_dir.join(SIGNATURE_FILE), signature, 0o644).map_err(io(&receipt_dir))?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(staged, fs::Permissions::from_mode(0o755)).map_err(io(staged))?;
    }
    if !replacing {
        fs::rename(staged, &target).map_err(io(&target))?;
        // Renamed away: nothing is left for the guard to remove.
        let _ = staging.keep();
        return Ok(target);
    }
    match exchange(staged, &target) {
        // The staging folder now holds the old version; the guard removes it.
        Ok(()) => return Ok(target),
        Err(e) if !exchange_unsupported(&e) => return Err(io(&target)(e)),
        Err(_) => {}
    }
    // No atomic exchange here: keep the old version aside until the new one is in place.
    let aside = dest.join(format!(
        "{OLD_PREFIX}{}-{}",
        approved.manifest.id().name,
        std::process::id()
    ));
    fs::rename(&target, &aside).map_err(io(&target))?;
    if let Err(source) = fs::rename(staged, &target) {
        let _ = fs::rename(&aside, &target);
        return Err(InstallError::Io {
            path: target,
            source,
        });
    }
    let _ = staging.keep();
    let _ = fs::remove_dir_all(aside);
    Ok(target)
}

/// Swaps two folders in one step (`renameat2(RENAME_EXCHANGE)`): there is no moment when
/// neither is in place.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes())?;
    let b = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both paths are NUL-terminated C strings that outlive the call; the syscall reads
    // them and touches no memory of ours.
    let result = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

/// Whether `exchange` failed only because the kernel or filesystem cannot do it.
fn exchange_unsupported(error: &std::io::Error) -> bool {
    #[cfg(target_os = "linux")]
    if matches!(
        error.raw_os_error(),
        Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP)
    ) {
        return true;
    }
    error.kind() == std::io::ErrorKind::Unsupported
}

/// Creates a file that must not exist yet, with exactly `mode` (no umask surprises, no links).
fn write_new(path: &Path, data: &[u8], mode: u32) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(mode).custom_flags(libc::O_NOFOLLOW);
        let mut file = options.open(path)?;
        file.write_all(data)?;
        file.set_permissions(fs::Permissions::from_mode(mode))?;
        file.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = mode;
        let mut file = options.open(path)?;
        file.write_all(data)?;
        file.sync_all()
    }
}

/// The default destination, as OpenClaw looks for Skills: `<workspace>/skills` inside an
/// OpenClaw workspace (`OPENCLAW_WORKSPACE`, or a folder above the current one holding
/// `AGENTS.md` or `SOUL.md`), else `~/.openclaw/skills`.
pub fn default_destination() -> Option<PathBuf> {
    if let Some(workspace) = workspace() {
        return Some(workspace.join("skills"));
    }
    directories::BaseDirs::new().map(|d| d.home_dir().join(".openclaw").join("skills"))
}

/// The OpenClaw workspace the current folder is in, if any.
pub fn workspace() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("OPENCLAW_WORKSPACE").filter(|d| !d.is_empty()) {
        return Some(dir.into());
    }
    let cwd = std::env::current_dir().ok()?;
    cwd.ancestors()
        .find(|dir| dir.join("AGENTS.md").is_file() || dir.join("SOUL.md").is_file())
        .map(Path::to_owned)
}
