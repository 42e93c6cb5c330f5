//! The signature file: a Sigstore bundle v0.3 around a DSSE envelope.
//!
//! DSSE signs `PAE(payloadType, payload)`, never re-serialized JSON, so the verifier checks
//! exactly the bytes that were signed. The Sigstore bundle is the carrier: in key mode its
//! verification material is a public-key hint (the key id) and it has no transparency-log
//! entry; keyless mode fills the same carrier with a certificate and log entries.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::keys::SecretKey;

/// Media type of the bundles skillsig writes.
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// Older spellings a reader accepts.
const ACCEPTED_MEDIA_TYPES: &[&str] = &[
    BUNDLE_MEDIA_TYPE,
    "application/vnd.dev.sigstore.bundle+json;version=0.3",
];
/// Keyless bundles from older Sigstore clients (certificate chains instead of one certificate).
const OLDER_KEYLESS_MEDIA_TYPES: &[&str] = &[
    "application/vnd.dev.sigstore.bundle+json;version=0.1",
    "application/vnd.dev.sigstore.bundle+json;version=0.2",
];
/// Suffix of the signature file written beside a bundle: `<bundle>.sigstore.json`.
pub const FILE_SUFFIX: &str = ".sigstore.json";
/// Largest signature file accepted.
pub const MAX_SIGNATURE_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// `PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(
        format!(
            "DSSEv1 {} {payload_type} {} ",
            payload_type.len(),
            payload.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(payload);
    out
}

/// A Sigstore bundle (the fields skillsig reads and writes; others are ignored on read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SigstoreBundle {
    /// The bundle media type; it decides which fields are expected.
    pub media_type: String,
    /// The key hint, certificate or chain, and transparency-log entries.
    pub verification_material: VerificationMaterial,
    /// The signed envelope; required by skillsig.
    pub dsse_envelope: Option<DsseEnvelope>,
}

/// How to find the key that verifies the signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationMaterial {
    /// The key's id, for key signatures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_key: Option<PublicKeyHint>,
    /// A Fulcio leaf certificate (keyless, bundle v0.3); checked by [`crate::sigstore`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<serde_json::Value>,
    /// A certificate chain (keyless, bundles before v0.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x509_certificate_chain: Option<serde_json::Value>,
    /// Transparency-log entries, checked by [`crate::sigstore`].
    #[serde(default)]
    pub tlog_entries: Vec<serde_json::Value>,
}

/// A key referred to by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKeyHint {
    /// The key id (hex sha256 of its SubjectPublicKeyInfo DER).
    pub hint: String,
}

/// A DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DsseEnvelope {
    /// Base64 of the payload bytes.
    pub payload: String,
    /// The media type of the payload.
    pub payload_type: String,
    /// The signatures; skillsig requires exactly one.
    pub signatures: Vec<DsseSignature>,
}

/// One signature in an envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DsseSignature {
    /// Base64 of the signature bytes.
    pub sig: String,
    /// The key id the signer names (may be empty).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub keyid: String,
}

/// Why a signature file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The file is larger than [`MAX_SIGNATURE_FILE_BYTES`].
    #[error("the signature file is larger than {MAX_SIGNATURE_FILE_BYTES} bytes")]
    TooLarge,
    /// Not a Sigstore bundle.
    #[error("the signature file is not a Sigstore bundle: {0}")]
    NotABundle(String),
    /// A media type skillsig does not read.
    #[error("unsupported Sigstore bundle media type {0:?}")]
    MediaType(String),
    /// No DSSE envelope.
    #[error("the Sigstore bundle carries no DSSE envelope")]
    NoEnvelope,
    /// The payload type is not the one expected.
    #[error("the envelope's payloadType is {found:?}, not {expected:?}")]
    PayloadType {
        /// The payload type found.
        found: String,
        /// The payload type expected.
        expected: String,
    },
    /// Not exactly one signature.
    #[error("the envelope must carry exactly one signature (it has {0})")]
    SignatureCount(usize),
    /// A field is not valid base64.
    #[error("the envelope's {0} is not valid base64")]
    Base64(&'static str),
    /// No public-key hint in the bundle.
    #[error("the bundle names no public key (no verificationMaterial.publicKey.hint)")]
    NoKeyHint,
    /// The envelope's key id contradicts the bundle's hint.
    #[error("the envelope's key id {envelope:?} differs from the bundle's key hint {hint:?}")]
    KeyIdMismatch {
        /// The envelope's key id.
        envelope: String,
        /// The bundle's key hint.
        hint: String,
    },
}

