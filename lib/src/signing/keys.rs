//! Key pairs: generation, PEM files and key ids.
//!
//! skillsig makes ed25519 keys. Private keys are PKCS#8 PEM, encrypted by default with a
//! passphrase (PBES2 as implemented by the RustCrypto `pkcs8` crate, readable by OpenSSL);
//! public keys are SubjectPublicKeyInfo PEM. A key id is the SHA-256 of the public key's
//! SubjectPublicKeyInfo DER, in hex. Public keys may also be ECDSA P-256 or P-384, because
//! OpenSSF model-signing signs with those (see [`crate::oms`]).

use std::fmt;

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sigstore_sign::crypto::{SigningScheme, VerificationKey};
use sigstore_sign::types::{DerPublicKey, SignatureBytes};
use zeroize::Zeroizing;

use crate::tree::sha256;

/// The id of a public key: lowercase hex SHA-256 of its SubjectPublicKeyInfo DER.
///
/// Every key id read from a file or a person goes through [`KeyId::parse`] (deserializing
/// one does too), so two spellings of one id are always the same value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct KeyId(String);

impl KeyId {
    /// The hex text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Parses a key id written by a person or a file: 64 hex digits, in either case. Upper
    /// case is normalised to the lower case ids are computed in, so that a revocation or a
    /// key written `ABCD…` names the same key as `abcd…`.
    pub fn parse(text: &str) -> Result<KeyId, KeyError> {
        if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(KeyId(text.to_ascii_lowercase()))
        } else {
            Err(KeyError::BadKeyId(text.to_owned()))
        }
    }
}

impl<'de> serde::Deserialize<'de> for KeyId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<KeyId, D::Error> {
        let text = String::deserialize(deserializer)?;
        KeyId::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a key could not be made, read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key is encrypted and no passphrase was given.
    #[error("the private key is encrypted: set SKILLSIG_PASSWORD or enter the passphrase")]
    PassphraseNeeded,
    /// The passphrase is wrong or the file damaged.
    #[error("cannot decrypt the private key: wrong passphrase or damaged file")]
    Decrypt,
    /// Not an ed25519 PKCS#8 private key.
    #[error("not an ed25519 private key in PKCS#8 PEM ({0})")]
    BadPrivateKey(String),
    /// Not a public key of a kind skillsig reads.
    #[error("not an ed25519, ECDSA P-256 or ECDSA P-384 public key in PEM ({0})")]
    BadPublicKey(String),
    /// Not 64 hex digits.
    #[error(
        "keyid {0:?} is not a key id: a key id is 64 hex digits, the SHA-256 of the key's SubjectPublicKeyInfo DER"
    )]
    BadKeyId(String),
    /// The key cannot be encoded.
    #[error("cannot encode the key: {0}")]
    Encode(String),
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
}

impl KeyError {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            KeyError::PassphraseNeeded => "key-passphrase-needed",
            KeyError::Decrypt => "key-decrypt",
            KeyError::BadPrivateKey(..) => "key-bad-private-key",
            KeyError::BadPublicKey(..) => "key-bad-public-key",
            KeyError::BadKeyId(..) => "key-bad-key-id",
            KeyError::Encode(..) => "key-encode",
            KeyError::Random(..) => "key-random",
        }
    }
}

/// A public key (ed25519, or ECDSA P-256/P-384) and its id.
#[derive(Clone)]
pub struct PublicKey {
    algorithm: KeyAlgorithm,
    /// The ed25519 key, for strict verification.
    ed25519: Option<VerifyingKey>,
    spki_der: Vec<u8>,
    id: KeyId,
}

/// The kinds of public key skillsig verifies with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlgorithm {
    /// Ed25519 (RFC 8032).
    Ed25519,
    /// ECDSA over P-256 with SHA-256.
    EcdsaP256,
    /// ECDSA over P-384 with SHA-384.
    EcdsaP384,
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.spki_der == other.spki_der
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.id)
    }
}

impl PublicKey {
    fn new(key: VerifyingKey) -> PublicKey {
        let der = key
            .to_public_key_der()
            .expect("an ed25519 key always encodes");
        PublicKey::with(KeyAlgorithm::Ed25519, Some(key), der.as_bytes().to_vec())
    }

    fn with(algorithm: KeyAlgorithm, ed25519: Option<VerifyingKey>, spki_der: Vec<u8>) -> Self {
        let id = KeyId(hex::encode(sha256(&spki_der)));
        PublicKey {
            algorithm,
            ed25519,
            spki_der,
            id,
        }
    }

