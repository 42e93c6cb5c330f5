//! The trust root: which publishers may sign which namespaces, with which keys, until when.
//!
//! A trust root file is `{"signed": {…}, "signatures": […]}` as in TUF root metadata. Loading
//! one ([`TrustRoot::load`]) checks everything before anything may rely on it: structure, that
//! every key id matches its key, expiry, and — when root keys are listed — a threshold of
//! signatures over the canonical (RFC 8785) JSON of `signed`. Against the last versions this
//! machine accepted at the same place or from the same root keys (see [`state`]) it refuses
//! rollbacks, a different document under the same version, an update not signed by the
//! threshold of the *previous* version's root keys, and a change of name without such a
//! signed rotation.

mod edit;
mod format;
mod load;
pub mod state;

pub use format::{
    Identity, PinnedCa, Publisher, PublisherKey, Revocation, RootKey, RootRole, RootSignature,
    TrustRootBody, TrustRootFile,
};
pub use load::{TrustRoot, namespace_matches};

use jiff::Timestamp;

use crate::signing::keys::{KeyError, KeyId};

/// `_type` of a trust root.
pub const TRUST_ROOT_TYPE: &str = "skillsig/trust-root/v1";
/// Environment variable naming the trust root file.
pub const TRUST_ROOT_ENV: &str = "SKILLSIG_TRUST_ROOT";

/// The trust root file used when none is named: `SKILLSIG_TRUST_ROOT`, else `trust.json` in
/// the platform's config folder (`~/.config/skillsig/trust.json` on Linux).
pub fn default_path() -> Option<std::path::PathBuf> {
    if let Some(path) = std::env::var_os(TRUST_ROOT_ENV).filter(|p| !p.is_empty()) {
        return Some(path.into());
    }
    directories::ProjectDirs::from("", "", "skillsig").map(|d| d.config_dir().join("trust.json"))
}

/// Largest trust root file accepted.
pub const MAX_TRUST_ROOT_BYTES: u64 = 4 * 1024 * 1024;

/// Why a trust root was refused or could not be edited.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// The file is larger than [`MAX_TRUST_ROOT_BYTES`].
    #[error("the trust root is larger than {MAX_TRUST_ROOT_BYTES} bytes")]
    TooLarge,
    /// The file is not JSON of the trust-root shape.
    #[error("the trust root is not valid: {0}")]
    Parse(String),
    /// `_type` names another kind of document.
    #[error("`_type` is {0:?}, not {TRUST_ROOT_TYPE:?}")]
    Type(String),
    /// A field breaks a rule (bad namespace, duplicate id, key id not matching its key).
    #[error("the trust root is invalid: {0}")]
    Invalid(Problem),
    /// The root's `expires` is in the past.
    #[error("the trust root expired at {expires}; get a current one from its maintainer")]
    Expired {
        /// When it expired.
        expires: Timestamp,
    },
    /// Too few valid root-key signatures.
    #[error(
        "the trust root has {valid} valid signature(s) from its root keys; it needs {threshold}"
    )]
    Threshold {
        /// Distinct root keys whose signature verified.
        valid: usize,
        /// Signatures the root requires.
        threshold: u32,
    },
    /// An older version than this machine has already accepted.
    #[error(
        "trust root {name:?} version {found} is older than version {highest}, already seen on this machine: refusing a rollback"
    )]
    Rollback {
        /// The trust root's name.
        name: String,
        /// The version offered.
        found: u64,
        /// The highest version accepted before.
        highest: u64,
    },
    /// The same version as one accepted before, with other content.
    #[error(
        "trust root {name:?} version {version} differs from the version {version} already seen on this machine; a changed root must raise its version"
    )]
    Conflict {
        /// The trust root's name.
        name: String,
        /// The version both claim.
        version: u64,
    },
    /// A root of another name where this machine knows an unsigned one: there are no root
    /// keys whose signature could make the replacement a rotation.
    #[error(
        "trust root {name:?} replaces {previous:?}, which this machine accepted here and which has no root keys to sign a rotation; if you replaced it on purpose, remove what this machine remembers about it (the trust-roots folder in the state folder)"
    )]
    Renamed {
        /// The name offered.
        name: String,
        /// The name this machine accepted before.
        previous: String,
    },
    /// A new version not signed by enough keys of the version this machine trusts.
    #[error(
        "trust root {name:?} version {found} is not signed by {threshold} of the root keys of version {previous}, which this machine trusts; the update is refused"
    )]
    NotSignedByPrevious {
        /// The trust root's name.
        name: String,
        /// The version offered.
        found: u64,
        /// The version this machine trusts.
        previous: u64,
        /// Signatures required by that version.
        threshold: u32,
    },
    /// A key in the root cannot be read.
    #[error("{0}")]
    Key(#[from] KeyError),
    /// An edit names a publisher the root does not have.
    #[error("no publisher {0:?} in the trust root")]
    NoPublisher(String),
    /// An edit would break a rule.
    #[error("{0}")]
    Edit(EditProblem),
}

