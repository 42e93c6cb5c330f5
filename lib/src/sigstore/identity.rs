//! Which certificate identities may sign: an OIDC issuer plus an exact subject or an anchored
//! regular expression over it.
//!
//! One type serves both the trust root's publisher identities and the cosign-style flags
//! (`--certificate-identity`, `--certificate-identity-regexp`, `--certificate-oidc-issuer`).
//! A regular expression always has to match the *whole* subject. cosign matches anywhere in
//! the string, so a pattern written for one repository also accepts a look-alike such as
//! `https://github.com/evil/x?https://github.com/acme/skills/`; skillsig does not.
//!
//! The identity a trust-root entry describes is built in [`crate::trust`], which sits above
//! this module ([`CertificateIdentity::from_trust_root`]).

use regex::Regex;

/// How the certificate's subject (its SAN: an email or a URI) must look.
#[derive(Debug, Clone)]
pub enum SubjectMatch {
    /// The subject, compared exactly.
    Exact(String),
    /// Compiled as `^(?:pattern)$`.
    Regex(Regex),
}

/// An identity that may sign keyless.
#[derive(Debug, Clone)]
pub struct CertificateIdentity {
    /// The OIDC issuer that vouched for the subject, compared exactly.
    pub issuer: String,
    /// How the subject must look.
    pub subject: SubjectMatch,
}

impl CertificateIdentity {
    /// An exact subject from `issuer`.
    pub fn exact(issuer: impl Into<String>, subject: impl Into<String>) -> Self {
        CertificateIdentity {
            issuer: issuer.into(),
            subject: SubjectMatch::Exact(subject.into()),
        }
    }

    /// A subject matching `pattern` as a whole, from `issuer`.
    pub fn regex(issuer: impl Into<String>, pattern: &str) -> Result<Self, regex::Error> {
        let anchored = Regex::new(&format!("^(?:{pattern})$"))?;
        Ok(CertificateIdentity {
            issuer: issuer.into(),
            subject: SubjectMatch::Regex(anchored),
        })
    }

    /// Whether a certificate for `subject` from `issuer` is this identity.
    pub fn matches(&self, issuer: &str, subject: &str) -> bool {
        issuer == self.issuer
            && match &self.subject {
                SubjectMatch::Exact(expected) => subject == expected,
                SubjectMatch::Regex(pattern) => pattern.is_match(subject),
            }
    }
}

impl std::fmt::Display for CertificateIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.subject {
            SubjectMatch::Exact(subject) => write!(f, "{subject} (issuer {})", self.issuer),
            SubjectMatch::Regex(pattern) => {
                write!(f, "subject matching {} (issuer {})", pattern, self.issuer)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GITHUB: &str = "https://token.actions.githubusercontent.com";

    #[test]
    fn exact_subjects_and_issuers_must_both_match() {
        let id = CertificateIdentity::exact(
            GITHUB,
            "https://github.com/acme/skills/.github/workflows/release.yml@refs/tags/v1",
        );
        assert!(id.matches(
            GITHUB,
            "https://github.com/acme/skills/.github/workflows/release.yml@refs/tags/v1"
        ));
        assert!(!id.matches(
            "https://accounts.google.com",
            "https://github.com/acme/skills/.github/workflows/release.yml@refs/tags/v1"
        ));
        assert!(!id.matches(
            GITHUB,
            "https://github.com/acme/skills/.github/workflows/release.yml@refs/tags/v2"
        ));
    }

    #[test]
    fn regular_expressions_match_the_whole_subject_only() {
        let id = CertificateIdentity::regex(GITHUB, r"https://github\.com/acme/skills/.*").unwrap();
        assert!(id.matches(
            GITHUB,
            "https://github.com/acme/skills/.github/workflows/release.yml@refs/tags/v1"
        ));
        // An unanchored match (cosign's behaviour) would accept these.
        assert!(!id.matches(
            GITHUB,
            "https://github.com/evil/x?https://github.com/acme/skills/"
        ));
        let prefix = CertificateIdentity::regex(GITHUB, "acme").unwrap();
        assert!(!prefix.matches(GITHUB, "https://github.com/acme/skills"));
    }
}
