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

pub mod state;

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::signing::keys::{KeyError, KeyId, PublicKey, SecretKey};
use crate::sigstore::identity::CertificateIdentity;
use crate::skill::frontmatter::is_spec_name;

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

/// A trust root file as written on disk. Nothing in it is trusted until [`TrustRoot::load`]
/// has checked it; edit it with the methods here, then sign it with root keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustRootFile {
    /// The part the root keys sign.
    pub signed: TrustRootBody,
    /// Root-key signatures over the canonical JSON of `signed`.
    #[serde(default)]
    pub signatures: Vec<RootSignature>,
}

/// The signed part of a trust root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustRootBody {
    /// Always `skillsig/trust-root`; anything else is refused.
    #[serde(rename = "_type")]
    pub root_type: String,
    /// Which trust root this is, for people; it changes only by a rotation the previous
    /// root keys sign (rollback protection is kept per place and per root keys, see [`state`]).
    pub name: String,
    /// Grows with every change.
    pub version: u64,
    /// After this instant the root is refused (defeats freeze attacks).
    pub expires: Timestamp,
    /// Who may sign which namespaces, with which keys, identities or CAs.
    #[serde(default)]
    pub publishers: Vec<Publisher>,
    /// Keys that must no longer be trusted, whoever lists them.
    #[serde(default)]
    pub revoked: Vec<Revocation>,
    /// Keys that sign the trust root itself, and how many signatures it needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<RootRole>,
    /// Keys that sign a registry's snapshot and timestamp, and how many signatures they need
    /// (see [`crate::registry`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<RootRole>,
}

/// Someone allowed to sign Skills in some namespaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Publisher {
    /// A short stable name (`acme`), used in messages, receipts and `trust` commands.
    pub id: String,
    /// Namespaces it may sign: exact (`acme`) or a prefix ending in `*` (`acme-*`).
    pub namespaces: Vec<String>,
    /// Keys whose signatures count for this publisher.
    #[serde(default)]
    pub keys: Vec<PublisherKey>,
    /// CI identities allowed to sign keyless (used by Sigstore verification).
    #[serde(default)]
    pub identities: Vec<Identity>,
    /// Private certificate authorities whose certificates may sign for this publisher
    /// (OpenSSF model-signing certificate mode, e.g. NVIDIA's Skills).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cas: Vec<PinnedCa>,
}

/// A CA root certificate pinned for a publisher, optionally limited to leaf subjects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinnedCa {
    /// The root certificate, PEM.
    pub certificate: String,
    /// A regular expression the whole leaf subject (`C=…,O=…,CN=…`) must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_regex: Option<String>,
}

/// An ed25519 key of a publisher, with an optional validity window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublisherKey {
    /// The key's id: hex sha256 of its SubjectPublicKeyInfo DER.
    pub keyid: KeyId,
    /// SubjectPublicKeyInfo PEM.
    pub public_key: String,
    /// Signatures made before this instant are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<Timestamp>,
    /// Signatures made after this instant are refused (a key rotated out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<Timestamp>,
}

/// An OIDC identity: issuer plus an exact subject or an anchored regular expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// The OIDC issuer the certificate must name, exactly.
    pub issuer: String,
    /// The exact certificate subject (SAN) allowed; one of `subject` and `subject_regex` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// A regular expression the whole certificate subject must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_regex: Option<String>,
}

impl CertificateIdentity {
    /// The identity a trust-root entry describes.
    pub fn from_trust_root(identity: &Identity) -> Result<Self, regex::Error> {
        match (&identity.subject, &identity.subject_regex) {
            (Some(subject), _) => Ok(Self::exact(&identity.issuer, subject)),
            (None, Some(pattern)) => Self::regex(&identity.issuer, pattern),
            // The trust root's own checks refuse this; match nothing rather than everything.
            (None, None) => Self::regex(&identity.issuer, "[^\\s\\S]"),
        }
    }
}

/// A key that must no longer be trusted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    /// The revoked key's id.
    pub keyid: KeyId,
    /// Why, in words shown to users.
    pub reason: String,
    /// When the key stopped being trusted.
    pub time: Timestamp,
}

