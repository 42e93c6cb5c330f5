//! The vocabulary the rule catalogue and findings share: how serious a finding is
//! ([`Severity`]) and which capability it is about ([`CapabilityKind`], [`Capability`]).

use std::fmt;

use serde::{Deserialize, Serialize};

/// How serious a finding is. *critical* and *high* are behaviours no honest Skill needs; *medium*,
/// *low* and *info* are capabilities an honest Skill may declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; not a risk by itself.
    Info,
    /// A small risk.
    Low,
    /// A risk to review.
    Medium,
    /// Dangerous unless explained.
    High,
    /// Malicious in practice; blocks by default.
    Critical,
}

impl Severity {
    /// Every severity, least serious first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parses a lowercase name.
    pub fn parse(text: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A kind of capability, in the vocabulary of `docs/permissions.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CapabilityKind {
    /// Network access (value: the host).
    Network,
    /// Running a program (value: the binary).
    Exec,
    /// Reading an environment variable (value: its name).
    Env,
    /// Reading a path (value: the path).
    Read,
    /// Writing a path (value: the path).
    Write,
    /// Running code built at run time (`eval`, `exec`, `Function`).
    DynamicCode,
    /// Loading native code (`ctypes`, FFI, `.node` modules).
    Native,
}

impl CapabilityKind {
    /// The permission key.
    pub fn as_str(self) -> &'static str {
        match self {
            CapabilityKind::Network => "network",
            CapabilityKind::Exec => "exec",
            CapabilityKind::Env => "env",
            CapabilityKind::Read => "read",
            CapabilityKind::Write => "write",
            CapabilityKind::DynamicCode => "dynamic-code",
            CapabilityKind::Native => "native",
        }
    }

    /// The permission kind whose values declare it; `None` for the two flags.
    pub fn permission_kind(self) -> Option<crate::permissions::Kind> {
        use crate::permissions::Kind;
        match self {
            CapabilityKind::Network => Some(Kind::Network),
            CapabilityKind::Exec => Some(Kind::Exec),
            CapabilityKind::Env => Some(Kind::Env),
            CapabilityKind::Read => Some(Kind::Read),
            CapabilityKind::Write => Some(Kind::Write),
            CapabilityKind::DynamicCode | CapabilityKind::Native => None,
        }
    }
}

/// One use of a capability: a kind and, for kinds with values, the value (`*` when it is
/// computed at run time, so cannot be known).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Capability {
    /// The kind.
    pub kind: CapabilityKind,
    /// The value, for kinds that have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(value) => write!(f, "{}:{value}", self.kind.as_str()),
            None => f.write_str(self.kind.as_str()),
        }
    }
}