impl TrustError {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            TrustError::TooLarge => "trust-root-too-large",
            TrustError::Parse(..) => "trust-root-parse",
            TrustError::Type(..) => "trust-root-type",
            TrustError::Invalid(..) => "trust-root-invalid",
            TrustError::Expired { .. } => "trust-root-expired",
            TrustError::Threshold { .. } => "trust-root-threshold",
            TrustError::Rollback { .. } => "trust-root-rollback",
            TrustError::Conflict { .. } => "trust-root-conflict",
            TrustError::Renamed { .. } => "trust-root-renamed",
            TrustError::NotSignedByPrevious { .. } => "trust-root-not-signed-by-previous",
            TrustError::Key(..) => "trust-root-key",
            TrustError::NoPublisher(..) => "trust-root-no-publisher",
            TrustError::Edit(..) => "trust-root-edit",
        }
    }
}

/// Which rule a trust root's content breaks ([`TrustError::Invalid`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// The trust root's name is not a spec name.
    #[error("name {name:?} must be lowercase letters, digits and single hyphens")]
    Name {
        /// The name found.
        name: String,
    },
    /// Signatures without root keys to check them against.
    #[error("it carries signatures but lists no root keys")]
    SignaturesWithoutRootKeys,
    /// A key id is not the id of the key listed with it.
    #[error("{role} {keyid} does not match its public key (its id is {actual})")]
    KeyIdMismatch {
        /// `key`, `root key` or `registry key`.
        role: String,
        /// The id listed.
        keyid: KeyId,
        /// The id of the key listed.
        actual: KeyId,
    },
    /// A publisher id is not a spec name.
    #[error("publisher id {id:?} must be lowercase letters, digits and single hyphens")]
    PublisherId {
        /// The id found.
        id: String,
    },
    /// A namespace pattern is neither a namespace nor a prefix ending in `*`.
    #[error(
        "namespace pattern {pattern:?} must be a namespace (`acme`) or a prefix ending in `*` (`acme-*`)"
    )]
    NamespacePattern {
        /// The pattern found.
        pattern: String,
    },
    /// Two publishers share an id.
    #[error("publisher {publisher:?} is listed twice")]
    DuplicatePublisher {
        /// The id.
        publisher: String,
    },
    /// A publisher may sign no namespace.
    #[error("publisher {publisher:?} has no namespace")]
    NoNamespace {
        /// The publisher.
        publisher: String,
    },
    /// A key's window ends before it starts.
    #[error("key {keyid} has not_before after not_after")]
    KeyWindow {
        /// The key.
        keyid: KeyId,
    },
    /// One key is listed under two publishers.
    #[error("key {keyid} belongs to two publishers")]
    KeyInTwoPublishers {
        /// The key.
        keyid: KeyId,
    },
    /// A keyless identity is malformed.
    #[error("publisher {publisher:?}: identity {problem}")]
    Identity {
        /// The publisher listing it.
        publisher: String,
        /// What is wrong with it.
        problem: IdentityProblem,
    },
    /// A pinned CA is not a certificate.
    #[error("publisher {publisher:?}: a pinned CA: {why}")]
    PinnedCa {
        /// The publisher pinning it.
        publisher: String,
        /// Why the PEM is not a certificate.
        why: String,
    },
    /// A pinned CA's subject pattern does not compile.
    #[error("publisher {publisher:?}: subject_regex does not compile: {why}")]
    CaSubjectRegex {
        /// The publisher pinning the CA.
        publisher: String,
        /// The regular-expression error.
        why: String,
    },
    /// A role's threshold cannot be met, or is zero.
    #[error("{role} threshold {threshold} is not between 1 and the {keys} {role} key(s)")]
    RoleThreshold {
        /// `root` or `registry`.
        role: &'static str,
        /// The threshold found.
        threshold: u32,
        /// How many keys the role lists.
        keys: usize,
    },
    /// A role lists one key twice.
    #[error("{role} key {keyid} is listed twice")]
    DuplicateRoleKey {
        /// `root` or `registry`.
        role: &'static str,
        /// The key.
        keyid: KeyId,
    },
}

