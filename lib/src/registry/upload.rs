//! The check a registry runs on an upload, in memory: signature and trust root, manifest
//! against bundle, scan under the registry's policy. No temporary files, no network; memory is
//! bounded by the archive-safety limits; every rejection has a stable code.

use jiff::Timestamp;

use crate::Limits;
use crate::decision::{Judge, Refusal, Signer, decide_bundle};
use crate::policy::{Policy, Violation};
use crate::scan::SkillReport;
use crate::trust::TrustRoot;
use crate::verify::{Authority, VerifiedSkill, VerifyError};

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

/// Checks an upload against `root` and `policy` at `now`, in memory: the one decision
/// ([`crate::decision::decide`]) over a signed bundle.
pub fn check_upload(
    bundle: &[u8],
    signature: &[u8],
    root: &TrustRoot,
    policy: &Policy,
    now: Timestamp,
) -> Result<AcceptedUpload, UploadRejection> {
    let authority = Authority::trust_root(root);
    let judge = Judge {
        authority: Some(&authority),
        policy,
        allow_unsigned: false,
        now,
        limits: &Limits::DEFAULT,
    };
    let refused = match decide_bundle(bundle, Some(signature), &judge).into_result() {
        Ok(accepted) => {
            let judged = accepted.into_judged();
            let report = judged.report().clone();
            match judged.into_signer() {
                Signer::Skill(skill) => {
                    return Ok(AcceptedUpload {
                        skill: *skill,
                        report,
                    });
                }
                // A bundle given with a signature is accepted only with that signature
                // verified; anything else is refused rather than trusted.
                _ => return Err(UploadRejection::Policy(Vec::new())),
            }
        }
        Err(refused) => refused,
    };
    Err(match refused.into_parts() {
        (Refusal::Verify(err), _, _) => UploadRejection::Verify(err),
        (_, violations, _) => UploadRejection::Policy(violations),
    })
}