/// The keys that sign the trust root, and the threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootRole {
    /// The keys of the role.
    pub keys: Vec<RootKey>,
    /// How many distinct keys must sign.
    pub threshold: u32,
}

impl RootRole {
    /// Hex SHA-256 of the role's sorted key ids, one per line: who the role is, whatever
    /// file or address it is read from. What this machine remembers about a trust root or a
    /// registry is kept under it (see [`state`] and [`crate::registry::ClientState`]).
    pub fn keys_digest(&self) -> String {
        let ids: BTreeSet<&str> = self.keys.iter().map(|k| k.keyid.as_str()).collect();
        let text: String = ids.into_iter().map(|id| format!("{id}\n")).collect();
        hex::encode(crate::tree::sha256(text.as_bytes()))
    }
}

/// One root key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootKey {
    /// The key's id.
    pub keyid: KeyId,
    /// SubjectPublicKeyInfo PEM.
    pub public_key: String,
}

/// A root key's signature over the canonical JSON of `signed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootSignature {
    /// The signing key's id.
    pub keyid: KeyId,
    /// The signature, base64.
    pub sig: String,
}

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

/// A trust root that passed every check of [`TrustRoot::load`].
#[derive(Debug, Clone)]
pub struct TrustRoot {
    file: TrustRootFile,
    /// Parsed publisher keys by key id: (publisher index, key index, key).
    keys: BTreeMap<KeyId, (usize, usize, PublicKey)>,
}

impl TrustRootFile {
    /// A new, unsigned trust root with no publisher.
    pub fn new(name: &str, expires: Timestamp) -> TrustRootFile {
        TrustRootFile {
            signed: TrustRootBody {
                root_type: TRUST_ROOT_TYPE.into(),
                name: name.into(),
                version: 1,
                expires,
                publishers: Vec::new(),
                revoked: Vec::new(),
                root: None,
                registry: None,
            },
            signatures: Vec::new(),
        }
    }

    /// Parses a file without checking anything beyond its shape.
    pub fn from_json(bytes: &[u8]) -> Result<TrustRootFile, TrustError> {
        if bytes.len() as u64 > MAX_TRUST_ROOT_BYTES {
            return Err(TrustError::TooLarge);
        }
        serde_json::from_slice(bytes).map_err(|e| TrustError::Parse(e.to_string()))
    }

