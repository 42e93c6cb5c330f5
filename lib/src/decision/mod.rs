//! The security decision, written once: *what to judge* (a bundle with its signature, a Skill
//! folder with whatever signature it carries) plus a trust root, a policy and a clock give one
//! typed [`Decision`].
//!
//! Every gate calls [`decide`] — `verify`, `install`, `audit`, `publish`, a registry's
//! [`crate::registry::check_upload`], the OpenClaw install gate, the Node and Python bindings —
//! and differs only in where the bytes come from and how the decision is shown. The sequence:
//!
//! 1. **Read and verify**, by kind of subject: a bundle's DSSE signature and files
//!    ([`crate::verify`]); an OpenSSF model-signing signature over a folder ([`crate::oms`]); a
//!    skillsig signature kept in a folder's `.skillsig/` over the files on disk; or nothing.
//! 2. **Scan** what was read — also when verification failed, so a refusal can show what the
//!    code does. The Skill author's `skillsig-ignore` comments are not honoured: a Skill's own
//!    comments may explain a finding to a person, never decide someone else's install
//!    ([`Judged::ignored_suppressions`] lists them).
//! 3. **Apply the policy**: signer, declared permissions, undeclared use, findings — every
//!    violation at once.
//!
//! Verification failures, an unsigned Skill the policy does not accept, and policy violations
//! are refusals ([`Refused`], each with a stable [`Refused::code`]). Only a subject that cannot
//! be read at all is an error ([`DecisionError`]): no decision was reached, so callers must fail
//! closed.

use std::path::{Path, PathBuf};

use jiff::Timestamp;

use crate::bundle;
use crate::fsutil::read_limited;
use crate::limits::Limits;
use crate::manifest::Manifest;
use crate::oms::{self, OmsError, VerifiedOms};
use crate::permissions::Permissions;
use crate::policy::{Policy, Violation};
use crate::scan::{
    self, DeclarationSource, IgnoredSuppression, ScanInput, ScanOptions, SkillReport,
};
use crate::signing::envelope::MAX_SIGNATURE_FILE_BYTES;
use crate::tree::{FileTree, RESERVED_ROOT};
use crate::verify::{self, Authority, VerifiedSkill, VerifyError};

/// The signed manifest's file name inside an installed Skill's `.skillsig/`.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The signature's file name inside an installed Skill's `.skillsig/`.
pub const SIGNATURE_FILE: &str = "signature.sigstore.json";

/// Who judges: the trust root (as an [`Authority`]), the policy, the clock and the limits.
#[derive(Debug, Clone, Copy)]
pub struct Judge<'a> {
    /// Who may sign; `None` when no trust root is configured (every signature is then refused).
    pub authority: Option<&'a Authority<'a>>,
    /// The user's or registry's policy.
    pub policy: &'a Policy,
    /// The caller's explicit opt-in to unsigned Skills (`--allow-unsigned`); the policy's
    /// `allow_unsigned` must say yes too.
    pub allow_unsigned: bool,
    /// The time keys and certificates are judged at.
    pub now: Timestamp,
    /// Size and count limits for everything read.
    pub limits: &'a Limits,
}

/// What to judge.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Subject<'a> {
    /// A `.skill` bundle, and its signature file if it has one.
    Bundle {
        /// The bundle's bytes.
        bundle: &'a [u8],
        /// The signature file's bytes.
        signature: Option<&'a [u8]>,
    },
    /// A Skill folder with an OpenSSF model-signing signature.
    OmsFolder {
        /// The Skill folder.
        dir: &'a Path,
        /// The signature's bytes.
        signature: &'a [u8],
        /// Where the signature is (it is left out of the files it covers).
        signature_path: &'a Path,
    },
    /// A Skill folder with whatever signature it carries: `skill.oms.sig` (OpenSSF
    /// model-signing), else `.skillsig/signature.sigstore.json` (a skillsig signature over the
    /// files on disk, as `install` leaves it), else none.
    Folder {
        /// The Skill folder.
        dir: &'a Path,
    },
}

/// Who vouched for the Skill.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Signer {
    /// A skillsig signature, verified with the files.
    Skill(Box<VerifiedSkill>),
    /// An OpenSSF model-signing signature, verified with the files.
    Oms(Box<VerifiedOms>),
    /// Nobody: the Skill carries no signature.
    Unsigned,
}

