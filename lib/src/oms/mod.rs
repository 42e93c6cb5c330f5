//! OpenSSF model-signing (OMS) interop: verifying `skill.oms.sig` beside a Skill folder, and
//! writing one that the `model_signing` tools accept.
//!
//! The signature is the carrier skillsig already uses (a Sigstore bundle v0.3 around a DSSE
//! envelope) holding an in-toto statement with predicate type [`PREDICATE_TYPE`]: a digest per
//! file (`predicate.resources`) and a subject digest that is the SHA-256 of the concatenated raw
//! file digests, in path-component order. Unlike a skillsig manifest it carries no permissions, so an OMS
//! Skill declares none (see `docs/interop.md`).
//!
//! Verification order: the signature file parses; the folder's files are hashed by the OMS rules
//! (`ignore_paths`, the signature file itself left out, symlinks refused unless allowed) and must
//! equal the resource list exactly; the subject digest recomputes; then the signature over the
//! DSSE PAE verifies with the signer's key, and the signer is trusted: a certificate chain to a
//! CA the trust root pins, a trust-root publisher key, or (with a transparency log entry) a
//! Sigstore certificate identity.
//!
//! # Example: sign a folder with a trust-root key, then verify it
//!
//! ```
//! use std::path::Path;
//!
//! use skillsig::Limits;
//! use skillsig::oms::{self, OmsSigner, OmsTrust};
//! use skillsig::signing::keys::SecretKey;
//! use skillsig::trust::{TrustRoot, TrustRootFile};
//! use skillsig::verify::Authority;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let now = jiff::Timestamp::now();
//! let key = SecretKey::generate()?;
//! let mut root = TrustRootFile::new("demo", now + jiff::SignedDuration::from_hours(24));
//! root.add_publisher("example-inc", &["example".into()])?;
//! root.add_key("example-inc", key.public(), None, None)?;
//! let root = TrustRoot::load(root.to_json().as_bytes(), now, None)?;
//!
//! let folder = Path::new("../testdata/skills/weather-report");
//! let signature = oms::sign_folder(folder, &OmsSigner::Ed25519(&key), &Limits::DEFAULT)?;
//! let verified = oms::verify_folder(
//!     folder,
//!     signature.as_bytes(),
//!     &folder.join(oms::SIGNATURE_FILE),
//!     &Authority::trust_root(&root),
//!     Some("example"),
//!     now,
//!     &Limits::DEFAULT,
//! )?;
//! assert_eq!(verified.publisher(), "example-inc");
//! assert!(matches!(verified.trust(), OmsTrust::Key(_)));
//! assert!(!verified.transparency_log());
//! # Ok(())
//! # }
//! ```

mod files;
mod sign;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub use files::{FileDigests, hash_folder};
pub use sign::{OmsSigner, ecdsa_p256_from_pem, sign_folder};
/// An ECDSA key pair (for OMS key-mode signing).
pub use sigstore_sign::crypto::KeyPair as EcdsaKeyPair;
// Kept here too: callers found them under `oms` before they moved below `trust`.
pub use crate::signing::certificate::pem_certificate;
pub use crate::signing::keys::model_signing_hint;

use crate::signing::envelope::pae;
use crate::signing::keys::{KeyId, PublicKey};
use crate::sigstore::CertificateSigner;
use crate::trust::TrustRoot;
use crate::verify::Authority;

/// The predicate type of an OMS signature.
pub const PREDICATE_TYPE: &str = "https://model_signing/signature/v1.0";
/// The file name of the signature beside (inside) the Skill folder.
pub const SIGNATURE_FILE: &str = "skill.oms.sig";
/// The paths `model_signing` ignores by default (`--ignore-git-paths`).
pub const DEFAULT_IGNORE_PATHS: &[&str] = &[".git", ".gitattributes", ".github", ".gitignore"];
const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
const BUNDLE_MEDIA_TYPES: &[&str] = &[
    "application/vnd.dev.sigstore.bundle.v0.3+json",
    "application/vnd.dev.sigstore.bundle+json;version=0.3",
];
/// Largest signature file read.
pub const MAX_SIGNATURE_BYTES: u64 = 16 * 1024 * 1024;