    /// Pretty JSON for the file on disk.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a trust root always serializes");
        text.push('\n');
        text
    }

    /// The bytes root keys sign: RFC 8785 JSON of `signed`.
    pub fn signed_bytes(&self) -> Vec<u8> {
        serde_json_canonicalizer::to_vec(&self.signed).expect("a trust root always serializes")
    }

    /// Starts a new version: raises `version` and drops signatures, which no longer apply.
    /// Returns whether signatures were dropped.
    pub fn begin_edit(&mut self) -> bool {
        self.signed.version += 1;
        let had = !self.signatures.is_empty();
        self.signatures.clear();
        had
    }

    /// Checks the structure (ids, namespaces, keys, thresholds) without signatures or expiry:
    /// what an editor must keep true.
    pub fn check(&self) -> Result<(), TrustError> {
        if self.signed.root_type != TRUST_ROOT_TYPE {
            return Err(TrustError::Type(self.signed.root_type.clone()));
        }
        check_structure(&self.signed).map(|_| ())
    }

    /// Adds a publisher.
    pub fn add_publisher(&mut self, id: &str, namespaces: &[String]) -> Result<(), TrustError> {
        if self.signed.publishers.iter().any(|p| p.id == id) {
            return Err(TrustError::Edit(EditProblem::PublisherExists {
                id: id.into(),
            }));
        }
        check_publisher_id(id)?;
        if namespaces.is_empty() {
            return Err(TrustError::Edit(EditProblem::NoNamespaces));
        }
        for ns in namespaces {
            check_namespace_pattern(ns)?;
        }
        self.signed.publishers.push(Publisher {
            id: id.into(),
            namespaces: namespaces.to_vec(),
            keys: Vec::new(),
            identities: Vec::new(),
            cas: Vec::new(),
        });
        Ok(())
    }

    fn publisher_mut(&mut self, id: &str) -> Result<&mut Publisher, TrustError> {
        self.signed
            .publishers
            .iter_mut()
            .find(|p| p.id == id)
            .ok_or_else(|| TrustError::NoPublisher(id.into()))
    }

    /// Pins a CA root certificate for a publisher.
    pub fn add_ca(&mut self, publisher: &str, ca: PinnedCa) -> Result<(), TrustError> {
        crate::signing::certificate::pem_certificate(&ca.certificate)
            .map_err(|why| TrustError::Edit(EditProblem::NotACertificate { why }))?;
        let entry = self.publisher_mut(publisher)?;
        if entry.cas.iter().any(|c| c.certificate == ca.certificate) {
            return Err(TrustError::Edit(EditProblem::CaPinned {
                publisher: publisher.into(),
            }));
        }
        entry.cas.push(ca);
        Ok(())
    }

    /// Adds a keyless (Sigstore certificate) identity to a publisher.
    pub fn add_identity(&mut self, publisher: &str, identity: Identity) -> Result<(), TrustError> {
        check_identity(publisher, &identity)?;
        let entry = self.publisher_mut(publisher)?;
        if entry.identities.contains(&identity) {
            return Err(TrustError::Edit(EditProblem::IdentityListed {
                publisher: publisher.into(),
            }));
        }
        entry.identities.push(identity);
        Ok(())
    }

    /// Adds a key to a publisher.
    pub fn add_key(
        &mut self,
        publisher: &str,
        key: &PublicKey,
        not_before: Option<Timestamp>,
        not_after: Option<Timestamp>,
    ) -> Result<(), TrustError> {
        if self
            .signed
            .publishers
            .iter()
            .flat_map(|p| &p.keys)
            .any(|k| &k.keyid == key.id())
        {
            return Err(TrustError::Edit(EditProblem::KeyListed {
                keyid: key.id().clone(),
            }));
        }
        let entry = self.publisher_mut(publisher)?;
        entry.keys.push(PublisherKey {
            keyid: key.id().clone(),
            public_key: key.to_pem(),
            not_before,
            not_after,
        });
        Ok(())
    }

    /// Revokes a key.
    pub fn revoke(
        &mut self,
        keyid: &KeyId,
        reason: &str,
        time: Timestamp,
    ) -> Result<(), TrustError> {
        if self.signed.revoked.iter().any(|r| &r.keyid == keyid) {
            return Err(TrustError::Edit(EditProblem::AlreadyRevoked {
                keyid: keyid.clone(),
            }));
        }
        if reason.trim().is_empty() {
            return Err(TrustError::Edit(EditProblem::NoReason));
        }
        self.signed.revoked.push(Revocation {
            keyid: keyid.clone(),
            reason: reason.into(),
            time,
        });
        Ok(())
    }

    /// Adds a root key and sets the threshold.
    pub fn add_root_key(
        &mut self,
        key: &PublicKey,
        threshold: Option<u32>,
    ) -> Result<(), TrustError> {
        add_role_key(&mut self.signed.root, "root", key, threshold)
    }

    /// Adds a key that signs registry metadata and sets the threshold.
    pub fn add_registry_key(
        &mut self,
        key: &PublicKey,
        threshold: Option<u32>,
    ) -> Result<(), TrustError> {
        add_role_key(&mut self.signed.registry, "registry", key, threshold)
    }

    /// Adds a signature by `key` over `signed` (replacing an earlier one by the same key).
    pub fn sign(&mut self, key: &SecretKey) {
        let sig = STANDARD.encode(key.sign(&self.signed_bytes()));
        self.signatures.retain(|s| &s.keyid != key.public().id());
        self.signatures.push(RootSignature {
            keyid: key.public().id().clone(),
            sig,
        });
        self.signatures.sort_by(|a, b| a.keyid.cmp(&b.keyid));
    }

    /// Number of distinct keys of `role` with a valid signature over `signed`.
    fn valid_signatures(&self, role: &RootRole) -> Result<usize, TrustError> {
        let message = self.signed_bytes();
        let mut valid = BTreeSet::new();
        for key in &role.keys {
            let public = checked_key(&key.keyid, &key.public_key, "root key")?;
            let signed = self
                .signatures
                .iter()
                .filter(|s| s.keyid == key.keyid)
                .any(|s| {
                    STANDARD
                        .decode(&s.sig)
                        .is_ok_and(|sig| public.verify(&message, &sig))
                });
            if signed {
                valid.insert(key.keyid.clone());
            }
        }
        Ok(valid.len())
    }
}