impl Signer {
    /// The trust-root publisher (or ad-hoc identity) that signed.
    pub fn publisher(&self) -> Option<&str> {
        match self {
            Signer::Skill(skill) => Some(skill.publisher()),
            Signer::Oms(oms) => Some(oms.publisher()),
            Signer::Unsigned => None,
        }
    }
}

/// What was found about a Skill whose content could be read: who signed it, what it declares,
/// what the scan saw. Only [`decide`] builds one.
#[derive(Debug, Clone)]
pub struct Judged {
    signer: Signer,
    unsigned_bundle: Option<(Manifest, FileTree)>,
    report: SkillReport,
    ignored_suppressions: Vec<IgnoredSuppression>,
}

impl Judged {
    /// Who vouched for it (also when verification failed: then [`Signer::Unsigned`], and the
    /// refusal says why).
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// The scan of what was read, under the policy's blocking severity, author suppressions
    /// not honoured.
    pub fn report(&self) -> &SkillReport {
        &self.report
    }

    /// The manifest: the signed one, or for an unsigned bundle the one its files make.
    pub fn manifest(&self) -> Option<&Manifest> {
        match (&self.signer, &self.unsigned_bundle) {
            (Signer::Skill(skill), _) => Some(skill.manifest()),
            (_, Some((manifest, _))) => Some(manifest),
            _ => None,
        }
    }

    /// The files, for a bundle or a folder signed with skillsig.
    pub fn tree(&self) -> Option<&FileTree> {
        match (&self.signer, &self.unsigned_bundle) {
            (Signer::Skill(skill), _) => Some(skill.tree()),
            (_, Some((_, tree))) => Some(tree),
            _ => None,
        }
    }

    /// The permissions a manifest declares (none for folders judged by their `skillsig.toml`,
    /// whose declaration the scan report describes).
    pub fn declared(&self) -> Option<&Permissions> {
        self.manifest().map(Manifest::permissions)
    }

    /// Capabilities the code uses that nothing declares: with no declaration at all, every
    /// capability used.
    pub fn undeclared(&self) -> &[String] {
        if self.report.declaration == DeclarationSource::None {
            &self.report.capabilities
        } else {
            &self.report.undeclared
        }
    }

    /// Gives up the rest for the signer.
    pub fn into_signer(self) -> Signer {
        self.signer
    }

    /// The signer, and for an unsigned bundle the manifest and files it makes.
    pub fn into_parts(self) -> (Signer, Option<(Manifest, FileTree)>) {
        (self.signer, self.unsigned_bundle)
    }

    /// The author's `skillsig-ignore` comments that were not honoured.
    pub fn ignored_suppressions(&self) -> &[IgnoredSuppression] {
        &self.ignored_suppressions
    }
}

/// The decision.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Decision {
    /// Verified (or unsigned and allowed), and the policy accepts it.
    Accept(Accepted),
    /// Refused, with the reason.
    Refuse(Refused),
}

impl Decision {
    /// What was found, when the content could be read.
    pub fn judged(&self) -> Option<&Judged> {
        match self {
            Decision::Accept(accepted) => Some(&accepted.judged),
            Decision::Refuse(refused) => refused.judged.as_deref(),
        }
    }

    /// The accepted Skill, or the refusal as an error.
    pub fn into_result(self) -> Result<Accepted, Refused> {
        match self {
            Decision::Accept(accepted) => Ok(accepted),
            Decision::Refuse(refused) => Err(refused),
        }
    }
}

/// A Skill the decision accepts. Only [`decide`] builds one:
///
/// ```compile_fail,E0451
/// fn forge(judged: skillsig::decision::Judged) {
///     let _ = skillsig::decision::Accepted { judged };
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Accepted {
    judged: Judged,
}

impl Accepted {
    /// Who signed it, what it declares, what the scan saw.
    pub fn judged(&self) -> &Judged {
        &self.judged
    }

    /// Gives up the wrapper.
    pub fn into_judged(self) -> Judged {
        self.judged
    }
}

/// A refused Skill: why, every policy violation, and what was found when the content could be
/// read.
#[derive(Debug, Clone)]
pub struct Refused {
    reason: Refusal,
    violations: Vec<Violation>,
    judged: Option<Box<Judged>>,
}