/// Why an OMS signature was refused. Each check has its own variant and [`OmsError::code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OmsError {
    /// The signature file is not a Sigstore bundle v0.3 with a DSSE envelope.
    #[error("the signature file is not a Sigstore bundle v0.3 with a DSSE envelope: {0}")]
    Bundle(String),
    /// The signed payload is not an OMS in-toto statement.
    #[error("the signed statement is not an OMS statement: {0}")]
    Statement(String),
    /// The folder cannot be read.
    #[error("the folder cannot be read: {0}")]
    Folder(String),
    /// A symbolic link where the signature does not allow them.
    #[error("{0} is a symbolic link, and the signature does not allow symlinks")]
    Symlink(String),
    /// Files in the folder that the signature does not list.
    #[error("files not covered by the signature: {}", .0.join(", "))]
    ExtraFiles(Vec<String>),
    /// Files the signature lists that the folder lacks.
    #[error("signed files missing from the folder: {}", .0.join(", "))]
    MissingFiles(Vec<String>),
    /// Files whose content differs from the signed digest.
    #[error("files changed since signing: {}", .0.join(", "))]
    ChangedFiles(Vec<String>),
    /// The subject digest is not the one the resources combine to.
    #[error("the subject digest does not match the signed file digests")]
    SubjectDigest,
    /// The signature does not verify with the signer's key or certificate.
    #[error("the signature does not verify with the signer's key: {0}")]
    BadSignature(String),
    /// The certificate chain does not lead to a CA a publisher pins.
    #[error("the certificate chain does not lead to a CA the trust root pins: {0}")]
    UntrustedChain(String),
    /// No publisher holds the key the signature names.
    #[error("no trust-root publisher holds the key (hint {0:?})")]
    UnknownKey(String),
    /// The key is known but revoked, expired or not yet valid.
    #[error("the signing key no longer counts: {0}")]
    KeyStanding(crate::verify::VerifyError),
    /// A Sigstore (keyless) signature that does not verify.
    #[error("the keyless signature does not verify: {0}")]
    Sigstore(String),
    /// A verified certificate identity that no publisher holds.
    #[error("the certificate identity {identity} (issuer {issuer}) is not a publisher's identity")]
    UnknownIdentity {
        /// The certificate's subject (SAN).
        identity: String,
        /// The OIDC issuer it names.
        issuer: String,
    },
    /// The publisher may not sign the Skill's namespace.
    #[error("publisher {publisher:?} may not sign namespace {namespace:?}")]
    Namespace {
        /// The publisher that signed.
        publisher: String,
        /// The namespace the Skill claims.
        namespace: String,
    },
    /// Verification needs a trust root and none was given.
    #[error(
        "no trust root: an OMS signature is trusted through a trust root's CA, key or identity"
    )]
    NoTrustRoot,
}

impl OmsError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            OmsError::Bundle(_) => "signature-file",
            OmsError::Statement(_) => "statement-invalid",
            OmsError::Folder(_) => "io",
            OmsError::Symlink(_) => "symlink",
            OmsError::ExtraFiles(_) => "files-added",
            OmsError::MissingFiles(_) => "files-missing",
            OmsError::ChangedFiles(_) => "files-changed",
            OmsError::SubjectDigest => "subject-digest",
            OmsError::BadSignature(_) => "bad-signature",
            OmsError::UntrustedChain(_) => "untrusted-chain",
            OmsError::UnknownKey(_) => "unknown-key",
            OmsError::KeyStanding(e) => e.code(),
            OmsError::Sigstore(_) => "sigstore",
            OmsError::UnknownIdentity { .. } => "unknown-identity",
            OmsError::Namespace { .. } => "namespace-not-allowed",
            OmsError::NoTrustRoot => "no-trust-root",
        }
    }
}