    /// Reads a `-----BEGIN PUBLIC KEY-----` PEM.
    pub fn from_pem(pem: &str) -> Result<PublicKey, KeyError> {
        if let Ok(key) = VerifyingKey::from_public_key_pem(pem.trim()) {
            return Ok(PublicKey::new(key));
        }
        let der = DerPublicKey::from_pem(pem.trim())
            .map_err(|e| KeyError::BadPublicKey(e.to_string()))?;
        PublicKey::from_spki_der(der.as_bytes())
    }

    /// Reads a SubjectPublicKeyInfo in DER.
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, KeyError> {
        if let Ok(key) = VerifyingKey::from_public_key_der(der) {
            return Ok(PublicKey::new(key));
        }
        let key = VerificationKey::from_spki(&DerPublicKey::new(der.to_vec()))
            .map_err(|e| KeyError::BadPublicKey(e.to_string()))?;
        let algorithm = match key.scheme() {
            SigningScheme::EcdsaP256Sha256 => KeyAlgorithm::EcdsaP256,
            SigningScheme::EcdsaP384Sha384 => KeyAlgorithm::EcdsaP384,
            other => {
                return Err(KeyError::BadPublicKey(format!(
                    "{} keys are not supported",
                    other.name()
                )));
            }
        };
        Ok(PublicKey::with(algorithm, None, der.to_vec()))
    }

    /// The PEM text (64-character lines, as OpenSSL and Python's cryptography write it).
    pub fn to_pem(&self) -> String {
        use base64::Engine as _;
        let body = base64::engine::general_purpose::STANDARD.encode(&self.spki_der);
        let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
        for line in body.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
            pem.push('\n');
        }
        pem.push_str("-----END PUBLIC KEY-----\n");
        pem
    }

    /// The SubjectPublicKeyInfo DER.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// The key id.
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// Whether `signature` is a valid signature of `message` by this key: strict ed25519 (no
    /// malleable or small-order signatures), or DER-encoded ECDSA with the curve's hash.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.ed25519 {
            Some(key) => {
                let Ok(bytes) = <[u8; 64]>::try_from(signature) else {
                    return false;
                };
                key.verify_strict(message, &Signature::from_bytes(&bytes))
                    .is_ok()
            }
            None => VerificationKey::from_spki(&DerPublicKey::new(self.spki_der.clone()))
                .and_then(|key| key.verify(message, &SignatureBytes::new(signature.to_vec())))
                .is_ok(),
        }
    }
}

/// An ed25519 private key. The secret is zeroed when dropped.
pub struct SecretKey {
    key: SigningKey,
    public: PublicKey,
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({})", self.public.id)
    }
}

impl SecretKey {
    /// A new random key from the operating system's generator.
    pub fn generate() -> Result<SecretKey, KeyError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut()).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(SecretKey::from_signing_key(SigningKey::from_bytes(&seed)))
    }

    fn from_signing_key(key: SigningKey) -> SecretKey {
        let public = PublicKey::new(key.verifying_key());
        SecretKey { key, public }
    }

    /// Reads a PKCS#8 PEM private key, decrypting it with `passphrase` when it is encrypted.
    pub fn from_pem(pem: &str, passphrase: Option<&[u8]>) -> Result<SecretKey, KeyError> {
        let pem = pem.trim();
        let key = if pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
            let passphrase = passphrase.ok_or(KeyError::PassphraseNeeded)?;
            SigningKey::from_pkcs8_encrypted_pem(pem, passphrase).map_err(|_| KeyError::Decrypt)?
        } else {
            SigningKey::from_pkcs8_pem(pem).map_err(|e| KeyError::BadPrivateKey(e.to_string()))?
        };
        Ok(SecretKey::from_signing_key(key))
    }

    /// Whether a PEM text holds an encrypted private key.
    pub fn pem_is_encrypted(pem: &str) -> bool {
        pem.trim_start()
            .starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    }

    /// The PKCS#8 PEM text, encrypted under `passphrase` when one is given.
    ///
    /// Written as PKCS#8 v1 (RFC 5208, no embedded public key): ed25519-dalek's own encoder
    /// writes v2 (RFC 5958), which OpenSSL 3.0 cannot read. Both versions are read back.
    pub fn to_pem(&self, passphrase: Option<&[u8]>) -> Result<Zeroizing<String>, KeyError> {
        // KeypairBytes zeroes its secret when dropped (ed25519's `zeroize` feature).
        let v1 = ed25519::pkcs8::KeypairBytes {
            secret_key: self.key.to_bytes(),
            public_key: None,
        };
        match passphrase {
            Some(passphrase) => v1.to_pkcs8_encrypted_pem(passphrase, LineEnding::LF),
            None => v1.to_pkcs8_pem(LineEnding::LF),
        }
        .map_err(|e| KeyError::Encode(e.to_string()))
    }

    /// The public half.
    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// Signs `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}