/// Why a Skill is refused.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The skillsig signature or the bundle does not verify.
    #[error("{0}")]
    Verify(VerifyError),
    /// The OpenSSF model-signing signature does not verify.
    #[error("{0}")]
    Oms(OmsError),
    /// The folder holds what no verified Skill can: links, special files, paths that break the
    /// path rules, or more than the limits.
    #[error("{message}")]
    Folder {
        /// The reading error's code.
        code: &'static str,
        /// What was found.
        message: String,
    },
    /// It is signed, but there is no trust root to check the signer against.
    #[error("it is signed, but no trust root is configured to check the signer against")]
    NoTrustRoot,
    /// No signature, and the policy (or the caller) does not accept unsigned Skills.
    #[error("it has no signature, and the policy requires one")]
    Unsigned,
    /// The policy refuses it; [`Refused::violations`] says every reason.
    #[error("the policy refuses it")]
    Policy,
}

impl Refused {
    /// Why.
    pub fn reason(&self) -> &Refusal {
        &self.reason
    }

    /// A stable machine-readable code: the verification error's, `no-trust-root`, `unsigned`
    /// or `policy`.
    pub fn code(&self) -> &'static str {
        match &self.reason {
            Refusal::Verify(err) => err.code(),
            Refusal::Oms(err) => err.code(),
            Refusal::Folder { code, .. } => code,
            Refusal::NoTrustRoot => "no-trust-root",
            Refusal::Unsigned => "unsigned",
            Refusal::Policy => "policy",
        }
    }

    /// Every policy violation (for an unsigned refusal, those it would have had besides).
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// What was found, when the content could be read.
    pub fn judged(&self) -> Option<&Judged> {
        self.judged.as_deref()
    }

    /// Gives up the reason and the rest.
    pub fn into_parts(self) -> (Refusal, Vec<Violation>, Option<Judged>) {
        (self.reason, self.violations, self.judged.map(|j| *j))
    }
}

/// No decision was reached: the subject could not be read. Callers fail closed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecisionError {
    /// A file or folder could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// What was being read.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The folder's files could not be read for verification.
    #[error("{}: {source}", dir.display())]
    Folder {
        /// The Skill folder.
        dir: PathBuf,
        /// Why.
        source: Box<OmsError>,
    },
}

impl DecisionError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            DecisionError::Io { .. } | DecisionError::Folder { .. } => "io",
        }
    }
}

/// Judges `subject`: read and verify it, scan it, apply the policy.
pub fn decide(subject: &Subject, judge: &Judge) -> Result<Decision, DecisionError> {
    match *subject {
        Subject::Bundle { bundle, signature } => Ok(decide_bundle(bundle, signature, judge)),
        Subject::OmsFolder {
            dir,
            signature,
            signature_path,
        } => decide_oms(dir, signature, signature_path, judge),
        Subject::Folder { dir } => decide_folder(dir, judge),
    }
}

/// What verification left to scan and to hold to the policy.
struct Read {
    signer: Signer,
    unsigned_bundle: Option<(Manifest, FileTree)>,
    input: ScanInput,
    /// Declared permissions from a manifest (else the Skill's `skillsig.toml` is read).
    manifest_permissions: Option<Permissions>,
}

/// [`decide`] for a bundle in memory, which always reaches a decision.
pub fn decide_bundle(bundle: &[u8], signature: Option<&[u8]>, judge: &Judge) -> Decision {
    let Some(signature) = signature else {
        return match unsigned_bundle(bundle, judge.limits) {
            Ok((manifest, tree)) => conclude(
                Read {
                    signer: Signer::Unsigned,
                    input: ScanInput::from_tree(&tree),
                    manifest_permissions: Some(manifest.permissions().clone()),
                    unsigned_bundle: Some((manifest, tree)),
                },
                judge,
            ),
            Err(err) => refuse(Refusal::Verify(err)),
        };
    };
    let Some(authority) = judge.authority else {
        return refuse_after_scan(Refusal::NoTrustRoot, bundle_input(bundle, judge), judge);
    };
    judge_skillsig(
        verify::verify(bundle, signature, authority, judge.now, judge.limits),
        || bundle_input(bundle, judge),
        judge,
    )
}

/// The decision once a skillsig signature was checked with the files: the verified files are
/// judged, or the refusal carries the scan of what `unverified` reads.
fn judge_skillsig(
    verified: Result<VerifiedSkill, VerifyError>,
    unverified: impl FnOnce() -> Option<ScanInput>,
    judge: &Judge,
) -> Decision {
    match verified {
        Ok(skill) => conclude(
            Read {
                input: ScanInput::from_tree(skill.tree()),
                manifest_permissions: Some(skill.manifest().permissions().clone()),
                signer: Signer::Skill(Box::new(skill)),
                unsigned_bundle: None,
            },
            judge,
        ),
        Err(err) => refuse_after_scan(Refusal::Verify(err), unverified(), judge),
    }
}