// The parts of a Sigstore bundle an OMS signature uses.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bundle {
    media_type: String,
    verification_material: Material,
    dsse_envelope: Option<Envelope>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Material {
    #[serde(default)]
    x509_certificate_chain: Option<Chain>,
    #[serde(default)]
    certificate: Option<RawBytes>,
    #[serde(default)]
    public_key: Option<Hint>,
    #[serde(default)]
    tlog_entries: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct Chain {
    certificates: Vec<RawBytes>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBytes {
    raw_bytes: String,
}

#[derive(Deserialize)]
struct Hint {
    #[serde(default)]
    hint: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    payload: String,
    payload_type: String,
    signatures: Vec<EnvelopeSignature>,
}

#[derive(Deserialize)]
struct EnvelopeSignature {
    sig: String,
}

/// The OMS in-toto statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// Always `https://in-toto.io/Statement/v1`.
    #[serde(rename = "_type")]
    pub statement_type: String,
    /// Exactly one: the folder's name and combined digest.
    pub subject: Vec<Subject>,
    /// Always [`PREDICATE_TYPE`].
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// The files and how they were hashed.
    pub predicate: Predicate,
}

/// The statement's subject: the Skill folder's name and combined digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// The folder's name as the signer saw it (informative only).
    pub name: String,
    /// The sha256 of the resource digests, concatenated in path order.
    pub digest: SubjectDigest,
}

/// `{"sha256": hex}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectDigest {
    /// Hex sha256.
    pub sha256: String,
}

/// Per-file digests and how they were computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Predicate {
    /// Every file, in [`signing_order`].
    pub resources: Vec<Resource>,
    /// How files were hashed and which paths were left out.
    pub serialization: Serialization,
}

/// One file: its `/`-separated path in the folder and its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// The file's path, `/`-separated, relative to the folder.
    pub name: String,
    /// Always `sha256` (others are refused).
    pub algorithm: String,
    /// Hex digest of the file's content.
    pub digest: String,
}

/// How the folder was turned into resources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Serialization {
    /// `files` (one digest per file); other methods are refused.
    pub method: String,
    /// `sha256`.
    pub hash_type: String,
    /// Whether symlinks were followed when signing (skillsig refuses them either way).
    #[serde(default)]
    pub allow_symlinks: bool,
    /// Paths the signer left out of the resources.
    #[serde(default)]
    pub ignore_paths: Vec<String>,
}

/// Who signed, as the signature material says (before trust is decided).
#[derive(Debug, Clone)]
enum SignerMaterial {
    /// Leaf first.
    Chain(Vec<Vec<u8>>),
    Key {
        hint: String,
    },
}

/// A parsed OMS signature file whose signature and files have *not* been checked.
#[derive(Debug, Clone)]
pub struct ParsedSignature {
    /// The exact signed payload bytes.
    pub payload: Vec<u8>,
    /// The statement, parsed but not yet trusted.
    pub statement: Statement,
    signature: Vec<u8>,
    material: SignerMaterial,
    /// Whether the bundle carries a transparency log entry.
    pub has_tlog: bool,
    bundle_json: String,
}

/// Parses `skill.oms.sig`.
pub fn parse(bytes: &[u8]) -> Result<ParsedSignature, OmsError> {
    let bad = |m: &dyn std::fmt::Display| OmsError::Bundle(m.to_string());
    if bytes.len() as u64 > MAX_SIGNATURE_BYTES {
        return Err(bad(&format!("larger than {MAX_SIGNATURE_BYTES} bytes")));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| bad(&"not UTF-8"))?;
    let bundle: Bundle = serde_json::from_str(text).map_err(|e| bad(&e))?;
    if !BUNDLE_MEDIA_TYPES.contains(&bundle.media_type.as_str()) {
        return Err(bad(&format!("media type {:?}", bundle.media_type)));
    }
    let envelope = bundle
        .dsse_envelope
        .ok_or_else(|| bad(&"no dsseEnvelope"))?;
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(bad(&format!("payload type {:?}", envelope.payload_type)));
    }
    let [signature] = envelope.signatures.as_slice() else {
        return Err(bad(&format!(
            "{} signatures; exactly one expected",
            envelope.signatures.len()
        )));
    };
    let material = bundle.verification_material;
    let decode = |b: &RawBytes| STANDARD.decode(&b.raw_bytes).map_err(|_| bad(&"base64"));
    let material_kind = match (
        material.x509_certificate_chain,
        material.certificate,
        material.public_key,
    ) {
        (Some(chain), None, None) if !chain.certificates.is_empty() => SignerMaterial::Chain(
            chain
                .certificates
                .iter()
                .map(decode)
                .collect::<Result<_, _>>()?,
        ),
        (None, Some(cert), None) => SignerMaterial::Chain(vec![decode(&cert)?]),
        (None, None, Some(key)) => SignerMaterial::Key { hint: key.hint },
        _ => {
            return Err(bad(
                &"verification material must be one certificate chain, certificate or public key",
            ));
        }
    };
    let payload = STANDARD
        .decode(&envelope.payload)
        .map_err(|_| bad(&"payload is not base64"))?;
    let signature = STANDARD
        .decode(&signature.sig)
        .map_err(|_| bad(&"signature is not base64"))?;
    let statement = parse_statement(&payload)?;
    Ok(ParsedSignature {
        payload,
        statement,
        signature,
        material: material_kind,
        has_tlog: !material.tlog_entries.is_empty(),
        bundle_json: text.to_owned(),
    })
}

