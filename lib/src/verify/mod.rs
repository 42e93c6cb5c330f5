//! Verifying a signed bundle against a trust root.
//!
//! [`verify`] is the only way to obtain a [`VerifiedSkill`]: code that needs a verified Skill
//! takes that type, so an unverified manifest or bundle cannot reach it by mistake. The checks
//! run in a fixed order and stop at the first failure, each with its own error: the signature
//! file parses; the signing key is in the trust root; the DSSE signature verifies; the key is
//! not revoked and is inside its validity window; its publisher may sign the namespace; every
//! file of the bundle matches the manifest and the tree digest recomputes; the bundle's own
//! name, version and permissions equal the manifest's.
//!
//! A keyless signature (a Fulcio certificate instead of a key hint) takes the Sigstore path
//! for its first checks: certificate chain and SCT against the Sigstore trusted root, the
//! DSSE signature, the Rekor entry and its inclusion proof, offline ([`crate::sigstore`]);
//! then the certificate's identity must be one the [`Authority`] names: a trust-root
//! publisher's identity (which also decides the namespaces), or one given for ad-hoc use.

use jiff::Timestamp;

use crate::bundle::{self, ReadError};
use crate::limits::Limits;
use crate::manifest::{ContentMismatch, Manifest, ManifestError, PAYLOAD_TYPE};
use crate::signing::envelope::{self, EnvelopeError, Signed, SignedPayload};
use crate::signing::keys::KeyId;
use crate::sigstore::identity::CertificateIdentity;
use crate::sigstore::{self, CertificateSigner, SigstoreError, TrustedRoot};
use crate::skill::SkillInfo;
use crate::tree::FileTree;
use crate::trust::TrustRoot;

/// Who may sign: the trust root's publishers, or (ad hoc, keyless only) certificate
/// identities given by the user; plus the Sigstore trusted root that certificates chain to.
#[derive(Debug, Clone)]
pub struct Authority<'a> {
    signers: Signers<'a>,
    sigstore_root: &'a TrustedRoot,
}

#[derive(Debug, Clone)]
enum Signers<'a> {
    TrustRoot(&'a TrustRoot),
    Identities(Vec<CertificateIdentity>),
}

impl<'a> Authority<'a> {
    /// The publishers of `root`; certificates against the Sigstore public-good root.
    pub fn trust_root(root: &'a TrustRoot) -> Self {
        Authority {
            signers: Signers::TrustRoot(root),
            sigstore_root: sigstore::public_good_root(),
        }
    }

    /// Any of these certificate identities, whatever the namespace (cosign's ad-hoc mode: no
    /// trust root, so key signatures cannot verify and no namespace rule applies).
    pub fn identities(identities: Vec<CertificateIdentity>) -> Self {
        Authority {
            signers: Signers::Identities(identities),
            sigstore_root: sigstore::public_good_root(),
        }
    }

    /// Certificates must chain to `root` instead of the public-good root (staging, private
    /// deployments, tests).
    pub fn with_sigstore_root(mut self, root: &'a TrustedRoot) -> Self {
        self.sigstore_root = root;
        self
    }

    /// The trust root, unless only ad-hoc identities were given.
    pub fn root(&self) -> Option<&'a TrustRoot> {
        match self.signers {
            Signers::TrustRoot(root) => Some(root),
            Signers::Identities(_) => None,
        }
    }
}

/// What made the signature: a trust-root key, or a Sigstore certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignedBy {
    /// A key the trust root lists, by id.
    Key(KeyId),
    /// A Sigstore certificate whose identity the verifier allowed.
    Certificate(CertificateSigner),
}

impl std::fmt::Display for SignedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignedBy::Key(id) => write!(f, "key {id}"),
            SignedBy::Certificate(c) => write!(f, "{} (issuer {})", c.identity, c.issuer),
        }
    }
}

