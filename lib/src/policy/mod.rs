//! Install policy: what a user accepts, decided before a Skill reaches the agent.
//!
//! A policy (`policy.toml`) says whether signatures are required, which publishers and trust
//! root versions are acceptable, at which severity scan findings block, which rules to always
//! allow or deny, and which permissions a Skill may *declare* at all. A Skill that declares a
//! denied permission is refused before any of its code is looked at.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::permissions::{Kind, Permissions};
use crate::scan::finding::Severity;
use crate::scan::{Finding, SkillReport};

/// Environment variable naming the policy file.
pub const POLICY_ENV: &str = "SKILLSIG_POLICY";

/// The policy used when none is given: `SKILLSIG_POLICY`, else `policy.toml` in the platform's
/// config folder (`~/.config/skillsig/policy.toml` on Linux).
pub fn default_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(POLICY_ENV).filter(|p| !p.is_empty()) {
        return Some(path.into());
    }
    directories::ProjectDirs::from("", "", "skillsig").map(|d| d.config_dir().join("policy.toml"))
}

/// An install policy. Every field has a safe default, so an empty file is a valid policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Refuse Skills without a valid signature (default true).
    pub require_signature: bool,
    /// Accept unsigned Skills, but only when the command is also given `--allow-unsigned`.
    pub allow_unsigned: bool,
    /// Publisher ids accepted; empty means every publisher the trust root names.
    pub allowed_publishers: Vec<String>,
    /// Lowest trust root version accepted.
    pub min_trust_root_version: u64,
    /// Scan findings at or above this severity block (default high).
    pub block_at: Severity,
    /// Refuse a Skill that declares no permissions but whose code uses capabilities (default
    /// true). OpenSSF model-signing signatures carry no permissions, so such Skills need
    /// `false` here, or a `skillsig.toml` beside them.
    pub require_declared_permissions: bool,
    /// Per-rule overrides.
    pub rules: RulePolicy,
    /// What a Skill may declare.
    pub permissions: PermissionPolicy,
}

/// Per-rule decisions that override `block_at`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RulePolicy {
    /// Rules whose findings never block.
    pub allow: BTreeSet<String>,
    /// Rules whose findings always block, whatever their severity.
    pub deny: BTreeSet<String>,
}

/// What a Skill may declare. `deny` lists values no Skill may ask for; `allow`, when it lists a
/// kind, is the only set of values a Skill may ask for of that kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PermissionPolicy {
    /// Values no Skill may declare.
    pub deny: PermissionPatterns,
    /// When a kind is listed, the only values a Skill may declare of that kind.
    pub allow: Option<PermissionPatterns>,
    /// Refuse Skills that declare `dynamic-code`.
    pub deny_dynamic_code: bool,
    /// Refuse Skills that declare `native`.
    pub deny_native: bool,
}

/// Patterns per permission kind (`*` matches any run of characters).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PermissionPatterns {
    /// Host patterns.
    pub network: Vec<String>,
    /// Binary patterns.
    pub exec: Vec<String>,
    /// Environment variable patterns.
    pub env: Vec<String>,
    /// Path patterns for reading.
    pub read: Vec<String>,
    /// Path patterns for writing.
    pub write: Vec<String>,
}

impl PermissionPatterns {
    fn of(&self, kind: Kind) -> &[String] {
        match kind {
            Kind::Network => &self.network,
            Kind::Exec => &self.exec,
            Kind::Env => &self.env,
            Kind::Read => &self.read,
            Kind::Write => &self.write,
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            require_signature: true,
            allow_unsigned: false,
            allowed_publishers: Vec::new(),
            min_trust_root_version: 0,
            block_at: Severity::High,
            require_declared_permissions: true,
            rules: RulePolicy::default(),
            permissions: PermissionPolicy::default(),
        }
    }
}

/// Why a policy file could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy: {0}")]
pub struct PolicyError(String);

/// One reason a Skill is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// A stable code: `publisher-not-allowed`, `trust-root-too-old`, `permission-denied`,
    /// `permission-not-allowed`, `finding-blocks`, `unsigned`.
    pub code: &'static str,
    /// What was refused and why, for people.
    pub message: String,
}

