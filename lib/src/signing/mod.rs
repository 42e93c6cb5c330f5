//! Signing a packed Skill: ed25519 keys or keyless (Sigstore), DSSE envelopes carried in
//! Sigstore bundles.
//!
//! The signature covers the manifest's exact bytes (an in-toto statement), so it binds every
//! file, the identity and the declared permissions at once. [`sign_bundle`] refuses a bundle
//! that does not match its manifest: nobody should sign something that verification rejects.

pub mod certificate;
pub mod envelope;
pub mod keyless;
pub mod keys;

use crate::bundle::{self, ReadError};
use crate::limits::Limits;
use crate::manifest::{ContentMismatch, Manifest, ManifestError, PAYLOAD_TYPE};
use keys::SecretKey;

/// Why a bundle was not signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The bundle cannot be read.
    #[error("the bundle is refused: {0}")]
    Bundle(#[from] ReadError),
    /// The manifest is not well-formed.
    #[error("the manifest is refused: {0}")]
    Manifest(#[from] ManifestError),
    /// The bundle's files differ from the manifest.
    #[error("{0}")]
    Content(#[from] ContentMismatch),
    /// Keyless signing failed.
    #[error("{0}")]
    Keyless(#[from] keyless::KeylessError),
}

impl SignError {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            SignError::Bundle(e) => e.code(),
            SignError::Manifest(e) => e.code(),
            SignError::Content(e) => e.code(),
            SignError::Keyless(e) => e.code(),
        }
    }
}

/// The manifest of a bundle, recomputed from its own files (what `pack` wrote beside it), so
/// that a `.skill` file alone can be signed.
pub fn manifest_for_bundle(bundle_bytes: &[u8], limits: &Limits) -> Result<Vec<u8>, SignError> {
    let bundle = bundle::read_bytes(bundle_bytes, limits)?;
    let (manifest, _) = Manifest::for_bundle(&bundle, limits).map_err(ContentMismatch::Skill)?;
    Ok(manifest.to_canonical_json())
}

/// Checks the bundle against its manifest and returns the signature file (a Sigstore bundle
/// v0.3 holding a DSSE envelope over the manifest bytes).
pub fn sign_bundle(
    bundle_bytes: &[u8],
    manifest_bytes: &[u8],
    key: &SecretKey,
    limits: &Limits,
) -> Result<String, SignError> {
    let bundle = bundle::read_bytes(bundle_bytes, limits)?;
    let manifest = Manifest::from_json(manifest_bytes)?;
    manifest.check_bundle(&bundle, limits)?;
    Ok(envelope::sign(manifest_bytes, PAYLOAD_TYPE, key))
}
