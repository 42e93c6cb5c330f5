//! The trust root file format: `{"signed": {…}, "signatures": […]}`, its parts, and its bytes
//! (the JSON on disk, and the canonical JSON of `signed` that root keys sign).

use std::collections::BTreeSet;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{MAX_TRUST_ROOT_BYTES, TRUST_ROOT_TYPE, TrustError};
use crate::signing::keys::KeyId;

/// A trust root file as written on disk. Nothing in it is trusted until
/// [`TrustRoot::load`](super::TrustRoot::load) has checked it; edit it with the methods here, then
/// sign it with root keys.
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
    /// root keys sign (rollback protection is kept per place and per root keys, see
    /// [`state`](super::state)).
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
    /// Accept this publisher's Skills when they declare no permissions (an OpenSSF
    /// model-signing signature cannot carry a declaration): they are still scanned, and the
    /// capabilities they use are listed. Off by default; the user's choice, never the Skill's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub accept_undeclared: bool,
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
    /// registry is kept under it (see [`state`](super::state) and
    /// [`crate::registry::ClientState`]).
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

impl RootSignature {
    /// Whether one of `signatures` made by `public` (under its id `keyid`) verifies `message`:
    /// the one test behind every threshold count over root-key signatures.
    pub fn any_by(
        signatures: &[RootSignature],
        keyid: &KeyId,
        public: &crate::signing::keys::PublicKey,
        message: &[u8],
    ) -> bool {
        use base64::Engine as _;
        signatures.iter().filter(|s| &s.keyid == keyid).any(|s| {
            base64::engine::general_purpose::STANDARD
                .decode(&s.sig)
                .is_ok_and(|sig| public.verify(message, &sig))
        })
    }
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
}