impl Problem {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Name { .. } => "name",
            Problem::SignaturesWithoutRootKeys => "signatures-without-root-keys",
            Problem::KeyIdMismatch { .. } => "key-id-mismatch",
            Problem::PublisherId { .. } => "publisher-id",
            Problem::NamespacePattern { .. } => "namespace-pattern",
            Problem::DuplicatePublisher { .. } => "duplicate-publisher",
            Problem::NoNamespace { .. } => "no-namespace",
            Problem::KeyWindow { .. } => "key-window",
            Problem::KeyInTwoPublishers { .. } => "key-in-two-publishers",
            Problem::Identity { problem, .. } => problem.code(),
            Problem::PinnedCa { .. } => "pinned-ca",
            Problem::CaSubjectRegex { .. } => "ca-subject-regex",
            Problem::RoleThreshold { .. } => "role-threshold",
            Problem::DuplicateRoleKey { .. } => "duplicate-role-key",
        }
    }
}

/// What is wrong with a publisher's keyless identity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityProblem {
    /// No OIDC issuer.
    #[error("has no issuer")]
    NoIssuer,
    /// The subject pattern does not compile.
    #[error("subject_regex does not compile: {0}")]
    SubjectRegex(String),
    /// The subject pattern is not anchored.
    #[error("subject_regex must be anchored with ^ and $")]
    NotAnchored,
    /// Both or neither of `subject` and `subject_regex`.
    #[error("needs exactly one of subject and subject_regex")]
    NotExactlyOne,
}

impl IdentityProblem {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            IdentityProblem::NoIssuer => "identity-no-issuer",
            IdentityProblem::SubjectRegex(_) => "identity-subject-regex",
            IdentityProblem::NotAnchored => "identity-not-anchored",
            IdentityProblem::NotExactlyOne => "identity-not-exactly-one",
        }
    }
}

/// Why an edit of a trust root file was refused ([`TrustError::Edit`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EditProblem {
    /// The publisher id is taken.
    #[error("publisher {id:?} already exists")]
    PublisherExists {
        /// The id.
        id: String,
    },
    /// A new publisher needs a namespace.
    #[error("a publisher needs at least one --namespace")]
    NoNamespaces,
    /// The CA to pin is not a certificate.
    #[error("not a CA certificate: {why}")]
    NotACertificate {
        /// Why.
        why: String,
    },
    /// The publisher already pins this CA.
    #[error("publisher {publisher:?} already pins this CA")]
    CaPinned {
        /// The publisher.
        publisher: String,
    },
    /// The publisher already has this identity.
    #[error("publisher {publisher:?} already has this identity")]
    IdentityListed {
        /// The publisher.
        publisher: String,
    },
    /// The key is already in the trust root.
    #[error("key {keyid} is already in the trust root")]
    KeyListed {
        /// The key.
        keyid: KeyId,
    },
    /// The key is already revoked.
    #[error("key {keyid} is already revoked")]
    AlreadyRevoked {
        /// The key.
        keyid: KeyId,
    },
    /// A revocation without a reason.
    #[error("a revocation needs a reason")]
    NoReason,
    /// The role already lists the key.
    #[error("{role} key {keyid} is already listed")]
    RoleKeyListed {
        /// `root` or `registry`.
        role: &'static str,
        /// The key.
        keyid: KeyId,
    },
    /// The threshold cannot be met, or is zero.
    #[error("threshold {threshold} is not between 1 and the {keys} {role} key(s)")]
    Threshold {
        /// `root` or `registry`.
        role: &'static str,
        /// The threshold asked for.
        threshold: u32,
        /// How many keys the role lists.
        keys: usize,
    },
}