impl Policy {
    /// Parses a policy; unknown keys are errors (a typo must not silently weaken a policy).
    ///
    /// ```
    /// use skillsig::permissions::{Kind, Permissions};
    /// use skillsig::policy::Policy;
    ///
    /// let policy = Policy::from_toml(
    ///     "block_at = \"medium\"\n[permissions.deny]\nexec = [\"curl\", \"bash\"]\n",
    /// )?;
    /// let mut declared = Permissions::default();
    /// declared.add(Kind::Exec, "bash")?;
    /// let violations = policy.check_declared(&declared);
    /// assert_eq!(violations[0].code, "permission-denied");
    ///
    /// // A typo is an error, never a silently weaker policy.
    /// assert!(Policy::from_toml("blok_at = \"low\"").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        let policy: Policy = toml::from_str(text).map_err(|e| {
            let place = e
                .span()
                .map(|s| {
                    let (line, column) = crate::diagnostic::line_column(text, s.start);
                    format!("line {line}, column {column}: ")
                })
                .unwrap_or_default();
            PolicyError(format!("{place}{}", e.message()))
        })?;
        for id in policy.rules.allow.iter().chain(&policy.rules.deny) {
            if crate::scan::rules::rule(id).is_none() {
                return Err(PolicyError(format!(
                    "rules: {id:?} is not a rule id (see `skillsig rules`)"
                )));
            }
        }
        if let Some(bad) = policy
            .allowed_publishers
            .iter()
            .find(|p| !crate::skill::frontmatter::is_spec_name(p))
        {
            return Err(PolicyError(format!(
                "allowed_publishers: {bad:?} is not a publisher id"
            )));
        }
        if policy.allow_unsigned && !policy.require_signature {
            return Err(PolicyError("set `allow_unsigned`, not `require_signature = false`: unsigned installs must also be asked for on the command line".into()));
        }
        Ok(policy)
    }

    /// Whether an unsigned Skill may pass, given the command line's `--allow-unsigned`.
    pub fn unsigned_allowed(&self, flag: bool) -> bool {
        flag && self.allow_unsigned
    }

    /// The publisher and trust root rules.
    pub fn check_signer(&self, publisher: &str, trust_root_version: u64) -> Vec<Violation> {
        let mut out = Vec::new();
        if !self.allowed_publishers.is_empty()
            && !self.allowed_publishers.iter().any(|p| p == publisher)
        {
            out.push(Violation {
                code: "publisher-not-allowed",
                message: format!("publisher {publisher:?} is not in allowed_publishers"),
            });
        }
        if trust_root_version < self.min_trust_root_version {
            out.push(Violation {
                code: "trust-root-too-old",
                message: format!(
                    "the trust root is version {trust_root_version}; the policy needs at least {}",
                    self.min_trust_root_version
                ),
            });
        }
        out
    }

    /// The permission rules, over what a Skill declares.
    /// A Skill that declares nothing: refused when the policy requires declarations and the
    /// scan saw the code use capabilities.
    /// `publisher` is the signer's trust-root publisher, named in the refusal's way out.
    pub fn check_undeclared_skill(
        &self,
        report: &SkillReport,
        publisher: Option<&str>,
    ) -> Vec<Violation> {
        if !self.require_declared_permissions
            || report.declaration != crate::scan::DeclarationSource::None
            || report.capabilities.is_empty()
        {
            return Vec::new();
        }
        let trust_publisher = match publisher {
            Some(id) => format!(
                "; if you trust {id:?}'s Skills without a declaration (they are still scanned), run `skillsig trust set-publisher {id} --accept-undeclared true`"
            ),
            None => String::new(),
        };
        vec![Violation {
            code: "permissions-not-declared",
            message: format!(
                "the Skill declares no permissions, but its code uses {}: the publisher can add a skillsig.toml declaring them{trust_publisher}; or accept every undeclared Skill with `require_declared_permissions = false` in the policy",
                report.capabilities.join(", ")
            ),
        }]
    }

    /// The violations of the permission policy by a declaration (deny first, then allow).
    pub fn check_declared(&self, declared: &Permissions) -> Vec<Violation> {
        let mut out = Vec::new();
        for kind in Kind::ALL {
            for value in declared.values(kind) {
                if let Some(pattern) = self
                    .permissions
                    .deny
                    .of(kind)
                    .iter()
                    .find(|p| matches(p, value))
                {
                    out.push(Violation {
                        code: "permission-denied",
                        message: format!(
                            "the Skill declares {kind}:{value}, which the policy denies ({pattern})"
                        ),
                    });
                }
                if let Some(allow) = &self.permissions.allow {
                    let list = allow.of(kind);
                    if !list.is_empty() && !list.iter().any(|p| matches(p, value)) {
                        out.push(Violation {
                            code: "permission-not-allowed",
                            message: format!("the Skill declares {kind}:{value}, which is not in the policy's allow list for {kind}"),
                        });
                    }
                }
            }
        }
        if declared.dynamic_code && self.permissions.deny_dynamic_code {
            out.push(Violation {
                code: "permission-denied",
                message: "the Skill declares dynamic-code, which the policy denies".into(),
            });
        }
        if declared.native && self.permissions.deny_native {
            out.push(Violation {
                code: "permission-denied",
                message: "the Skill declares native, which the policy denies".into(),
            });
        }
        out
    }

    /// Whether a finding blocks under this policy.
    pub fn blocks(&self, finding: &Finding) -> bool {
        if !finding.is_active() {
            return false;
        }
        if self.rules.deny.contains(finding.rule.as_str()) {
            return true;
        }
        if self.rules.allow.contains(finding.rule.as_str()) {
            return false;
        }
        finding.severity >= self.block_at
    }

    /// The scan rules, over a scan report.
    pub fn check_scan(&self, report: &SkillReport) -> Vec<Violation> {
        report
            .findings
            .iter()
            .filter(|f| self.blocks(f))
            .map(|f| Violation {
                code: "finding-blocks",
                message: format!(
                    "{} {} {}:{}: {}",
                    f.severity, f.rule, f.file, f.line, f.message
                ),
            })
            .collect()
    }
}

