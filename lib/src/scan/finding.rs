//! What the scanner reports: findings with a rule, a severity, a place and, where the finding is
//! a use of a capability, the permission it maps to.

use serde::Serialize;

pub use super::rules::RuleId;
pub use super::severity::{Capability, CapabilityKind, Severity};

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable rule id, e.g. `SK-EXEC-001`.
    pub rule: RuleId,
    /// How bad it is.
    pub severity: Severity,
    /// The capability the finding is about, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capability: Option<Capability>,
    /// Path inside the Skill.
    pub file: String,
    /// 1-based line and column (columns count characters).
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The line the finding is on, trimmed and shortened.
    pub snippet: String,
    /// What was found and why it matters.
    pub message: String,
    /// The reason given in a `skillsig-ignore: RULE-ID reason` comment, when suppressed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
    /// For a flow, where the data comes from; the finding's own place is where it goes (the
    /// sink). SARIF shows the two as a code flow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<FlowSource>,
}

/// The start of a flow: the line that reads what the finding's sink sends or runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlowSource {
    /// 1-based line in the same file.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The line, trimmed and shortened.
    pub snippet: String,
    /// What is read there: a path, a variable, a store.
    pub what: String,
}

impl Finding {
    /// Whether the finding counts towards the verdict.
    pub fn is_active(&self) -> bool {
        self.suppressed.is_none()
    }
}