/// Adds `key` to a role (created with threshold 1 when absent) and sets the threshold.
fn add_role_key(
    role: &mut Option<RootRole>,
    what: &'static str,
    key: &PublicKey,
    threshold: Option<u32>,
) -> Result<(), TrustError> {
    let role = role.get_or_insert(RootRole {
        keys: Vec::new(),
        threshold: 1,
    });
    if role.keys.iter().any(|k| &k.keyid == key.id()) {
        return Err(TrustError::Edit(EditProblem::RoleKeyListed {
            role: what,
            keyid: key.id().clone(),
        }));
    }
    role.keys.push(RootKey {
        keyid: key.id().clone(),
        public_key: key.to_pem(),
    });
    if let Some(threshold) = threshold {
        role.threshold = threshold;
    }
    if role.threshold == 0 || role.threshold as usize > role.keys.len() {
        return Err(TrustError::Edit(EditProblem::Threshold {
            role: what,
            threshold: role.threshold,
            keys: role.keys.len(),
        }));
    }
    Ok(())
}

fn checked_key(keyid: &KeyId, pem: &str, what: &str) -> Result<PublicKey, TrustError> {
    let public = PublicKey::from_pem(pem)?;
    if public.id() != keyid {
        return Err(TrustError::Invalid(Problem::KeyIdMismatch {
            role: what.into(),
            keyid: keyid.clone(),
            actual: public.id().clone(),
        }));
    }
    Ok(public)
}

fn check_publisher_id(id: &str) -> Result<(), TrustError> {
    if is_spec_name(id) {
        Ok(())
    } else {
        Err(TrustError::Invalid(Problem::PublisherId { id: id.into() }))
    }
}

/// `acme` or `acme-*`: a namespace, or a prefix of one followed by `*`.
fn check_namespace_pattern(pattern: &str) -> Result<(), TrustError> {
    let ok = match pattern.strip_suffix('*') {
        Some(prefix) => {
            !prefix.is_empty()
                && prefix
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        }
        None => is_spec_name(pattern),
    };
    if ok {
        Ok(())
    } else {
        Err(TrustError::Invalid(Problem::NamespacePattern {
            pattern: pattern.into(),
        }))
    }
}

/// Whether `namespace` matches `pattern` (see [`Publisher::namespaces`]).
///
/// ```
/// use skillsig::trust::namespace_matches;
///
/// assert!(namespace_matches("acme", "acme"));
/// assert!(namespace_matches("acme-*", "acme-labs"));
/// assert!(!namespace_matches("acme-*", "acme-")); // a prefix needs something after it
/// assert!(!namespace_matches("acme", "acme-labs"));
/// ```
pub fn namespace_matches(pattern: &str, namespace: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => namespace.starts_with(prefix) && namespace.len() > prefix.len(),
        None => pattern == namespace,
    }
}

impl TrustRoot {
    /// Checks a trust root file at time `now`, against a version this machine accepted before
    /// (`previous`; [`state::TrustState::load_root`] finds them).
    pub fn load(
        bytes: &[u8],
        now: Timestamp,
        previous: Option<&TrustRootFile>,
    ) -> Result<TrustRoot, TrustError> {
        TrustRoot::load_against(bytes, now, previous.as_slice())
    }