fn parse_statement(payload: &[u8]) -> Result<Statement, OmsError> {
    let bad = |m: &dyn std::fmt::Display| OmsError::Statement(m.to_string());
    let statement: Statement = serde_json::from_slice(payload).map_err(|e| bad(&e))?;
    if statement.statement_type != STATEMENT_TYPE {
        return Err(bad(&format!("_type {:?}", statement.statement_type)));
    }
    if statement.predicate_type != PREDICATE_TYPE {
        return Err(bad(&format!(
            "predicateType {:?}",
            statement.predicate_type
        )));
    }
    let serialization = &statement.predicate.serialization;
    if serialization.method != "files" || serialization.hash_type != "sha256" {
        return Err(bad(&format!(
            "serialization {}/{} (only files/sha256 is supported)",
            serialization.method, serialization.hash_type
        )));
    }
    let [subject] = statement.subject.as_slice() else {
        return Err(bad(&"exactly one subject expected"));
    };
    if !is_sha256_hex(&subject.digest.sha256) {
        return Err(bad(&"the subject digest is not 64 lowercase hex digits"));
    }
    for resource in &statement.predicate.resources {
        if resource.algorithm != "sha256" || !is_sha256_hex(&resource.digest) {
            return Err(bad(&format!(
                "resource {:?}: not a sha256 digest",
                resource.name
            )));
        }
    }
    Ok(statement)
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The files in the order `model_signing` lists and hashes them: by path *components*, as
/// Python's `PurePosixPath` compares, so `a/b/c.md` comes before `a/b.md`. Byte order would put
/// `a/b.md` first (`.` sorts before `/`), and the subject digest would differ.
pub fn signing_order(files: &FileDigests) -> Vec<(&str, &[u8; 32])> {
    let mut ordered: Vec<(&str, &[u8; 32])> = files
        .iter()
        .map(|(path, digest)| (path.as_str(), digest))
        .collect();
    ordered.sort_by(|(a, _), (b, _)| compare_components(a, b));
    ordered
}

/// Compares two `/`-separated paths component by component.
fn compare_components(a: &str, b: &str) -> std::cmp::Ordering {
    a.split('/').cmp(b.split('/'))
}

/// The subject digest of a set of files: SHA-256 over their raw digests, in
/// [`signing_order`].
pub fn subject_digest(files: &FileDigests) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for (_, digest) in signing_order(files) {
        hasher.update(digest);
    }
    hasher.finalize().into()
}

/// Compares the folder with the signed resources: no extra, missing or changed file, and the
/// subject digest recomputes.
pub fn check_files(statement: &Statement, files: &FileDigests) -> Result<(), OmsError> {
    let signed: std::collections::HashMap<&str, &str> = statement
        .predicate
        .resources
        .iter()
        .map(|r| (r.name.as_str(), r.digest.as_str()))
        .collect();
    let extra: Vec<String> = files
        .keys()
        .filter(|p| !signed.contains_key(p.as_str()))
        .cloned()
        .collect();
    if !extra.is_empty() {
        return Err(OmsError::ExtraFiles(extra));
    }
    let missing: Vec<String> = signed
        .keys()
        .filter(|p| !files.contains_key(**p))
        .map(|p| p.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(OmsError::MissingFiles(missing));
    }
    let changed: Vec<String> = files
        .iter()
        .filter(|(path, digest)| !hex_is(signed[path.as_str()], &digest[..]))
        .map(|(path, _)| path.clone())
        .collect();
    if !changed.is_empty() {
        return Err(OmsError::ChangedFiles(changed));
    }
    if !hex_is(&statement.subject[0].digest.sha256, &subject_digest(files)) {
        return Err(OmsError::SubjectDigest);
    }
    Ok(())
}

