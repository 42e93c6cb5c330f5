//! The install gate's decision table: the one decision entry point's verdict on the staged
//! folder, turned into OpenClaw's `allow` / `warn` / `block`.
//!
//! | the decision | answer |
//! |---|---|
//! | accepted, signed by a trusted publisher (scan clean under the policy) | `allow` |
//! | accepted unsigned (the policy sets `allow_unsigned`) | `warn`: OpenClaw asks the user |
//! | refused: unsigned, the policy requires signatures (the default) | `block` |
//! | refused: blocking findings, undeclared capabilities under `require_declared_permissions`, a publisher or permission the policy refuses | `block` |
//! | refused: a bad or untrusted signature, files that do not match it, no trust root | `block` |
//!
//! Whether undeclared capabilities block is the policy's `require_declared_permissions`, applied
//! by the decision itself; when it does not block they are listed as findings of an `allow`.
//! The reason names the signer (or says "unsigned") and the most serious findings; the
//! findings carry rule, severity, message, place and evidence. The same verdict gives the load
//! gate its list of problems.

use crate::decision::{Decision, Judged, Signer};
use crate::policy::Policy;
use crate::scan::{Finding, Severity};

use super::protocol::{PolicyFinding, PolicySeverity, Response, Verdict};

/// How many findings the reason names.
const FINDINGS_IN_REASON: usize = 3;

/// The answer for OpenClaw.
pub fn respond(decision: &Decision, policy: &Policy) -> Response {
    match decision {
        Decision::Accept(accepted) => {
            let judged = accepted.judged();
            let findings = findings(judged, policy);
            match judged.signer() {
                Signer::Unsigned => Response {
                    verdict: Verdict::Warn,
                    reason: with_top(
                        "unsigned: nobody vouches for these files; your policy allows unsigned Skills (allow_unsigned), so review it before you confirm".into(),
                        &findings,
                    ),
                    findings,
                },
                signer => Response {
                    verdict: Verdict::Allow,
                    reason: with_top(
                        format!("{}; no blocking findings", signer_text(signer)),
                        &findings,
                    ),
                    findings,
                },
            }
        }
        Decision::Refuse(refused) => {
            let findings = refused
                .judged()
                .map(|judged| findings(judged, policy))
                .unwrap_or_default();
            let who = refused
                .judged()
                .map(|j| signer_text(j.signer()))
                .unwrap_or_else(|| "signature not verified".into());
            // Violations other than blocking findings (those are named from the findings).
            let others: Vec<String> = refused
                .violations()
                .iter()
                .filter(|v| v.code != "finding-blocks")
                .take(FINDINGS_IN_REASON)
                .map(|v| format!("[{}] {}", v.code, v.message))
                .collect();
            let mut reason = match refused.code() {
                // "Unsigned" first: it is the reason whatever else there is.
                "unsigned" => "unsigned: no skillsig or OpenSSF model-signing signature, and your policy requires one".to_owned(),
                "policy" => format!("{who}; refused by your policy"),
                code => format!("{who}; refused [{code}]: {}", refused.reason()),
            };
            for other in others {
                reason.push_str("; ");
                reason.push_str(&other);
            }
            let reason = with_top(reason, &findings);
            Response {
                verdict: Verdict::Block,
                reason,
                findings,
            }
        }
    }
}

/// Why a Skill is not clean, for the load gate (empty when it is accepted). An unsigned Skill
/// the policy accepts is clean for the gate: the policy allows it.
pub fn problems(decision: &Decision) -> Vec<String> {
    let Decision::Refuse(refused) = decision else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if refused.code() != "policy" {
        out.push(format!("[{}] {}", refused.code(), refused.reason()));
    }
    out.extend(
        refused
            .violations()
            .iter()
            .map(|v| format!("[{}] {}", v.code, v.message)),
    );
    out
}

fn signer_text(signer: &Signer) -> String {
    match signer {
        Signer::Skill(verified) => format!("signed by {}", verified.publisher()),
        Signer::Oms(verified) => {
            format!("signed by {} (OpenSSF model signing)", verified.publisher())
        }
        Signer::Unsigned => "unsigned".into(),
    }
}

/// The reason with the most serious findings described (those worth a warning or more): their
/// messages, not their rule ids, which OpenClaw's terminal output masks as if they were API keys
/// (`SK-…`).
fn with_top(reason: String, findings: &[PolicyFinding]) -> String {
    let serious: Vec<&PolicyFinding> = findings
        .iter()
        .filter(|f| f.severity >= PolicySeverity::Warn)
        .collect();
    if serious.is_empty() {
        return reason;
    }
    let blocking = serious
        .iter()
        .filter(|f| f.severity == PolicySeverity::Critical)
        .count();
    let top: Vec<String> = serious
        .iter()
        .take(FINDINGS_IN_REASON)
        .map(|f| match (&f.file, f.line) {
            (Some(file), Some(line)) => format!("{} ({file}:{line})", f.message),
            _ => f.message.clone(),
        })
        .collect();
    let count = if blocking > 0 {
        format!(
            "{blocking} blocking finding{}",
            if blocking == 1 { "" } else { "s" }
        )
    } else {
        format!(
            "{} finding{} to review",
            serious.len(),
            if serious.len() == 1 { "" } else { "s" }
        )
    };
    format!("{reason}; {count}: {}", top.join("; "))
}

/// The scan's active findings, blocking ones first, then by severity.
fn findings(judged: &Judged, policy: &Policy) -> Vec<PolicyFinding> {
    let mut active: Vec<&Finding> = judged
        .report()
        .findings
        .iter()
        .filter(|f| f.is_active())
        .collect();
    active.sort_by_key(|f| (!policy.blocks(f), std::cmp::Reverse(f.severity)));
    active
        .into_iter()
        .map(|f| PolicyFinding {
            rule_id: f.rule.as_str().to_owned(),
            severity: openclaw_severity(f, policy),
            message: format!("{}: {}", f.severity, f.message),
            file: Some(f.file.clone()).filter(|file| !file.is_empty()),
            line: Some(f.line as u64).filter(|line| *line >= 1),
            evidence: Some(f.snippet.clone()).filter(|s| !s.trim().is_empty()),
        })
        .collect()
}

/// OpenClaw knows three severities: what blocks is `critical`, medium and high that do not
/// block are `warn`, the rest `info`. The message keeps skillsig's own severity.
fn openclaw_severity(finding: &Finding, policy: &Policy) -> PolicySeverity {
    if policy.blocks(finding) || finding.severity == Severity::Critical {
        PolicySeverity::Critical
    } else if finding.severity >= Severity::Medium {
        PolicySeverity::Warn
    } else {
        PolicySeverity::Info
    }
}