    /// [`TrustRoot::load`] against every version this machine accepted before that this root
    /// must follow: the new root must be a valid update of each.
    pub fn load_against(
        bytes: &[u8],
        now: Timestamp,
        previous: &[&TrustRootFile],
    ) -> Result<TrustRoot, TrustError> {
        let file = TrustRootFile::from_json(bytes)?;
        let body = &file.signed;
        if body.root_type != TRUST_ROOT_TYPE {
            return Err(TrustError::Type(body.root_type.clone()));
        }
        if !is_spec_name(&body.name) {
            return Err(TrustError::Invalid(Problem::Name {
                name: body.name.clone(),
            }));
        }
        let keys = check_structure(body)?;
        match &body.root {
            Some(role) => {
                let valid = file.valid_signatures(role)?;
                if valid < role.threshold as usize {
                    return Err(TrustError::Threshold {
                        valid,
                        threshold: role.threshold,
                    });
                }
            }
            None if !file.signatures.is_empty() => {
                return Err(TrustError::Invalid(Problem::SignaturesWithoutRootKeys));
            }
            None => {}
        }
        for previous in previous {
            check_update(previous, &file)?;
        }
        if body.expires <= now {
            return Err(TrustError::Expired {
                expires: body.expires,
            });
        }
        Ok(TrustRoot { file, keys })
    }

    /// The checked file.
    pub fn file(&self) -> &TrustRootFile {
        &self.file
    }

    /// The version.
    pub fn version(&self) -> u64 {
        self.file.signed.version
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.file.signed.name
    }

    /// The publisher that holds `keyid`, that key's entry, and the key.
    pub fn find_key(&self, keyid: &KeyId) -> Option<(&Publisher, &PublisherKey, &PublicKey)> {
        let (p, k, key) = self.keys.get(keyid)?;
        let publisher = &self.file.signed.publishers[*p];
        Some((publisher, &publisher.keys[*k], key))
    }

    /// The revocation of `keyid`, if it is revoked.
    pub fn revocation(&self, keyid: &KeyId) -> Option<&Revocation> {
        self.file.signed.revoked.iter().find(|r| &r.keyid == keyid)
    }

    /// The keys that sign registry metadata, if the trust root names any.
    pub fn registry_role(&self) -> Option<&RootRole> {
        self.file.signed.registry.as_ref()
    }

    /// Every publisher.
    pub fn publishers(&self) -> &[Publisher] {
        &self.file.signed.publishers
    }

    /// Every publisher key, with its publisher.
    pub fn all_keys(&self) -> Vec<(&Publisher, &PublicKey)> {
        self.keys
            .values()
            .map(|(p, _, key)| (&self.file.signed.publishers[*p], key))
            .collect()
    }

    /// The keys a signature's key hint names: by key id, or by the hint OpenSSF
    /// model-signing writes (SHA-256 of the key's PEM).
    pub fn keys_matching_hint(&self, hint: &str) -> Vec<(&Publisher, &PublicKey)> {
        self.all_keys()
            .into_iter()
            .filter(|(_, key)| {
                key.id().as_str() == hint || crate::signing::keys::model_signing_hint(key) == hint
            })
            .collect()
    }

    /// The publishers that list the certificate identity `subject` from `issuer`.
    pub fn publishers_for_identity(&self, issuer: &str, subject: &str) -> Vec<&Publisher> {
        self.file
            .signed
            .publishers
            .iter()
            .filter(|p| {
                p.identities.iter().any(|i| {
                    CertificateIdentity::from_trust_root(i)
                        .is_ok_and(|c| c.matches(issuer, subject))
                })
            })
            .collect()
    }

    /// Whether `publisher` may sign Skills in `namespace`.
    pub fn may_sign(publisher: &Publisher, namespace: &str) -> bool {
        publisher
            .namespaces
            .iter()
            .any(|p| namespace_matches(p, namespace))
    }
}