impl EnvelopeError {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            EnvelopeError::TooLarge => "signature-file-too-large",
            EnvelopeError::NotABundle(..) => "signature-file-not-a-bundle",
            EnvelopeError::MediaType(..) => "signature-file-media-type",
            EnvelopeError::NoEnvelope => "signature-file-no-envelope",
            EnvelopeError::PayloadType { .. } => "signature-file-payload-type",
            EnvelopeError::SignatureCount(..) => "signature-file-signature-count",
            EnvelopeError::Base64(..) => "signature-file-base64",
            EnvelopeError::NoKeyHint => "signature-file-no-key-hint",
            EnvelopeError::KeyIdMismatch { .. } => "signature-file-key-id-mismatch",
        }
    }
}

/// A parsed signature file whose signature has *not* been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedPayload {
    /// The key id the signer names.
    pub key_id: String,
    /// The media type of the payload.
    pub payload_type: String,
    /// The exact payload bytes that were signed.
    pub payload: Vec<u8>,
    /// The signature over the DSSE pre-authentication encoding of the payload.
    pub signature: Vec<u8>,
}

impl SignedPayload {
    /// The bytes the signature covers.
    pub fn signed_bytes(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }
}

/// Signs `payload` and returns the signature file's JSON text.
pub fn sign(payload: &[u8], payload_type: &str, key: &SecretKey) -> String {
    let signature = key.sign(&pae(payload_type, payload));
    let key_id = key.public().id().to_string();
    let bundle = SigstoreBundle {
        media_type: BUNDLE_MEDIA_TYPE.into(),
        verification_material: VerificationMaterial {
            public_key: Some(PublicKeyHint {
                hint: key_id.clone(),
            }),
            certificate: None,
            x509_certificate_chain: None,
            tlog_entries: Vec::new(),
        },
        dsse_envelope: Some(DsseEnvelope {
            payload: STANDARD.encode(payload),
            payload_type: payload_type.into(),
            signatures: vec![DsseSignature {
                sig: STANDARD.encode(signature),
                keyid: key_id,
            }],
        }),
    };
    let mut text = serde_json::to_string_pretty(&bundle).expect("a bundle always serializes");
    text.push('\n');
    text
}

fn read_bundle(bytes: &[u8], media_types: &[&[&str]]) -> Result<SigstoreBundle, EnvelopeError> {
    if bytes.len() as u64 > MAX_SIGNATURE_FILE_BYTES {
        return Err(EnvelopeError::TooLarge);
    }
    let bundle: SigstoreBundle =
        serde_json::from_slice(bytes).map_err(|e| EnvelopeError::NotABundle(e.to_string()))?;
    if !media_types
        .iter()
        .any(|list| list.contains(&bundle.media_type.as_str()))
    {
        return Err(EnvelopeError::MediaType(bundle.media_type));
    }
    Ok(bundle)
}

/// The envelope, with the expected payload type and exactly one signature.
fn single_signature(
    bundle: &SigstoreBundle,
    expected_payload_type: &str,
) -> Result<(DsseEnvelope, DsseSignature), EnvelopeError> {
    let envelope = bundle
        .dsse_envelope
        .clone()
        .ok_or(EnvelopeError::NoEnvelope)?;
    if envelope.payload_type != expected_payload_type {
        return Err(EnvelopeError::PayloadType {
            found: envelope.payload_type,
            expected: expected_payload_type.into(),
        });
    }
    let [signature] = envelope.signatures.as_slice() else {
        return Err(EnvelopeError::SignatureCount(envelope.signatures.len()));
    };
    let signature = signature.clone();
    Ok((envelope, signature))
}

/// A parsed signature file whose signature has *not* been checked, by how it must be checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signed {
    /// A key hint: a trust-root key must verify it.
    Key(SignedPayload),
    /// A certificate: [`crate::sigstore`] checks it, with its log entries (the `key_id` is
    /// empty).
    Keyless(SignedPayload),
}