/// `*` matches any run of characters; everything else matches itself.
fn matches(pattern: &str, value: &str) -> bool {
    fn go(p: &[u8], v: &[u8]) -> bool {
        match p.first() {
            None => v.is_empty(),
            Some(b'*') => (0..=v.len()).any(|i| go(&p[1..], &v[i..])),
            Some(&c) => v.first() == Some(&c) && go(&p[1..], &v[1..]),
        }
    }
    go(pattern.as_bytes(), value.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::rules::RuleId;

    #[test]
    fn an_empty_policy_is_the_safe_default() {
        let policy = Policy::from_toml("").unwrap();
        assert_eq!(policy, Policy::default());
        assert!(policy.require_signature && !policy.unsigned_allowed(true));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors_with_a_place() {
        let err = Policy::from_toml("require_signatures = false\n").unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
        assert!(Policy::from_toml("block_at = \"severe\"\n").is_err());
        assert!(Policy::from_toml("require_signature = false\nallow_unsigned = true\n").is_err());
        assert!(
            Policy::from_toml("[rules]\ndeny = [\"SK-NOPE-001\"]\n")
                .unwrap_err()
                .to_string()
                .contains("SK-NOPE-001")
        );
    }

    #[test]
    fn declared_permissions_against_deny_and_allow_lists() {
        let policy = Policy::from_toml(
            "[permissions.deny]\nexec = [\"curl\", \"wget\"]\nread = [\"~/.ssh*\"]\n[permissions.allow]\nnetwork = [\"*.github.com\", \"api.open-meteo.com\"]\n",
        )
        .unwrap();
        let mut declared = Permissions::default();
        declared.add(Kind::Network, "api.github.com").unwrap();
        declared.add(Kind::Exec, "git").unwrap();
        assert!(policy.check_declared(&declared).is_empty());
        declared.add(Kind::Exec, "curl").unwrap();
        declared.add(Kind::Read, "~/.ssh/id_rsa").unwrap();
        declared.add(Kind::Network, "evil.example.net").unwrap();
        let codes: Vec<&str> = policy
            .check_declared(&declared)
            .iter()
            .map(|v| v.code)
            .collect();
        assert_eq!(
            codes,
            [
                "permission-not-allowed",
                "permission-denied",
                "permission-denied"
            ]
        );
    }

    #[test]
    fn publishers_trust_root_and_rules() {
        let policy = Policy::from_toml("allowed_publishers = [\"acme\"]\nmin_trust_root_version = 3\nblock_at = \"medium\"\n[rules]\nallow = [\"SK-EXEC-001\"]\ndeny = [\"SK-CAP-NET\"]\n").unwrap();
        assert_eq!(policy.check_signer("acme", 3), vec![]);
        let codes: Vec<&str> = policy
            .check_signer("other", 2)
            .iter()
            .map(|v| v.code)
            .collect();
        assert_eq!(codes, ["publisher-not-allowed", "trust-root-too-old"]);
        let finding = |rule: &str, severity| Finding {
            rule: RuleId::parse(rule).unwrap(),
            severity,
            capability: None,
            file: "a".into(),
            line: 1,
            column: 1,
            snippet: String::new(),
            message: String::new(),
            suppressed: None,
            source: None,
        };
        assert!(!policy.blocks(&finding("SK-EXEC-001", Severity::Medium)));
        assert!(policy.blocks(&finding("SK-CAP-NET", Severity::Info)));
        assert!(policy.blocks(&finding("SK-CAP-DYN", Severity::Medium)));
        assert!(!policy.blocks(&finding("SK-CAP-EXEC", Severity::Info)));
    }
}