impl EditProblem {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            EditProblem::PublisherExists { .. } => "publisher-exists",
            EditProblem::NoNamespaces => "no-namespaces",
            EditProblem::NotACertificate { .. } => "not-a-certificate",
            EditProblem::CaPinned { .. } => "ca-pinned",
            EditProblem::IdentityListed { .. } => "identity-listed",
            EditProblem::KeyListed { .. } => "key-listed",
            EditProblem::AlreadyRevoked { .. } => "already-revoked",
            EditProblem::NoReason => "no-reason",
            EditProblem::RoleKeyListed { .. } => "role-key-listed",
            EditProblem::Threshold { .. } => "threshold",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    use crate::signing::keys::SecretKey;
    use crate::sigstore::identity::CertificateIdentity;

    #[test]
    fn trust_root_entries_become_identities() {
        const GITHUB: &str = "https://token.actions.githubusercontent.com";
        let exact = Identity {
            issuer: GITHUB.into(),
            subject: Some("a@example.com".into()),
            subject_regex: None,
        };
        assert!(
            CertificateIdentity::from_trust_root(&exact)
                .unwrap()
                .matches(GITHUB, "a@example.com")
        );
        let pattern = Identity {
            issuer: GITHUB.into(),
            subject: None,
            subject_regex: Some("^.*@example\\.com$".into()),
        };
        let id = CertificateIdentity::from_trust_root(&pattern).unwrap();
        assert!(id.matches(GITHUB, "b@example.com"));
        assert!(!id.matches(GITHUB, "b@example.com.evil"));
        let neither = Identity {
            issuer: GITHUB.into(),
            subject: None,
            subject_regex: None,
        };
        assert!(
            !CertificateIdentity::from_trust_root(&neither)
                .unwrap()
                .matches(GITHUB, "")
        );
        assert!(CertificateIdentity::regex(GITHUB, "(").is_err());
    }

    fn now() -> Timestamp {
        "2026-11-24T00:00:00Z".parse().unwrap()
    }

    fn later() -> Timestamp {
        "2027-11-24T00:00:00Z".parse().unwrap()
    }

    fn load(
        file: &TrustRootFile,
        previous: Option<&TrustRootFile>,
    ) -> Result<TrustRoot, TrustError> {
        TrustRoot::load(file.to_json().as_bytes(), now(), previous)
    }

    fn with_publisher() -> (TrustRootFile, SecretKey) {
        let mut file = TrustRootFile::new("local", later());
        file.add_publisher("acme", &["acme".into(), "acme-*".into()])
            .unwrap();
        let key = SecretKey::generate().unwrap();
        file.add_key("acme", key.public(), None, None).unwrap();
        (file, key)
    }

    #[test]
    fn an_unsigned_root_loads_and_finds_keys() {
        let (file, key) = with_publisher();
        let root = load(&file, None).unwrap();
        let (publisher, _, public) = root.find_key(key.public().id()).unwrap();
        assert_eq!(publisher.id, "acme");
        assert_eq!(public, key.public());
        assert!(TrustRoot::may_sign(publisher, "acme"));
        assert!(TrustRoot::may_sign(publisher, "acme-tools"));
        assert!(!TrustRoot::may_sign(publisher, "acme2"));
        assert!(!TrustRoot::may_sign(publisher, "acme-"));
        assert!(!TrustRoot::may_sign(publisher, "other"));
    }

    #[test]
    fn expired_root_is_refused() {
        let file = TrustRootFile::new("local", "2026-01-01T00:00:00Z".parse().unwrap());
        assert!(matches!(load(&file, None), Err(TrustError::Expired { .. })));
    }

