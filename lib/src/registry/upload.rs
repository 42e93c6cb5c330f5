//! The check a registry runs on an upload, in memory: signature and trust root, manifest
//! against bundle, scan under the registry's policy. No temporary files, no network; memory is
//! bounded by the archive-safety limits; every rejection has a stable code.

use jiff::Timestamp;

use crate::Limits;
use crate::policy::{Policy, Violation};
use crate::scan::{self, ScanInput, ScanOptions, SkillReport};
use crate::trust::TrustRoot;
use crate::verify::{self, Authority, VerifiedSkill, VerifyError};

/// An upload that may be published: verified, and passing the registry's policy. Only
/// [`check_upload`] builds one:
///
/// ```compile_fail,E0451
/// fn forge(skill: skillsig::verify::VerifiedSkill, report: skillsig::scan::SkillReport) {
///     let _ = skillsig::registry::AcceptedUpload { skill, report };
/// }
/// ```
#[derive(Debug, Clone)]
pub struct AcceptedUpload {
    skill: VerifiedSkill,
    report: SkillReport,
}

impl AcceptedUpload {
    /// The verified Skill: manifest, signer and files.
    pub fn skill(&self) -> &VerifiedSkill {
        &self.skill
    }

    /// The scan under the registry's policy.
    pub fn report(&self) -> &SkillReport {
        &self.report
    }
}

/// Why an upload is refused.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum UploadRejection {
    /// The signature, trust root, namespace or files do not verify.
    #[error("{0}")]
    Verify(#[from] VerifyError),
    /// It verifies, but the registry's policy refuses it (every reason).
    #[error("refused by the registry's policy: {}", .0.iter().map(|v| format!("[{}] {}", v.code, v.message)).collect::<Vec<_>>().join("; "))]
    Policy(Vec<Violation>),
}

impl UploadRejection {
    /// A stable machine-readable code: the verification error's code, or `policy`.
    pub fn code(&self) -> &'static str {
        match self {
            UploadRejection::Verify(e) => e.code(),
            UploadRejection::Policy(_) => "policy",
        }
    }
}

/// Checks an upload against `root` and `policy` at `now`, in memory.
pub fn check_upload(
    bundle: &[u8],
    signature: &[u8],
    root: &TrustRoot,
    policy: &Policy,
    now: Timestamp,
) -> Result<AcceptedUpload, UploadRejection> {
    let skill = verify::verify(
        bundle,
        signature,
        &Authority::trust_root(root),
        now,
        &Limits::DEFAULT,
    )?;
    let manifest = skill.manifest();
    let report = scan::scan(
        &ScanInput::from_tree(skill.tree()),
        &ScanOptions {
            fail_on: policy.block_at,
            manifest_permissions: Some(manifest.permissions().clone()),
        },
    );
    let mut violations = policy.check_signer(skill.publisher(), root.version());
    violations.extend(policy.check_declared(manifest.permissions()));
    violations.extend(policy.check_scan(&report));
    if !violations.is_empty() {
        return Err(UploadRejection::Policy(violations));
    }
    Ok(AcceptedUpload { skill, report })
}
