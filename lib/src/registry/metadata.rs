//! The registry's metadata: index entries, bins, the snapshot and the timestamp, and the
//! threshold signatures of the trust root's `registry` role over them.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::RegistryError;
use crate::permissions::Permissions;
use crate::signing::keys::{KeyId, PublicKey, SecretKey};
use crate::trust::{RootRole, RootSignature};

/// `_type` of a snapshot.
pub const SNAPSHOT_TYPE: &str = "skillsig/registry-snapshot/v1";
/// `_type` of a timestamp.
pub const TIMESTAMP_TYPE: &str = "skillsig/registry-timestamp/v1";

/// Where a file is, and what it must hash to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileMeta {
    /// Path relative to the registry root.
    pub path: String,
    /// Hex sha256 of the file.
    pub sha256: String,
    /// Exact length in bytes; clients never read past it.
    pub length: u64,
}

impl FileMeta {
    /// The metadata of `bytes` stored at `path`.
    pub fn of(path: String, bytes: &[u8]) -> FileMeta {
        FileMeta {
            path,
            sha256: hex::encode(crate::tree::sha256(bytes)),
            length: bytes.len() as u64,
        }
    }

    /// Checks the path is relative and inside the registry, and the hash is lowercase hex.
    pub fn validate(&self) -> Result<(), String> {
        let safe = !self.path.is_empty()
            && self.path.split('/').all(|c| {
                !c.is_empty()
                    && c != "."
                    && c != ".."
                    && c.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._@+-".contains(&b))
            });
        if !safe {
            return Err(format!(
                "{:?} is not a relative path inside the registry",
                self.path
            ));
        }
        if self.sha256.len() != 64
            || !self
                .sha256
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(format!(
                "{}: sha256 is not 64 lowercase hex digits",
                self.path
            ));
        }
        Ok(())
    }

    /// Whether `bytes` are the file this describes.
    pub fn matches(&self, bytes: &[u8]) -> bool {
        bytes.len() as u64 == self.length && hex::encode(crate::tree::sha256(bytes)) == self.sha256
    }
}

/// Who signed a published version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signer {
    /// The trust-root publisher.
    pub publisher: String,
    /// The key id, for key signatures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The certificate identity, for keyless signatures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// The certificate's OIDC issuer, for keyless signatures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
}

/// One published version: a line of `index/<ns>/<name>/….jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexEntry {
    /// The Skill's semver version.
    pub version: semver::Version,
    /// The `.skill` file.
    pub bundle: FileMeta,
    /// The signature file.
    pub signature: FileMeta,
    /// `sha256:<hex>` of the file tree.
    pub tree_digest: String,
    /// `sha256:<hex>` of the manifest bytes.
    pub manifest_digest: String,
    /// Who signed it.
    pub signer: Signer,
    /// The permissions its manifest declares.
    pub permissions: Permissions,
    /// The registry's scan at publish time.
    pub scan: crate::scan::ScanSummary,
    /// Why the version was yanked, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yanked: Option<String>,
    /// When it was published.
    pub published: Timestamp,
}

fn is_slug(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl IndexEntry {
    /// What the schema says beyond types: paths, digests, a signer that is a key or an identity.
    pub fn validate(&self) -> Result<(), String> {
        self.bundle.validate()?;
        self.signature.validate()?;
        for digest in [&self.tree_digest, &self.manifest_digest] {
            let hex = digest.strip_prefix("sha256:").unwrap_or("");
            if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                return Err(format!("{digest:?} is not sha256:<64 hex digits>"));
            }
        }
        let signer = &self.signer;
        let key = signer.key_id.is_some() && signer.identity.is_none() && signer.issuer.is_none();
        let identity =
            signer.key_id.is_none() && signer.identity.is_some() && signer.issuer.is_some();
        if signer.publisher.is_empty() || !(key || identity) {
            return Err(
                "the signer must be a publisher with a key id, or an identity and issuer".into(),
            );
        }
        if !matches!(self.scan.verdict.as_str(), "pass" | "block") {
            return Err(format!(
                "scan verdict {:?} is not pass or block",
                self.scan.verdict
            ));
        }
        Ok(())
    }
}

/// The index files of one bin, by Skill id (`ns/name`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bin {
    /// Skill id (`namespace/name`) → its index file.
    pub index: BTreeMap<String, FileMeta>,
}

impl Bin {
    /// Ids are `namespace/name` slugs; every file meta is valid.
    pub fn validate(&self) -> Result<(), String> {
        for (id, meta) in &self.index {
            let ok = id
                .split_once('/')
                .is_some_and(|(ns, name)| is_slug(ns) && is_slug(name));
            if !ok {
                return Err(format!("{id:?} is not namespace/name"));
            }
            meta.validate()?;
        }
        Ok(())
    }
}

