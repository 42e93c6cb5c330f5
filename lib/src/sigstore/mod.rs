//! Sigstore bundles with certificates or managed keys, verified offline.
//!
//! Built on the `sigstore-verify` crate (sigstore/sigstore-rust), which agreed with every
//! offline case of the Sigstore conformance suite measured here, unlike the older `sigstore`
//! crate. This module only chooses the trusted root (the public-good one shipped inside the
//! binary, or one given) and the identity policy, and turns the outcome into skillsig's errors.

pub mod identity;

use std::sync::OnceLock;

use sigstore_verify::trust_root::SIGSTORE_PRODUCTION_TRUSTED_ROOT;
pub use sigstore_verify::trust_root::TrustedRoot;
use sigstore_verify::types::{Artifact, ArtifactDigest, Bundle, DerPublicKey, Sha256Hash};
use sigstore_verify::{PublicKeyVerificationPolicy, VerificationPolicy};

/// What was signed: the bytes, or only their SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignedArtifact {
    /// The artifact itself.
    Bytes(Vec<u8>),
    /// The artifact's SHA-256.
    Sha256([u8; 32]),
}

/// Who must have signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signer {
    /// A Fulcio certificate for this identity (exact SAN) from this OIDC issuer.
    Identity {
        /// The exact subject (SAN).
        identity: String,
        /// The OIDC issuer.
        issuer: String,
    },
    /// A managed key (SubjectPublicKeyInfo PEM).
    Key {
        /// SubjectPublicKeyInfo PEM.
        public_key_pem: String,
    },
}

/// Why a Sigstore bundle was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigstoreError {
    /// The bundle cannot be parsed.
    #[error("the Sigstore bundle cannot be read: {0}")]
    Bundle(String),
    /// The trusted root cannot be parsed.
    #[error("the trusted root cannot be read: {0}")]
    TrustedRoot(String),
    /// The public key cannot be parsed.
    #[error("the public key cannot be read: {0}")]
    Key(String),
    /// The bundle does not verify (the message says which check failed).
    #[error("verification failed: {0}")]
    Verify(String),
}

impl SigstoreError {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            SigstoreError::Bundle(..) => "sigstore-bundle",
            SigstoreError::TrustedRoot(..) => "sigstore-trusted-root",
            SigstoreError::Key(..) => "sigstore-key",
            SigstoreError::Verify(..) => "sigstore-verify",
        }
    }
}

/// The Sigstore trusted root: `json` when given, else the public-good root shipped in the binary.
pub fn trusted_root(json: Option<&str>) -> Result<TrustedRoot, SigstoreError> {
    TrustedRoot::from_json(json.unwrap_or(SIGSTORE_PRODUCTION_TRUSTED_ROOT))
        .map_err(|e| SigstoreError::TrustedRoot(e.to_string()))
}

/// The public-good trusted root shipped in the binary, parsed once.
pub fn public_good_root() -> &'static TrustedRoot {
    static ROOT: OnceLock<TrustedRoot> = OnceLock::new();
    ROOT.get_or_init(|| trusted_root(None).expect("the built-in trusted root parses"))
}

/// Who a verified certificate says signed: not yet an authorisation, which the caller decides
/// (trust-root identities or the command line's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateSigner {
    /// The certificate's SAN: an email address or a URI (for CI, the workflow).
    pub identity: String,
    /// The OIDC issuer recorded in the certificate.
    pub issuer: String,
}

/// Verifies a keyless Sigstore bundle over an artifact known by its SHA-256 (for a DSSE
/// in-toto envelope: a subject digest of the statement), offline and for any identity, and
/// returns the identity the verified certificate names. Everything but the identity policy is
/// checked as in [`verify_bundle`]; a bundle signed with a managed key is refused here.
pub fn verify_certificate_bundle(
    bundle_json: &str,
    sha256: [u8; 32],
    root: &TrustedRoot,
) -> Result<CertificateSigner, SigstoreError> {
    let bundle =
        Bundle::from_json(bundle_json).map_err(|e| SigstoreError::Bundle(e.to_string()))?;
    let hash = Sha256Hash::from_hex(&hex::encode(sha256))
        .map_err(|e| SigstoreError::Bundle(e.to_string()))?;
    let result = sigstore_verify::verify(
        Artifact::Digest(ArtifactDigest::sha256(hash)),
        &bundle,
        &VerificationPolicy::any_identity(),
        root,
    )
    .map_err(|e| SigstoreError::Verify(e.to_string()))?;
    // any_identity() keeps every cryptographic check on; refuse anything that slipped past them.
    if !(result.certificate_verified() && result.sct_verified() && result.tlog_verified()) {
        return Err(SigstoreError::Verify(
            "the certificate, its SCT or the transparency log entry was not verified".into(),
        ));
    }
    match (result.identity(), result.issuer()) {
        (Some(identity), Some(issuer)) => Ok(CertificateSigner {
            identity: identity.as_str().to_owned(),
            issuer: issuer.to_owned(),
        }),
        _ => Err(SigstoreError::Verify(
            "the certificate names no identity or no OIDC issuer".into(),
        )),
    }
}

/// Verifies a Sigstore bundle over `artifact` for `signer`, offline: certificate chain and SCT,
/// signature, transparency log inclusion (proof against a signed checkpoint, or SET; Rekor v1
/// and v2), timestamps, and the identity policy.
pub fn verify_bundle(
    bundle_json: &str,
    artifact: &SignedArtifact,
    signer: &Signer,
    root: &TrustedRoot,
) -> Result<(), SigstoreError> {
    let bundle =
        Bundle::from_json(bundle_json).map_err(|e| SigstoreError::Bundle(e.to_string()))?;
    let artifact: Artifact = match artifact {
        SignedArtifact::Bytes(bytes) => Artifact::Blob(bytes),
        SignedArtifact::Sha256(digest) => {
            let hash = Sha256Hash::from_hex(&hex::encode(digest))
                .map_err(|e| SigstoreError::Bundle(e.to_string()))?;
            Artifact::Digest(ArtifactDigest::sha256(hash))
        }
    };
    let outcome = match signer {
        Signer::Identity { identity, issuer } => sigstore_verify::verify(
            artifact,
            &bundle,
            &VerificationPolicy::new(identity.as_str(), issuer.as_str()),
            root,
        ),
        Signer::Key { public_key_pem } => {
            let key = DerPublicKey::from_pem(public_key_pem)
                .map_err(|e| SigstoreError::Key(e.to_string()))?;
            sigstore_verify::verify(
                artifact,
                &bundle,
                &PublicKeyVerificationPolicy::new(key),
                root,
            )
        }
    };
    outcome
        .map(|_| ())
        .map_err(|e| SigstoreError::Verify(e.to_string()))
}
