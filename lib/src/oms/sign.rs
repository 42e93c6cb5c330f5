//! Writing `skill.oms.sig`: the OMS statement over a Skill folder, signed with a key or
//! keyless, in the bundle shape `model_signing verify key` / `verify sigstore` accept.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use super::{
    DEFAULT_IGNORE_PATHS, IN_TOTO_PAYLOAD_TYPE, OmsError, SIGNATURE_FILE, Serialization,
    hash_folder, model_signing_hint, statement_for,
};
use crate::Limits;
use crate::signing::envelope::pae;
use crate::signing::keyless::{self, KeylessError, TokenSources};
use crate::signing::keys::{PublicKey, SecretKey};
use crate::sigstore::TrustedRoot;

/// What signs an OMS signature.
pub enum OmsSigner<'a> {
    /// A skillsig ed25519 key (skillsig verifies it; `model_signing` accepts only ECDSA keys).
    Ed25519(&'a SecretKey),
    /// An ECDSA P-256 key, PKCS#8 DER (what `model_signing sign key` uses).
    EcdsaP256(sigstore_sign::crypto::KeyPair),
    /// Sigstore keyless, with these token sources and services.
    Keyless {
        /// Where the identity token comes from.
        tokens: &'a TokenSources,
        /// Fulcio, Rekor and timestamp authority URLs.
        services: &'a sigstore_sign::SigningServices,
        /// The trusted root the new bundle is verified against before it is written.
        root: &'a TrustedRoot,
    },
}

/// Hashes `dir` by the OMS rules (default ignore paths, no symlinks) and returns the signature
/// file's text. Nothing is written here.
pub fn sign_folder(dir: &Path, signer: &OmsSigner, limits: &Limits) -> Result<String, OmsError> {
    let serialization = Serialization {
        method: "files".into(),
        hash_type: "sha256".into(),
        allow_symlinks: false,
        ignore_paths: DEFAULT_IGNORE_PATHS.iter().map(|p| p.to_string()).collect(),
    };
    let files = hash_folder(dir, &serialization, &dir.join(SIGNATURE_FILE), limits)?;
    let name = std::fs::canonicalize(dir)
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "skill".into());
    let statement = statement_for(&name, &files, &serialization.ignore_paths);
    let payload = serde_json::to_vec(&statement).expect("a statement serializes");
    let (signature, public_key) = match signer {
        OmsSigner::Ed25519(key) => (
            key.sign(&pae(IN_TOTO_PAYLOAD_TYPE, &payload)).to_vec(),
            key.public().clone(),
        ),
        OmsSigner::EcdsaP256(pair) => {
            let signature = pair
                .sign(&pae(IN_TOTO_PAYLOAD_TYPE, &payload))
                .map_err(|e| OmsError::BadSignature(e.to_string()))?;
            let der = pair
                .public_key_der()
                .map_err(|e| OmsError::BadSignature(e.to_string()))?;
            let public = PublicKey::from_spki_der(der.as_bytes())
                .map_err(|e| OmsError::BadSignature(e.to_string()))?;
            (signature.as_bytes().to_vec(), public)
        }
        OmsSigner::Keyless {
            tokens,
            services,
            root,
        } => {
            let token = keyless::identity_token(tokens, services).map_err(keyless_error)?;
            let mut digest = [0u8; 32];
            hex::decode_to_slice(&statement.subject[0].digest.sha256, &mut digest)
                .expect("we wrote 64 hex digits");
            let signed = keyless::sign_statement(&payload, digest, &token, services, root)
                .map_err(keyless_error)?;
            return Ok(signed.bundle_json);
        }
    };
    let bundle = json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "publicKey": {"hint": model_signing_hint(&public_key)},
            "tlogEntries": []
        },
        "dsseEnvelope": {
            "payload": STANDARD.encode(&payload),
            "payloadType": IN_TOTO_PAYLOAD_TYPE,
            "signatures": [{"sig": STANDARD.encode(signature), "keyid": ""}]
        }
    });
    let mut text = serde_json::to_string_pretty(&bundle).expect("JSON serializes");
    text.push('\n');
    Ok(text)
}

/// An ECDSA P-256 private key from an unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`),
/// as `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256` writes it.
pub fn ecdsa_p256_from_pem(pem: &str) -> Option<sigstore_sign::crypto::KeyPair> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .skip_while(|l| *l != "-----BEGIN PRIVATE KEY-----")
        .skip(1)
        .take_while(|l| *l != "-----END PRIVATE KEY-----")
        .collect();
    let der = zeroize::Zeroizing::new(STANDARD.decode(body).ok()?);
    sigstore_sign::crypto::KeyPair::from_pkcs8_der(&der).ok()
}

fn keyless_error(e: KeylessError) -> OmsError {
    OmsError::Sigstore(e.to_string())
}