/// `sha256(PEM)` in hex, the key hint OpenSSF `model_signing` writes and checks.
pub fn model_signing_hint(key: &PublicKey) -> String {
    hex::encode(sha256(key.to_pem().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trips_plain_and_encrypted() {
        let key = SecretKey::generate().unwrap();
        let plain = key.to_pem(None).unwrap();
        assert!(plain.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert_eq!(
            SecretKey::from_pem(&plain, None).unwrap().public(),
            key.public()
        );

        let encrypted = key.to_pem(Some(b"correct horse")).unwrap();
        assert!(SecretKey::pem_is_encrypted(&encrypted));
        assert_eq!(
            SecretKey::from_pem(&encrypted, None).unwrap_err(),
            KeyError::PassphraseNeeded
        );
        assert_eq!(
            SecretKey::from_pem(&encrypted, Some(b"wrong")).unwrap_err(),
            KeyError::Decrypt
        );
        let back = SecretKey::from_pem(&encrypted, Some(b"correct horse")).unwrap();
        assert_eq!(back.public(), key.public());

        let public = PublicKey::from_pem(&key.public().to_pem()).unwrap();
        assert_eq!(&public, key.public());
        assert_eq!(public.id().as_str().len(), 64);
    }

    #[test]
    fn signatures_verify_only_for_their_message_and_key() {
        let key = SecretKey::generate().unwrap();
        let other = SecretKey::generate().unwrap();
        let sig = key.sign(b"message");
        assert!(key.public().verify(b"message", &sig));
        assert!(!key.public().verify(b"messagE", &sig));
        assert!(!other.public().verify(b"message", &sig));
        assert!(!key.public().verify(b"message", &sig[..63]));
    }

    #[test]
    fn garbage_is_refused() {
        assert!(matches!(
            SecretKey::from_pem("hello", None),
            Err(KeyError::BadPrivateKey(_))
        ));
        assert!(matches!(
            PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
            Err(KeyError::BadPublicKey(_))
        ));
        assert!(KeyId::parse("ABC").is_err());
        assert!(KeyId::parse(&"a".repeat(64)).is_ok());
        assert_eq!(
            KeyId::parse(&"AB".repeat(32)).unwrap().as_str(),
            "ab".repeat(32)
        );
        assert!(KeyId::parse(&"g".repeat(64)).is_err());
        let quoted = format!("\"{}\"", "C".repeat(64));
        assert_eq!(
            serde_json::from_str::<KeyId>(&quoted).unwrap().as_str(),
            "c".repeat(64)
        );
        assert!(serde_json::from_str::<KeyId>("\"not-a-key-id\"").is_err());
    }

    #[test]
    fn private_keys_are_written_as_pkcs8_v1() {
        use pkcs8::der::Decode;
        use pkcs8::der::pem::PemLabel;
        let key = SecretKey::generate().unwrap();
        let pem = key.to_pem(None).unwrap();
        let (label, der) = pkcs8::der::pem::decode_vec(pem.as_bytes()).unwrap();
        assert_eq!(label, pkcs8::PrivateKeyInfoRef::PEM_LABEL);
        let info = pkcs8::PrivateKeyInfoRef::from_der(&der).unwrap();
        assert!(info.public_key.is_none(), "no embedded public key (v1)");
    }

    /// A key id is the SHA-256 of the SubjectPublicKeyInfo DER, which for ed25519 is a fixed
    /// 12-byte prefix and the 32-byte key: computed here without the pkcs8 machinery.
    #[test]
    fn key_id_is_sha256_of_spki_der() {
        let key = SecretKey::generate().unwrap();
        let mut der = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        der.extend_from_slice(key.key.verifying_key().as_bytes());
        assert_eq!(key.public().id().as_str(), hex::encode(sha256(&der)));
    }

    #[test]
    fn ecdsa_public_keys_verify_their_signatures_only() {
        let pair = sigstore_sign::crypto::KeyPair::generate_ecdsa_p256().unwrap();
        let pem = pair.public_key_der().unwrap().to_pem();
        let key = PublicKey::from_pem(&pem).unwrap();
        assert_eq!(key.algorithm(), KeyAlgorithm::EcdsaP256);
        assert_eq!(key.to_pem(), pem.replace("\r\n", "\n"));
        assert_eq!(key.id().as_str(), hex::encode(sha256(key.spki_der())));
        let signature = pair.sign(b"message").unwrap();
        assert!(key.verify(b"message", signature.as_bytes()));
        assert!(!key.verify(b"other message", signature.as_bytes()));
        assert!(!key.verify(b"message", &[0u8; 64]));
        let other = sigstore_sign::crypto::KeyPair::generate_ecdsa_p256().unwrap();
        let other_key = PublicKey::from_pem(&other.public_key_der().unwrap().to_pem()).unwrap();
        assert!(!other_key.verify(b"message", signature.as_bytes()));
        assert_ne!(key, other_key);
    }
}