/// Every bin's file, under a version that only grows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// Always `skillsig/registry-snapshot/v1`.
    #[serde(rename = "_type")]
    pub snapshot_type: String,
    /// Grows with every publish or yank; clients refuse to go back.
    pub version: u64,
    /// Bin name (two hex digits) → the bin's file.
    pub bins: BTreeMap<String, FileMeta>,
}

impl Snapshot {
    /// The type, bin names (two lowercase hex digits) and file metas.
    pub fn validate(&self) -> Result<(), String> {
        if self.snapshot_type != SNAPSHOT_TYPE {
            return Err(format!("_type {:?}", self.snapshot_type));
        }
        for (bin, meta) in &self.bins {
            if bin.len() != 2 || !bin.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                return Err(format!("bin {bin:?} is not two lowercase hex digits"));
            }
            meta.validate()?;
        }
        Ok(())
    }
}

impl TimestampBody {
    /// The type and the snapshot's file meta.
    pub fn validate(&self) -> Result<(), String> {
        if self.timestamp_type != TIMESTAMP_TYPE {
            return Err(format!("_type {:?}", self.timestamp_type));
        }
        self.snapshot.validate()
    }
}

/// The snapshot's file, under a short expiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimestampBody {
    /// Always `skillsig/registry-timestamp/v1`.
    #[serde(rename = "_type")]
    pub timestamp_type: String,
    /// Grows with every new timestamp.
    pub version: u64,
    /// After this instant clients refuse it (defeats freeze attacks).
    pub expires: Timestamp,
    /// The snapshot file this timestamp vouches for.
    pub snapshot: FileMeta,
    /// The snapshot's version, so a client can refuse an older one before fetching it.
    pub snapshot_version: u64,
}

/// Metadata with the registry keys' signatures over the RFC 8785 JSON of `signed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedMetadata<T> {
    /// The signed metadata.
    pub signed: T,
    /// Registry-key signatures.
    pub signatures: Vec<RootSignature>,
}

impl<T: Serialize + DeserializeOwned> SignedMetadata<T> {
    /// Signs `signed` with every key in `keys`.
    pub fn sign(signed: T, keys: &[&SecretKey]) -> SignedMetadata<T> {
        let mut metadata = SignedMetadata {
            signed,
            signatures: Vec::new(),
        };
        let message = metadata.signed_bytes();
        for key in keys {
            metadata.signatures.push(RootSignature {
                keyid: key.public().id().clone(),
                sig: STANDARD.encode(key.sign(&message)),
            });
        }
        metadata
    }

    fn signed_bytes(&self) -> Vec<u8> {
        serde_json_canonicalizer::to_vec(&self.signed).expect("metadata serializes")
    }

    /// The JSON text as stored.
    pub fn to_json(&self) -> Vec<u8> {
        let mut text = serde_json::to_vec_pretty(self).expect("metadata serializes");
        text.push(b'\n');
        text
    }

    /// Parses and checks that `role`'s threshold of distinct keys signed.
    pub fn verify(bytes: &[u8], role: &RootRole, what: &str) -> Result<T, RegistryError> {
        let metadata: SignedMetadata<T> =
            serde_json::from_slice(bytes).map_err(|e| RegistryError::Malformed {
                what: what.into(),
                why: e.to_string(),
            })?;
        let message = metadata.signed_bytes();
        let mut valid: BTreeSet<&KeyId> = BTreeSet::new();
        for key in &role.keys {
            let Ok(public) = PublicKey::from_pem(&key.public_key) else {
                continue;
            };
            if public.id() != &key.keyid {
                continue;
            }
            if RootSignature::any_by(&metadata.signatures, &key.keyid, &public, &message) {
                valid.insert(&key.keyid);
            }
        }
        if valid.len() < role.threshold as usize {
            return Err(RegistryError::Signatures {
                what: what.into(),
                valid: valid.len(),
                threshold: role.threshold,
            });
        }
        Ok(metadata.signed)
    }
}

/// Parses an index file: one [`IndexEntry`] per line.
pub fn parse_index(bytes: &[u8], path: &str) -> Result<Vec<IndexEntry>, RegistryError> {
    let text = std::str::from_utf8(bytes).map_err(|_| RegistryError::Malformed {
        what: path.into(),
        why: "not UTF-8".into(),
    })?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, line)| {
            let malformed = |why: String| RegistryError::Malformed {
                what: format!("{path} line {}", i + 1),
                why,
            };
            let entry: IndexEntry =
                serde_json::from_str(line).map_err(|e| malformed(e.to_string()))?;
            entry.validate().map_err(malformed)?;
            Ok(entry)
        })
        .collect()
}

/// Writes an index file: entries sorted by version, one JSON object per line.
pub fn write_index(entries: &[IndexEntry]) -> Vec<u8> {
    let mut sorted: Vec<&IndexEntry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.version.cmp(&b.version));
    let mut out = Vec::new();
    for entry in sorted {
        out.extend(serde_json::to_vec(entry).expect("entries serialize"));
        out.push(b'\n');
    }
    out
}