/// Whether `text` is the lowercase hex of `digest` (no allocation: this runs once per file).
fn hex_is(text: &str, digest: &[u8]) -> bool {
    let mut buffer = [0u8; 64];
    let Some(encoded) = buffer.get_mut(..digest.len() * 2) else {
        return false;
    };
    hex::encode_to_slice(digest, encoded).is_ok() && encoded == text.as_bytes()
}

/// How an OMS signature was trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OmsTrust {
    /// A private CA the trust root pins (no transparency log).
    Certificate {
        /// The leaf certificate's subject, e.g. `C=US,O=…,CN=…`.
        subject: String,
        /// SHA-256 of the pinned root certificate (DER), hex.
        root_sha256: String,
    },
    /// A trust-root publisher key (no transparency log).
    Key(KeyId),
    /// A Sigstore certificate, verified with its transparency log entry.
    Sigstore(CertificateSigner),
}

/// A Skill folder whose OMS signature verified. Only [`verify_folder`] builds one:
///
/// ```compile_fail,E0451
/// fn forge(statement: skillsig::oms::Statement, files: skillsig::oms::FileDigests,
///          scan_input: skillsig::scan::ScanInput, trust: skillsig::oms::OmsTrust) {
///     let _ = skillsig::oms::VerifiedOms {
///         statement, files, scan_input, publisher: "nvidia".into(), trust,
///         transparency_log: false,
///     };
/// }
/// ```
#[derive(Debug, Clone)]
pub struct VerifiedOms {
    statement: Statement,
    files: FileDigests,
    scan_input: crate::scan::ScanInput,
    publisher: String,
    trust: OmsTrust,
    transparency_log: bool,
}

impl VerifiedOms {
    /// The verified statement.
    pub fn statement(&self) -> &Statement {
        &self.statement
    }

    /// The file digests recomputed from the folder.
    pub fn files(&self) -> &FileDigests {
        &self.files
    }

    /// The bytes that were hashed and verified, plus the files the signature leaves out (its
    /// `ignore_paths`), for the scanner: what is scanned is what was verified, read once.
    pub fn scan_input(&self) -> &crate::scan::ScanInput {
        &self.scan_input
    }

    /// The trust-root publisher that signed (for ad-hoc identities, the identity).
    pub fn publisher(&self) -> &str {
        &self.publisher
    }

    /// What vouched for the signer.
    pub fn trust(&self) -> &OmsTrust {
        &self.trust
    }

    /// Whether the signature was checked against a transparency log.
    pub fn transparency_log(&self) -> bool {
        self.transparency_log
    }
}

/// Verifies the OMS signature `signature_bytes` of the Skill folder `dir`. `namespace` is the
/// namespace the Skill claims (from its `skillsig.toml`), if any: the signer's publisher must
/// be allowed it.
pub fn verify_folder(
    dir: &std::path::Path,
    signature_bytes: &[u8],
    signature_path: &std::path::Path,
    authority: &Authority,
    namespace: Option<&str>,
    now: Timestamp,
    limits: &crate::Limits,
) -> Result<VerifiedOms, OmsError> {
    let parsed = parse(signature_bytes)?;
    let read = files::read_folder(
        dir,
        &parsed.statement.predicate.serialization,
        signature_path,
        limits,
        true,
    )?;
    check_files(&parsed.statement, &read.digests)?;
    let (publisher, trust) = verify_signer(&parsed, authority, namespace, now)?;
    Ok(VerifiedOms {
        transparency_log: matches!(trust, OmsTrust::Sigstore(_)),
        statement: parsed.statement,
        files: read.digests,
        scan_input: read.scan_input,
        publisher,
        trust,
    })
}