/// The manifest an unsigned bundle's files make.
fn unsigned_bundle(bundle: &[u8], limits: &Limits) -> Result<(Manifest, FileTree), VerifyError> {
    let bundle = bundle::read_bytes(bundle, limits)?;
    let (manifest, _) = Manifest::for_bundle(&bundle, limits)
        .map_err(|e| VerifyError::Content(crate::manifest::ContentMismatch::Skill(e)))?;
    Ok((manifest, bundle.tree))
}

/// A refused bundle's files, for the scan that shows what they do (none when unreadable).
fn bundle_input(bundle: &[u8], judge: &Judge) -> Option<ScanInput> {
    bundle::read_bytes(bundle, judge.limits)
        .ok()
        .map(|b| ScanInput::from_tree(&b.tree))
}

fn decide_oms(
    dir: &Path,
    signature: &[u8],
    signature_path: &Path,
    judge: &Judge,
) -> Result<Decision, DecisionError> {
    let Some(authority) = judge.authority else {
        return Ok(refuse_after_scan(
            Refusal::NoTrustRoot,
            folder_input(dir, judge).ok(),
            judge,
        ));
    };
    let namespace = claimed_namespace(dir, judge.limits);
    match oms::verify_folder(
        dir,
        signature,
        signature_path,
        authority,
        namespace.as_deref(),
        judge.now,
        judge.limits,
    ) {
        Ok(verified) => Ok(conclude(
            Read {
                input: verified.scan_input().clone(),
                signer: Signer::Oms(Box::new(verified)),
                unsigned_bundle: None,
                manifest_permissions: None,
            },
            judge,
        )),
        Err(err @ OmsError::Folder(_)) => Err(DecisionError::Folder {
            dir: dir.to_owned(),
            source: Box::new(err),
        }),
        Err(err) => Ok(refuse_after_scan(
            Refusal::Oms(err),
            folder_input(dir, judge).ok(),
            judge,
        )),
    }
}

fn decide_folder(dir: &Path, judge: &Judge) -> Result<Decision, DecisionError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| DecisionError::Io { path, source }
    };
    let meta = std::fs::symlink_metadata(dir).map_err(io(dir))?;
    if !meta.is_dir() {
        return Err(DecisionError::Io {
            path: dir.to_owned(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                "not a folder (a link is not followed)",
            ),
        });
    }
    let oms_signature = dir.join(oms::SIGNATURE_FILE);
    if let Some(signature) = read_signature(&oms_signature, oms::MAX_SIGNATURE_BYTES)? {
        return decide_oms(dir, &signature, &oms_signature, judge);
    }
    let skillsig_signature = dir.join(RESERVED_ROOT).join(SIGNATURE_FILE);
    if let Some(signature) = read_signature(&skillsig_signature, MAX_SIGNATURE_FILE_BYTES)? {
        let Some(authority) = judge.authority else {
            return Ok(refuse_after_scan(
                Refusal::NoTrustRoot,
                folder_input(dir, judge).ok(),
                judge,
            ));
        };
        let tree = match bundle::load_dir_as_is(dir, judge.limits) {
            Ok(tree) => tree,
            Err(bundle::SourceError::Io { path, source }) => {
                return Err(DecisionError::Io { path, source });
            }
            Err(err) => {
                return Ok(refuse_after_scan(
                    Refusal::Folder {
                        code: err.code(),
                        message: err.to_string(),
                    },
                    folder_input(dir, judge).ok(),
                    judge,
                ));
            }
        };
        return Ok(judge_skillsig(
            verify::verify_tree(tree, &signature, authority, judge.now, judge.limits),
            || folder_input(dir, judge).ok(),
            judge,
        ));
    }
    let input = folder_input(dir, judge).map_err(io(dir))?;
    Ok(conclude(
        Read {
            signer: Signer::Unsigned,
            unsigned_bundle: None,
            input,
            manifest_permissions: None,
        },
        judge,
    ))
}

/// A signature file in a Skill folder: `None` when there is none. A link or anything but a
/// regular file is not read (and so not a signature).
fn read_signature(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, DecisionError> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() => {}
        _ => return Ok(None),
    }
    read_limited(path, limit)
        .map(Some)
        .map_err(|err| DecisionError::Io {
            path: path.to_owned(),
            source: std::io::Error::other(err.to_string()),
        })
}