    #[test]
    fn tampered_key_ids_and_bad_structure_are_refused() {
        let (mut file, _) = with_publisher();
        file.signed.publishers[0].keys[0].keyid = KeyId::parse(&"a".repeat(64)).unwrap();
        assert!(matches!(
            load(&file, None),
            Err(TrustError::Invalid(Problem::KeyIdMismatch { .. }))
        ));
        let (mut file, _) = with_publisher();
        file.signed.publishers[0].namespaces = vec!["*".into()];
        assert!(matches!(load(&file, None), Err(TrustError::Invalid(_))));
        let (mut file, _) = with_publisher();
        file.signed
            .publishers
            .push(file.signed.publishers[0].clone());
        assert!(matches!(load(&file, None), Err(TrustError::Invalid(_))));
        let mut json: serde_json::Value =
            serde_json::from_str(&with_publisher().0.to_json()).unwrap();
        json["signed"]["extra"] = 1.into();
        assert!(matches!(
            TrustRoot::load(json.to_string().as_bytes(), now(), None),
            Err(TrustError::Parse(_))
        ));
    }

    #[test]
    fn signed_roots_need_their_threshold() {
        let (mut file, _) = with_publisher();
        let (r1, r2) = (
            SecretKey::generate().unwrap(),
            SecretKey::generate().unwrap(),
        );
        file.add_root_key(r1.public(), None).unwrap();
        file.add_root_key(r2.public(), Some(2)).unwrap();
        assert_eq!(
            load(&file, None).unwrap_err(),
            TrustError::Threshold {
                valid: 0,
                threshold: 2
            }
        );
        file.sign(&r1);
        file.sign(&r1);
        assert_eq!(
            load(&file, None).unwrap_err(),
            TrustError::Threshold {
                valid: 1,
                threshold: 2
            }
        );
        file.sign(&r2);
        assert!(load(&file, None).is_ok());
        // Any change to `signed` breaks the signatures.
        file.signed.publishers[0].namespaces.push("evil".into());
        assert_eq!(
            load(&file, None).unwrap_err(),
            TrustError::Threshold {
                valid: 0,
                threshold: 2
            }
        );
    }

    #[test]
    fn rollback_conflict_and_rotation_rules() {
        let root_key = SecretKey::generate().unwrap();
        let (mut v1, _) = with_publisher();
        v1.add_root_key(root_key.public(), None).unwrap();
        v1.sign(&root_key);
        load(&v1, None).unwrap();

        // Same version, same content: fine. Same version, other content: conflict.
        assert!(load(&v1, Some(&v1)).is_ok());
        let mut v1b = v1.clone();
        v1b.signed.publishers[0].namespaces.push("more".into());
        v1b.sign(&root_key);
        assert!(matches!(
            load(&v1b, Some(&v1)),
            Err(TrustError::Conflict { version: 1, .. })
        ));

        // A new version signed by the previous root key is accepted, even with a new root key.
        let new_root = SecretKey::generate().unwrap();
        let mut v2 = v1.clone();
        v2.begin_edit();
        v2.signed.root = None;
        v2.add_root_key(new_root.public(), None).unwrap();
        v2.sign(&new_root);
        assert!(matches!(
            load(&v2, Some(&v1)),
            Err(TrustError::NotSignedByPrevious {
                found: 2,
                previous: 1,
                ..
            })
        ));
        v2.signatures.push(RootSignature {
            keyid: root_key.public().id().clone(),
            sig: STANDARD.encode(root_key.sign(&v2.signed_bytes())),
        });
        assert!(load(&v2, Some(&v1)).is_ok());

        // Going back is refused.
        assert_eq!(
            load(&v1, Some(&v2)).unwrap_err(),
            TrustError::Rollback {
                name: "local".into(),
                found: 1,
                highest: 2
            }
        );

        // An unsigned update of a signed root is refused.
        let mut unsigned = v1.clone();
        unsigned.begin_edit();
        unsigned.signed.root = None;
        assert!(matches!(
            load(&unsigned, Some(&v1)),
            Err(TrustError::NotSignedByPrevious { .. })
        ));
    }

    #[test]
    fn identities_must_be_anchored() {
        let (mut file, _) = with_publisher();
        file.signed.publishers[0].identities.push(Identity {
            issuer: "https://token.actions.githubusercontent.com".into(),
            subject: None,
            subject_regex: Some("https://github.com/acme/.*".into()),
        });
        assert!(matches!(
            load(&file, None),
            Err(TrustError::Invalid(Problem::Identity {
                problem: IdentityProblem::NotAnchored,
                ..
            }))
        ));
    }
}