/// Parses a signature file once, requiring `expected_payload_type`: key mode (a bundle v0.3
/// with a public-key hint) or keyless (a certificate or, from older clients, a chain).
pub fn parse(bytes: &[u8], expected_payload_type: &str) -> Result<Signed, EnvelopeError> {
    let bundle = read_bundle(bytes, &[ACCEPTED_MEDIA_TYPES, OLDER_KEYLESS_MEDIA_TYPES])?;
    let material = &bundle.verification_material;
    let keyless = material.public_key.is_none()
        && (material.certificate.is_some() || material.x509_certificate_chain.is_some());
    if !keyless && !ACCEPTED_MEDIA_TYPES.contains(&bundle.media_type.as_str()) {
        return Err(EnvelopeError::MediaType(bundle.media_type));
    }
    let (envelope, signature) = single_signature(&bundle, expected_payload_type)?;
    let key_id = if keyless {
        String::new()
    } else {
        let hint = bundle
            .verification_material
            .public_key
            .map(|k| k.hint)
            .ok_or(EnvelopeError::NoKeyHint)?;
        if !signature.keyid.is_empty() && signature.keyid != hint {
            return Err(EnvelopeError::KeyIdMismatch {
                envelope: signature.keyid.clone(),
                hint,
            });
        }
        hint
    };
    let payload = SignedPayload {
        key_id,
        payload_type: envelope.payload_type,
        payload: STANDARD
            .decode(&envelope.payload)
            .map_err(|_| EnvelopeError::Base64("payload"))?,
        signature: STANDARD
            .decode(&signature.sig)
            .map_err(|_| EnvelopeError::Base64("signature"))?,
    };
    Ok(if keyless {
        Signed::Keyless(payload)
    } else {
        Signed::Key(payload)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses a key-mode signature file.
    fn parse_key(bytes: &[u8], payload_type: &str) -> Result<SignedPayload, EnvelopeError> {
        match parse(bytes, payload_type)? {
            Signed::Key(payload) => Ok(payload),
            Signed::Keyless(_) => panic!("not a key-mode signature"),
        }
    }

    #[test]
    fn pae_matches_the_dsse_specification_example() {
        // From the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
    }

    #[test]
    fn signs_and_parses_back() {
        let key = SecretKey::generate().unwrap();
        let text = sign(b"{\"a\":1}", "application/vnd.in-toto+json", &key);
        let parsed = parse_key(text.as_bytes(), "application/vnd.in-toto+json").unwrap();
        assert_eq!(parsed.payload, b"{\"a\":1}");
        assert_eq!(parsed.key_id, key.public().id().as_str());
        assert!(
            key.public()
                .verify(&parsed.signed_bytes(), &parsed.signature)
        );
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["mediaType"], BUNDLE_MEDIA_TYPE);
        assert_eq!(
            value["verificationMaterial"]["publicKey"]["hint"],
            key.public().id().as_str()
        );
    }

    #[test]
    fn refuses_malformed_files() {
        let key = SecretKey::generate().unwrap();
        let good: serde_json::Value = serde_json::from_str(&sign(b"x", "t", &key)).unwrap();
        let parse_value = |v: &serde_json::Value| parse_key(&serde_json::to_vec(v).unwrap(), "t");
        assert!(matches!(
            parse_key(b"not json", "t"),
            Err(EnvelopeError::NotABundle(_))
        ));
        assert!(matches!(
            parse_key(&serde_json::to_vec(&good).unwrap(), "other"),
            Err(EnvelopeError::PayloadType { .. })
        ));
        let mut v = good.clone();
        v["mediaType"] = "application/json".into();
        assert!(matches!(parse_value(&v), Err(EnvelopeError::MediaType(_))));
        let mut v = good.clone();
        v["dsseEnvelope"]["signatures"] = serde_json::json!([]);
        assert_eq!(parse_value(&v), Err(EnvelopeError::SignatureCount(0)));
        let mut v = good.clone();
        v["dsseEnvelope"]["payload"] = "***".into();
        assert_eq!(parse_value(&v), Err(EnvelopeError::Base64("payload")));
        let mut v = good.clone();
        v["dsseEnvelope"]["signatures"][0]["keyid"] = "other".into();
        assert!(matches!(
            parse_value(&v),
            Err(EnvelopeError::KeyIdMismatch { .. })
        ));
        let mut v = good.clone();
        v["verificationMaterial"] = serde_json::json!({"tlogEntries": []});
        assert_eq!(parse_value(&v), Err(EnvelopeError::NoKeyHint));
        // The older media types are only for keyless bundles.
        let mut v = good;
        v["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.2".into();
        assert!(matches!(parse_value(&v), Err(EnvelopeError::MediaType(_))));
    }
}