/// Why verification failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The signature file cannot be read.
    #[error("signature file: {0}")]
    SignatureFile(#[from] EnvelopeError),
    /// No publisher holds the key the signature names.
    #[error("the signing key {0} is not in the trust root")]
    UnknownKey(String),
    /// The signature does not verify with the key it names.
    #[error(
        "the signature does not verify with key {0}: the manifest or signature was altered, or it was signed by another key"
    )]
    BadSignature(KeyId),
    /// The key was revoked.
    #[error("key {keyid} was revoked at {time}: {reason}")]
    Revoked {
        /// The revoked key.
        keyid: KeyId,
        /// Why, as the trust root says.
        reason: String,
        /// When it was revoked.
        time: Timestamp,
    },
    /// The key's validity window has not started.
    #[error("key {keyid} is not valid before {not_before}")]
    KeyNotYetValid {
        /// The key.
        keyid: KeyId,
        /// When it starts to count.
        not_before: Timestamp,
    },
    /// The key's validity window has ended.
    #[error("key {keyid} expired at {not_after}")]
    KeyExpired {
        /// The key.
        keyid: KeyId,
        /// When it stopped counting.
        not_after: Timestamp,
    },
    /// The signed manifest is not well-formed.
    #[error("the signed manifest is invalid: {0}")]
    Manifest(#[from] ManifestError),
    /// The publisher may not sign the Skill's namespace.
    #[error("publisher {publisher:?} may not sign namespace {namespace:?}")]
    Namespace {
        /// The publisher that signed.
        publisher: String,
        /// The namespace the Skill claims.
        namespace: String,
    },
    /// The bundle archive is refused.
    #[error("the bundle is refused: {0}")]
    Bundle(#[from] ReadError),
    /// The bundle's files differ from the signed manifest.
    #[error("{0}")]
    Content(#[from] ContentMismatch),
    /// A Sigstore (keyless) signature that does not verify.
    #[error("the keyless signature does not verify: {0}")]
    Sigstore(#[from] SigstoreError),
    /// The certificate identity is not one the verifier allows.
    #[error("the certificate identity {identity} (issuer {issuer}) is not allowed to sign: {why}")]
    UnknownIdentity {
        /// The certificate's subject (SAN).
        identity: String,
        /// The OIDC issuer it names.
        issuer: String,
        /// Why it is not allowed.
        why: String,
    },
    /// A key signature with only certificate identities to verify against.
    #[error(
        "the signature is made with a key, but only certificate identities were given; verify it against a trust root"
    )]
    KeyWithoutTrustRoot,
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
            VerifyError::Sigstore(_) => "sigstore",
            VerifyError::UnknownIdentity { .. } => "unknown-identity",
            VerifyError::KeyWithoutTrustRoot => "key-without-trust-root",
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
    signed_by: SignedBy,
    trust_root: Option<(String, u64)>,
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

    /// The id of the trust-root publisher that signed; in ad-hoc identity mode, the
    /// certificate identity.
    pub fn publisher(&self) -> &str {
        &self.publisher
    }

    /// The key or certificate that signed.
    pub fn signed_by(&self) -> &SignedBy {
        &self.signed_by
    }

    /// Name and version of the trust root used (none in ad-hoc identity mode).
    pub fn trust_root(&self) -> Option<(&str, u64)> {
        self.trust_root.as_ref().map(|(n, v)| (n.as_str(), *v))
    }
}

/// A manifest whose signature verified against an authority: who signed it, with what.
/// Checking that files match it is separate ([`verify`] does both). Only the checks in this
/// module build one: the fields are private.
///
/// ```compile_fail,E0451
/// fn forge(manifest: skillsig::manifest::Manifest, signed_by: skillsig::verify::SignedBy) {
///     let _ = skillsig::verify::SignedManifest {
///         manifest, manifest_bytes: Vec::new(), publisher: "anyone".into(), signed_by,
///     };
/// }
/// ```
#[derive(Debug, Clone)]
pub struct SignedManifest {
    manifest: Manifest,
    manifest_bytes: Vec<u8>,
    publisher: String,
    signed_by: SignedBy,
}

impl SignedManifest {
    /// The manifest, well-formed and signed.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The exact manifest bytes that were signed.
    pub fn manifest_bytes(&self) -> &[u8] {
        &self.manifest_bytes
    }

    /// The trust-root publisher that signed (for ad hoc identities, the identity).
    pub fn publisher(&self) -> &str {
        &self.publisher
    }

    /// The key or certificate that made the signature.
    pub fn signed_by(&self) -> &SignedBy {
        &self.signed_by
    }

    /// The manifest, giving up the rest.
    pub fn into_manifest(self) -> Manifest {
        self.manifest
    }
}

/// Checks a signature file against `authority` at `now`. With a key: the signature verifies,
/// the key is in the trust root, not revoked, inside its window. With a certificate: the
/// Sigstore checks pass and the identity is allowed. Either way the publisher must be allowed
/// to sign the manifest's namespace.
pub fn verify_signature(
    signature_bytes: &[u8],
    authority: &Authority,
    now: Timestamp,
) -> Result<SignedManifest, VerifyError> {
    let signed = match envelope::parse(signature_bytes, PAYLOAD_TYPE)? {
        Signed::Keyless(signed) => return verify_keyless(signed, signature_bytes, authority),
        Signed::Key(signed) => signed,
    };
    let root = authority.root().ok_or(VerifyError::KeyWithoutTrustRoot)?;
    let key_id =
        KeyId::parse(&signed.key_id).map_err(|_| VerifyError::UnknownKey(signed.key_id.clone()))?;
    let (publisher, entry, key) = root
        .find_key(&key_id)
        .ok_or_else(|| VerifyError::UnknownKey(key_id.to_string()))?;
    if !key.verify(&signed.signed_bytes(), &signed.signature) {
        return Err(VerifyError::BadSignature(key_id));
    }
    check_key_standing(root, &key_id, entry, now)?;
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
        signed_by: SignedBy::Key(key_id),
    })
}