/// Checks ids, namespace patterns, key ids against keys, validity windows, identities and the
/// root role; returns the publisher keys by id.
fn check_structure(
    body: &TrustRootBody,
) -> Result<BTreeMap<KeyId, (usize, usize, PublicKey)>, TrustError> {
    let mut ids = BTreeSet::new();
    let mut keys = BTreeMap::new();
    for (p, publisher) in body.publishers.iter().enumerate() {
        check_publisher_id(&publisher.id)?;
        if !ids.insert(&publisher.id) {
            return Err(TrustError::Invalid(Problem::DuplicatePublisher {
                publisher: publisher.id.clone(),
            }));
        }
        if publisher.namespaces.is_empty() {
            return Err(TrustError::Invalid(Problem::NoNamespace {
                publisher: publisher.id.clone(),
            }));
        }
        for ns in &publisher.namespaces {
            check_namespace_pattern(ns)?;
        }
        for (k, key) in publisher.keys.iter().enumerate() {
            let public = checked_key(&key.keyid, &key.public_key, "key")?;
            if let (Some(from), Some(to)) = (key.not_before, key.not_after)
                && from >= to
            {
                return Err(TrustError::Invalid(Problem::KeyWindow {
                    keyid: key.keyid.clone(),
                }));
            }
            if keys.insert(key.keyid.clone(), (p, k, public)).is_some() {
                return Err(TrustError::Invalid(Problem::KeyInTwoPublishers {
                    keyid: key.keyid.clone(),
                }));
            }
        }
        for identity in &publisher.identities {
            check_identity(&publisher.id, identity)?;
        }
        for ca in &publisher.cas {
            crate::signing::certificate::pem_certificate(&ca.certificate).map_err(|why| {
                TrustError::Invalid(Problem::PinnedCa {
                    publisher: publisher.id.clone(),
                    why,
                })
            })?;
            if let Some(pattern) = &ca.subject_regex {
                CertificateIdentity::regex("", pattern).map_err(|e| {
                    TrustError::Invalid(Problem::CaSubjectRegex {
                        publisher: publisher.id.clone(),
                        why: e.to_string(),
                    })
                })?;
            }
        }
    }
    for (what, role) in [("root", &body.root), ("registry", &body.registry)] {
        let Some(role) = role else { continue };
        if role.threshold == 0 || role.threshold as usize > role.keys.len() {
            return Err(TrustError::Invalid(Problem::RoleThreshold {
                role: what,
                threshold: role.threshold,
                keys: role.keys.len(),
            }));
        }
        let mut seen = BTreeSet::new();
        for key in &role.keys {
            checked_key(&key.keyid, &key.public_key, &format!("{what} key"))?;
            if !seen.insert(&key.keyid) {
                return Err(TrustError::Invalid(Problem::DuplicateRoleKey {
                    role: what,
                    keyid: key.keyid.clone(),
                }));
            }
        }
    }
    Ok(keys)
}

fn check_identity(publisher: &str, identity: &Identity) -> Result<(), TrustError> {
    let bad = |problem: IdentityProblem| {
        Err(TrustError::Invalid(Problem::Identity {
            publisher: publisher.into(),
            problem,
        }))
    };
    if identity.issuer.is_empty() {
        return bad(IdentityProblem::NoIssuer);
    }
    match (&identity.subject, &identity.subject_regex) {
        (Some(_), None) => Ok(()),
        (None, Some(regex)) if regex.starts_with('^') && regex.ends_with('$') => {
            match CertificateIdentity::from_trust_root(identity) {
                Ok(_) => Ok(()),
                Err(e) => bad(IdentityProblem::SubjectRegex(e.to_string())),
            }
        }
        (None, Some(_)) => bad(IdentityProblem::NotAnchored),
        _ => bad(IdentityProblem::NotExactlyOne),
    }
}

/// The TUF root-rotation rules, against a version this machine accepted. The names need not
/// match: a root found at the same place or by the same root keys is the same trust root, and
/// a new name is one more change that only a signed rotation may make.
fn check_update(previous: &TrustRootFile, new: &TrustRootFile) -> Result<(), TrustError> {
    let name = new.signed.name.clone();
    let (found, highest) = (new.signed.version, previous.signed.version);
    if found < highest {
        return Err(TrustError::Rollback {
            name,
            found,
            highest,
        });
    }
    if found == highest {
        return if new.signed_bytes() == previous.signed_bytes() {
            Ok(())
        } else {
            Err(TrustError::Conflict {
                name,
                version: found,
            })
        };
    }
    match &previous.signed.root {
        Some(role) => {
            let valid = new.valid_signatures(role)?;
            if valid < role.threshold as usize {
                return Err(TrustError::NotSignedByPrevious {
                    name,
                    found,
                    previous: highest,
                    threshold: role.threshold,
                });
            }
        }
        None if name != previous.signed.name => {
            return Err(TrustError::Renamed {
                name,
                previous: previous.signed.name.clone(),
            });
        }
        None => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