fn verify_signer(
    parsed: &ParsedSignature,
    authority: &Authority,
    namespace: Option<&str>,
    now: Timestamp,
) -> Result<(String, OmsTrust), OmsError> {
    let signed = pae(IN_TOTO_PAYLOAD_TYPE, &parsed.payload);
    let may_sign = |publisher: &crate::trust::Publisher| match namespace {
        Some(ns) if !TrustRoot::may_sign(publisher, ns) => Err(OmsError::Namespace {
            publisher: publisher.id.clone(),
            namespace: ns.to_owned(),
        }),
        _ => Ok(publisher.id.clone()),
    };
    match &parsed.material {
        SignerMaterial::Chain(_) if parsed.has_tlog => {
            // Sigstore: the same checks as a keyless skillsig signature, over the subject.
            let mut digest = [0u8; 32];
            hex::decode_to_slice(&parsed.statement.subject[0].digest.sha256, &mut digest)
                .map_err(|e| OmsError::Statement(e.to_string()))?;
            let signed = crate::verify::verify_signature_identity(
                &parsed.bundle_json,
                digest,
                authority,
                namespace,
            )
            .map_err(|e| match e {
                crate::verify::VerifyError::UnknownIdentity {
                    identity, issuer, ..
                } => OmsError::UnknownIdentity { identity, issuer },
                crate::verify::VerifyError::Namespace {
                    publisher,
                    namespace,
                } => OmsError::Namespace {
                    publisher,
                    namespace,
                },
                other => OmsError::Sigstore(other.to_string()),
            })?;
            Ok((signed.0, OmsTrust::Sigstore(signed.1)))
        }
        SignerMaterial::Chain(chain) => {
            let root = authority.root().ok_or(OmsError::NoTrustRoot)?;
            let leaf = PublicKey::from_spki_der(&files::leaf_spki(&chain[0])?)
                .map_err(|e| OmsError::BadSignature(e.to_string()))?;
            if !leaf.verify(&signed, &parsed.signature) {
                return Err(OmsError::BadSignature(
                    "the leaf certificate's key did not make this signature".into(),
                ));
            }
            let (publisher, subject, root_sha256) = files::trusted_chain(chain, root, now)?;
            let id = may_sign(publisher)?;
            Ok((
                id,
                OmsTrust::Certificate {
                    subject,
                    root_sha256,
                },
            ))
        }
        SignerMaterial::Key { hint } => {
            let root = authority.root().ok_or(OmsError::NoTrustRoot)?;
            // model_signing's hint is the SHA-256 of the key's PEM; skillsig's is its key id.
            // Try the key the hint names first, then every key (a trust root is small).
            let mut candidates = root.keys_matching_hint(hint);
            if candidates.is_empty() {
                candidates = root.all_keys();
            }
            for (publisher, key) in candidates {
                if key.verify(&signed, &parsed.signature) {
                    let (_, entry, _) = root.find_key(key.id()).expect("the key is the root's");
                    crate::verify::check_key_standing(root, key.id(), entry, now)
                        .map_err(OmsError::KeyStanding)?;
                    let id = may_sign(publisher)?;
                    return Ok((id, OmsTrust::Key(key.id().clone())));
                }
            }
            Err(OmsError::UnknownKey(hint.clone()))
        }
    }
}

/// Turns verified digests into the statement payload skillsig signs.
fn statement_for(name: &str, files: &FileDigests, ignore_paths: &[String]) -> Statement {
    Statement {
        statement_type: STATEMENT_TYPE.into(),
        subject: vec![Subject {
            name: name.into(),
            digest: SubjectDigest {
                sha256: hex::encode(subject_digest(files)),
            },
        }],
        predicate_type: PREDICATE_TYPE.into(),
        predicate: Predicate {
            resources: signing_order(files)
                .into_iter()
                .map(|(path, digest)| Resource {
                    name: path.into(),
                    algorithm: "sha256".into(),
                    digest: hex::encode(digest),
                })
                .collect(),
            serialization: Serialization {
                method: "files".into(),
                hash_type: "sha256".into(),
                allow_symlinks: false,
                ignore_paths: ignore_paths.to_vec(),
            },
        },
    }
}
