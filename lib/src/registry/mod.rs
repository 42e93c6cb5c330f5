//! A Skill registry as static files: a sparse index, content-addressed metadata, and a signed
//! snapshot and timestamp that let a client detect rollback, freeze, mix-and-match and endless
//! data from a compromised mirror (TUF's snapshot/timestamp design, reduced; see
//! `docs/registry.md`).
//!
//! Layout, every path relative to the registry root:
//!
//! | path | what | signed by |
//! |---|---|---|
//! | `timestamp.json` | version, short expiry, the snapshot's path, sha256 and length | registry keys (threshold) |
//! | `snapshot/<sha256>.json` | version, and every bin's path, sha256 and length | registry keys (threshold) |
//! | `bins/<xx>/<sha256>.json` | the index files of the Skills whose id hashes to bin `xx` | covered by the snapshot |
//! | `index/<ns>/<name>/<sha256>.jsonl` | one line per version ([`IndexEntry`]) | covered by its bin |
//! | `bundles/<ns>/<name>/<version>/<ns>-<name>-<version>.skill` (+ `.sigstore.json`) | the bundle and its signature | the publisher (verified on install) |
//!
//! Everything but `timestamp.json` is written under a new content-addressed name and never
//! changed, so a publish that stops half-way leaves the previous timestamp pointing at a
//! complete, consistent registry; `timestamp.json` is replaced last, atomically.

mod client;
mod http;
mod metadata;
mod object;
mod publish;
mod store;
mod upload;

pub use client::{Client, ClientState, Resolved};
pub use http::{HttpStore, open};
pub use metadata::{
    Bin, FileMeta, IndexEntry, ScanSummary, SignedMetadata, Signer, Snapshot, TimestampBody,
};
pub use object::ObjectStoreRegistry;
pub use publish::{Publisher, init, publish, yank};
pub use store::{DirStore, Store, StoreError};
pub use upload::{AcceptedUpload, UploadRejection, check_upload};

/// The one file replaced in place, last.
pub const TIMESTAMP_FILE_NAME: &str = "timestamp.json";
/// Number of hashed bins: 100,000 Skills make about 390 index files per bin (~60 KB), and the
/// snapshot lists 256 bins (~30 KB).
pub const BIN_COUNT: usize = 256;
/// How long a timestamp is valid: a client refuses one older than this (freeze attacks).
pub const TIMESTAMP_LIFETIME_SECS: i64 = 24 * 3600;
/// Largest `timestamp.json` read.
pub const MAX_TIMESTAMP_BYTES: u64 = 64 * 1024;

/// Why a registry operation failed. Each variant has a stable [`RegistryError::code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{what} is not valid metadata: {why}")]
    Malformed { what: String, why: String },
    #[error("the trust root names no registry keys (a `registry` role)")]
    NoRegistryRole,
    #[error("{what} has {valid} valid signature(s) from registry keys; it needs {threshold}")]
    Signatures {
        what: String,
        valid: usize,
        threshold: u32,
    },
    #[error("{what} expired at {expires}: the registry or a mirror is serving stale data")]
    Expired {
        what: String,
        expires: jiff::Timestamp,
    },
    #[error("{what} version {found} is older than version {seen}, already seen: a rollback")]
    Rollback { what: String, found: u64, seen: u64 },
    #[error("{path}: sha256 or length does not match the signed metadata")]
    Mismatch { path: String },
    #[error("{path}: larger than the {declared} bytes the metadata declares")]
    TooLarge { path: String, declared: u64 },
    #[error("no Skill {0} in this registry")]
    UnknownSkill(String),
    #[error("no version of {skill} matches {requirement} (yanked versions are skipped)")]
    NoMatchingVersion { skill: String, requirement: String },
    #[error("{0} is already published with other content; versions are immutable")]
    VersionExists(String),
    #[error("the upload is refused: {0}")]
    Refused(String),
    #[error("another publish holds the registry lock; try again")]
    Busy,
}

impl RegistryError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            RegistryError::Store(_) => "io",
            RegistryError::Malformed { .. } => "metadata-invalid",
            RegistryError::NoRegistryRole => "no-registry-role",
            RegistryError::Signatures { .. } => "metadata-signatures",
            RegistryError::Expired { .. } => "metadata-expired",
            RegistryError::Rollback { .. } => "metadata-rollback",
            RegistryError::Mismatch { .. } => "hash-mismatch",
            RegistryError::TooLarge { .. } => "endless-data",
            RegistryError::UnknownSkill(_) => "unknown-skill",
            RegistryError::NoMatchingVersion { .. } => "no-matching-version",
            RegistryError::VersionExists(_) => "version-exists",
            RegistryError::Refused(_) => "upload-refused",
            RegistryError::Busy => "busy",
        }
    }
}

/// The bin a Skill's index file belongs to: the first byte of sha256(`ns/name`), in hex.
pub fn bin_of(namespace: &str, name: &str) -> String {
    hex::encode(&crate::tree::sha256(format!("{namespace}/{name}").as_bytes())[..1])
}

/// `prefix/<sha256>.<extension>`: where content-addressed metadata lives.
fn content_path(prefix: &str, bytes: &[u8], extension: &str) -> String {
    format!(
        "{prefix}/{}.{extension}",
        hex::encode(crate::tree::sha256(bytes))
    )
}
