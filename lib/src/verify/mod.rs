//! Verifying a signed bundle against a trust root.
//!
//! [`verify`] is the only way to obtain a [`VerifiedSkill`]: code that needs a verified Skill
//! takes that type, so an unverified manifest or bundle cannot reach it by mistake. The checks
//! run in a fixed order and stop at the first failure, each with its own error: the signature
//! file parses; the signing key is in the trust root; the DSSE signature verifies; the key is
//! not revoked and is inside its validity window; its publisher may sign the namespace; every
//! file of the bundle matches the manifest and the tree digest recomputes; the bundle's own
//! name, version and permissions equal the manifest's.

use jiff::Timestamp;

use crate::bundle::{self, ReadError};
use crate::limits::Limits;
use crate::manifest::{ContentMismatch, Manifest, ManifestError, PAYLOAD_TYPE};
use crate::signing::envelope::{self, EnvelopeError};
use crate::signing::keys::KeyId;
use crate::skill::SkillInfo;
use crate::tree::FileTree;
use crate::trust::TrustRoot;

/// Why verification failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("signature file: {0}")]
    SignatureFile(#[from] EnvelopeError),
    #[error("the signing key {0} is not in the trust root")]
    UnknownKey(String),
    #[error(
        "the signature does not verify with key {0}: the manifest or signature was altered, or it was signed by another key"
    )]
    BadSignature(KeyId),
    #[error("key {keyid} was revoked at {time}: {reason}")]
    Revoked {
        keyid: KeyId,
        reason: String,
        time: Timestamp,
    },
    #[error("key {keyid} is not valid before {not_before}")]
    KeyNotYetValid { keyid: KeyId, not_before: Timestamp },
    #[error("key {keyid} expired at {not_after}")]
    KeyExpired { keyid: KeyId, not_after: Timestamp },
    #[error("the signed manifest is invalid: {0}")]
    Manifest(#[from] ManifestError),
    #[error("publisher {publisher:?} may not sign namespace {namespace:?}")]
    Namespace {
        publisher: String,
        namespace: String,
    },
    #[error("the bundle is refused: {0}")]
    Bundle(#[from] ReadError),
    #[error("{0}")]
    Content(#[from] ContentMismatch),
}

impl VerifyError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::SignatureFile(EnvelopeError::PayloadType { .. }) => "payload-type",
            VerifyError::SignatureFile(_) => "signature-file",
            VerifyError::UnknownKey(_) => "unknown-key",
            VerifyError::BadSignature(_) => "bad-signature",
            VerifyError::Revoked { .. } => "key-revoked",
            VerifyError::KeyNotYetValid { .. } => "key-not-yet-valid",
            VerifyError::KeyExpired { .. } => "key-expired",
            VerifyError::Manifest(_) => "manifest-invalid",
            VerifyError::Namespace { .. } => "namespace-not-allowed",
            VerifyError::Bundle(_) => "bundle-invalid",
            VerifyError::Content(ContentMismatch::Files(_)) => "files-mismatch",
            VerifyError::Content(ContentMismatch::Identity { .. }) => "identity-mismatch",
            VerifyError::Content(ContentMismatch::Permissions) => "permissions-mismatch",
            VerifyError::Content(ContentMismatch::Field(_)) => "manifest-mismatch",
            VerifyError::Content(ContentMismatch::Skill(_)) => "skill-invalid",
        }
    }
}

/// A Skill whose bundle, manifest and signature all checked out against a trust root.
#[derive(Debug, Clone)]
pub struct VerifiedSkill {
    manifest: Manifest,
    manifest_bytes: Vec<u8>,
    info: SkillInfo,
    tree: FileTree,
    publisher: String,
    key_id: KeyId,
    trust_root_name: String,
    trust_root_version: u64,
}

impl VerifiedSkill {
    /// The verified manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The exact manifest bytes that were signed.
    pub fn manifest_bytes(&self) -> &[u8] {
        &self.manifest_bytes
    }

    /// What the bundle's own files say (identical to the manifest on identity and permissions).
    pub fn info(&self) -> &SkillInfo {
        &self.info
    }

    /// The verified files.
    pub fn tree(&self) -> &FileTree {
        &self.tree
    }

    /// The id of the publisher whose key signed.
    pub fn publisher(&self) -> &str {
        &self.publisher
    }

    /// The signing key's id.
    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    /// Name and version of the trust root used.
    pub fn trust_root(&self) -> (&str, u64) {
        (&self.trust_root_name, self.trust_root_version)
    }
}

/// A manifest whose signature verified against a trust root: who signed it, with which key.
/// Checking that files match it is separate ([`verify`] does both).
#[derive(Debug, Clone)]
pub struct SignedManifest {
    pub manifest: Manifest,
    /// The exact manifest bytes that were signed.
    pub manifest_bytes: Vec<u8>,
    pub publisher: String,
    pub key_id: KeyId,
}

/// Checks a signature file against `root` at `now`: the signature verifies, the key is known,
/// not revoked, inside its window, and its publisher may sign the manifest's namespace.
pub fn verify_signature(
    signature_bytes: &[u8],
    root: &TrustRoot,
    now: Timestamp,
) -> Result<SignedManifest, VerifyError> {
    let signed = envelope::parse(signature_bytes, PAYLOAD_TYPE)?;
    let key_id =
        KeyId::parse(&signed.key_id).map_err(|_| VerifyError::UnknownKey(signed.key_id.clone()))?;
    let (publisher, entry, key) = root
        .find_key(&key_id)
        .ok_or_else(|| VerifyError::UnknownKey(key_id.to_string()))?;
    if !key.verify(&signed.signed_bytes(), &signed.signature) {
        return Err(VerifyError::BadSignature(key_id));
    }
    if let Some(revocation) = root.revocation(&key_id) {
        return Err(VerifyError::Revoked {
            keyid: key_id,
            reason: revocation.reason.clone(),
            time: revocation.time,
        });
    }
    if let Some(not_before) = entry.not_before.filter(|t| now < *t) {
        return Err(VerifyError::KeyNotYetValid {
            keyid: key_id,
            not_before,
        });
    }
    if let Some(not_after) = entry.not_after.filter(|t| now >= *t) {
        return Err(VerifyError::KeyExpired {
            keyid: key_id,
            not_after,
        });
    }
    let manifest = Manifest::from_json(&signed.payload)?;
    if !TrustRoot::may_sign(publisher, &manifest.id().namespace) {
        return Err(VerifyError::Namespace {
            publisher: publisher.id.clone(),
            namespace: manifest.id().namespace.clone(),
        });
    }
    Ok(SignedManifest {
        manifest,
        manifest_bytes: signed.payload,
        publisher: publisher.id.clone(),
        key_id,
    })
}

/// Verifies `bundle_bytes` with the signature file `signature_bytes` against `root` at `now`.
pub fn verify(
    bundle_bytes: &[u8],
    signature_bytes: &[u8],
    root: &TrustRoot,
    now: Timestamp,
    limits: &Limits,
) -> Result<VerifiedSkill, VerifyError> {
    let signed = verify_signature(signature_bytes, root, now)?;
    let bundle = bundle::read_bytes(bundle_bytes, limits)?;
    let info = signed.manifest.check_bundle(&bundle, limits)?;
    Ok(VerifiedSkill {
        manifest: signed.manifest,
        manifest_bytes: signed.manifest_bytes,
        info,
        tree: bundle.tree,
        publisher: signed.publisher,
        key_id: signed.key_id,
        trust_root_name: root.name().to_owned(),
        trust_root_version: root.version(),
    })
}