/// A trust-root key that made a valid signature may still not count: it is revoked, or
/// `now` is outside its validity window.
pub(crate) fn check_key_standing(
    root: &TrustRoot,
    key_id: &KeyId,
    entry: &crate::trust::PublisherKey,
    now: Timestamp,
) -> Result<(), VerifyError> {
    if let Some(revocation) = root.revocation(key_id) {
        return Err(VerifyError::Revoked {
            keyid: key_id.clone(),
            reason: revocation.reason.clone(),
            time: revocation.time,
        });
    }
    if let Some(not_before) = entry.not_before.filter(|t| now < *t) {
        return Err(VerifyError::KeyNotYetValid {
            keyid: key_id.clone(),
            not_before,
        });
    }
    if let Some(not_after) = entry.not_after.filter(|t| now >= *t) {
        return Err(VerifyError::KeyExpired {
            keyid: key_id.clone(),
            not_after,
        });
    }
    Ok(())
}

fn verify_keyless(
    signed: SignedPayload,
    signature_bytes: &[u8],
    authority: &Authority,
) -> Result<SignedManifest, VerifyError> {
    // The statement is parsed before Sigstore verification only to learn which digest it
    // claims; nothing from it is trusted until the certificate, signature and log entry hold.
    let manifest = Manifest::from_json(&signed.payload)?;
    let text = std::str::from_utf8(signature_bytes)
        .map_err(|_| EnvelopeError::NotABundle("not UTF-8".into()))?;
    let (publisher, signer) = verify_signature_identity(
        text,
        manifest.tree_digest(),
        authority,
        Some(&manifest.id().namespace),
    )?;
    Ok(SignedManifest {
        manifest,
        manifest_bytes: signed.payload,
        publisher,
        signed_by: SignedBy::Certificate(signer),
    })
}

/// Verifies a keyless Sigstore bundle over `subject_sha256`, then authorizes its certificate
/// identity: a trust-root publisher's identity (allowed `namespace`, when one is claimed), or
/// one of the ad-hoc identities. Returns the publisher id (the identity, ad hoc) and the signer.
pub fn verify_signature_identity(
    bundle_json: &str,
    subject_sha256: [u8; 32],
    authority: &Authority,
    namespace: Option<&str>,
) -> Result<(String, CertificateSigner), VerifyError> {
    let signer =
        sigstore::verify_certificate_bundle(bundle_json, subject_sha256, authority.sigstore_root)?;
    let refused = |why: String| VerifyError::UnknownIdentity {
        identity: signer.identity.clone(),
        issuer: signer.issuer.clone(),
        why,
    };
    let publisher = match &authority.signers {
        Signers::Identities(identities) => {
            if !identities
                .iter()
                .any(|i| i.matches(&signer.issuer, &signer.identity))
            {
                let wanted: Vec<String> = identities.iter().map(|i| i.to_string()).collect();
                return Err(refused(format!("expected {}", wanted.join(" or "))));
            }
            signer.identity.clone()
        }
        Signers::TrustRoot(root) => {
            let matching = root.publishers_for_identity(&signer.issuer, &signer.identity);
            if matching.is_empty() {
                return Err(refused(format!(
                    "no publisher in trust root {:?} has this identity",
                    root.name()
                )));
            }
            match namespace {
                None => matching[0].id.clone(),
                Some(namespace) => {
                    match matching.iter().find(|p| TrustRoot::may_sign(p, namespace)) {
                        Some(publisher) => publisher.id.clone(),
                        None => {
                            return Err(VerifyError::Namespace {
                                publisher: matching[0].id.clone(),
                                namespace: namespace.to_owned(),
                            });
                        }
                    }
                }
            }
        }
    };
    Ok((publisher, signer))
}

/// Verifies `bundle_bytes` with the signature file `signature_bytes` against `authority` at
/// `now`.
pub fn verify(
    bundle_bytes: &[u8],
    signature_bytes: &[u8],
    authority: &Authority,
    now: Timestamp,
    limits: &Limits,
) -> Result<VerifiedSkill, VerifyError> {
    let signed = verify_signature(signature_bytes, authority, now)?;
    let bundle = bundle::read_bytes(bundle_bytes, limits)?;
    accept_tree(signed, bundle.tree, authority, limits)
}

/// [`verify`] for files already read from a folder (an installed Skill, or one staged by an
/// agent): the signature, then the files against the signed manifest.
pub fn verify_tree(
    tree: FileTree,
    signature_bytes: &[u8],
    authority: &Authority,
    now: Timestamp,
    limits: &Limits,
) -> Result<VerifiedSkill, VerifyError> {
    let signed = verify_signature(signature_bytes, authority, now)?;
    accept_tree(signed, tree, authority, limits)
}

fn accept_tree(
    signed: SignedManifest,
    tree: FileTree,
    authority: &Authority,
    limits: &Limits,
) -> Result<VerifiedSkill, VerifyError> {
    let info = signed.manifest.check_tree(&tree, limits)?;
    Ok(VerifiedSkill {
        manifest: signed.manifest,
        manifest_bytes: signed.manifest_bytes,
        info,
        tree,
        publisher: signed.publisher,
        signed_by: signed.signed_by,
        trust_root: authority
            .root()
            .map(|root| (root.name().to_owned(), root.version())),
    })
}