fn folder_input(dir: &Path, judge: &Judge) -> std::io::Result<ScanInput> {
    ScanInput::from_dir(dir, judge.limits)
}

/// The namespace a Skill folder claims in its `skillsig.toml`, if it has one.
fn claimed_namespace(dir: &Path, limits: &Limits) -> Option<String> {
    let path = dir.join(crate::skill::CONFIG_FILE);
    if !std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let bytes = read_limited(&path, limits.max_file_bytes).ok()?;
    crate::skill::declared_namespace(&String::from_utf8(bytes).ok()?)
}

/// Scans what was read, holds it to the policy, and decides.
fn conclude(read: Read, judge: &Judge) -> Decision {
    let policy = judge.policy;
    let judged = judge_content(read, judge);
    let mut violations = Vec::new();
    let root_version = || {
        judge
            .authority
            .and_then(|a| a.root())
            .map_or(0, |r| r.version())
    };
    match &judged.signer {
        Signer::Skill(skill) => violations.extend(policy.check_signer(
            skill.publisher(),
            skill.trust_root().map_or(0, |(_, version)| version),
        )),
        Signer::Oms(oms) => violations.extend(policy.check_signer(oms.publisher(), root_version())),
        Signer::Unsigned => {}
    }
    if let Some(declared) = judged.declared() {
        violations.extend(policy.check_declared(declared));
    }
    // The trust root, the user's file, may accept a publisher's undeclared Skills; nothing in
    // the Skill can.
    let publisher = judged.signer.publisher();
    let accepts_undeclared = publisher.is_some_and(|id| {
        judge.authority.and_then(|a| a.root()).is_some_and(|root| {
            root.publishers()
                .iter()
                .any(|p| p.id == id && p.accept_undeclared)
        })
    });
    if !accepts_undeclared {
        violations.extend(policy.check_undeclared_skill(&judged.report, publisher));
    }
    violations.extend(policy.check_scan(&judged.report));
    let unsigned_refused =
        matches!(judged.signer, Signer::Unsigned) && !policy.unsigned_allowed(judge.allow_unsigned);
    if unsigned_refused {
        return Decision::Refuse(Refused {
            reason: Refusal::Unsigned,
            violations,
            judged: Some(Box::new(judged)),
        });
    }
    if !violations.is_empty() {
        return Decision::Refuse(Refused {
            reason: Refusal::Policy,
            violations,
            judged: Some(Box::new(judged)),
        });
    }
    Decision::Accept(Accepted { judged })
}

fn judge_content(read: Read, judge: &Judge) -> Judged {
    let mut report = scan::scan(
        &read.input,
        &ScanOptions {
            fail_on: judge.policy.block_at,
            manifest_permissions: read.manifest_permissions,
        },
    );
    let ignored_suppressions = report.ignore_author_suppressions(judge.policy.block_at);
    for finding in &mut report.findings {
        if let Some(ignored) = ignored_suppressions
            .iter()
            .find(|i| i.rule == finding.rule && i.file == finding.file && i.line == finding.line)
        {
            finding.message.push_str(&format!(
                " (the Skill's own `skillsig-ignore` comment, {:?}, is not honoured here: a Skill does not decide its own install)",
                ignored.reason
            ));
        }
    }
    Judged {
        signer: read.signer,
        unsigned_bundle: read.unsigned_bundle,
        report,
        ignored_suppressions,
    }
}

fn refuse(reason: Refusal) -> Decision {
    Decision::Refuse(Refused {
        reason,
        violations: Vec::new(),
        judged: None,
    })
}

/// A refusal from verification, with the scan of whatever could be read and the findings the
/// policy would block: nothing it found is trusted (no declaration from an unverified
/// manifest), it only shows what the code does.
fn refuse_after_scan(reason: Refusal, input: Option<ScanInput>, judge: &Judge) -> Decision {
    let judged = input.map(|input| {
        judge_content(
            Read {
                signer: Signer::Unsigned,
                unsigned_bundle: None,
                input,
                manifest_permissions: None,
            },
            judge,
        )
    });
    let violations = judged
        .as_ref()
        .map(|j| judge.policy.check_scan(&j.report))
        .unwrap_or_default();
    Decision::Refuse(Refused {
        reason,
        violations,
        judged: judged.map(Box::new),
    })
}
