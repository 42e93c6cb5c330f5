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
//!
//! # Example: a registry in memory, one publish, one resolve
//!
//! ```
//! use skillsig::policy::Policy;
//! use skillsig::registry::{self, Client, ObjectStoreRegistry, Publisher};
//! use skillsig::signing::keys::SecretKey;
//! use skillsig::trust::{TrustRoot, TrustRootFile};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let now = jiff::Timestamp::now();
//! let (publisher_key, registry_key) = (SecretKey::generate()?, SecretKey::generate()?);
//! let mut root = TrustRootFile::new("demo", now + jiff::SignedDuration::from_hours(24));
//! root.add_publisher("example-inc", &["example".into()])?;
//! root.add_key("example-inc", publisher_key.public(), None, None)?;
//! root.add_registry_key(registry_key.public(), Some(1))?;
//! let root = TrustRoot::load(root.to_json().as_bytes(), now, None)?;
//!
//! // A signed bundle, as `skillsig pack` and `skillsig sign` make it.
//! let folder = std::path::Path::new("../testdata/skills/weather-report");
//! let packed = skillsig::pack::pack_dir(folder, &Default::default())?;
//! let manifest = packed.manifest.to_canonical_json();
//! let signature =
//!     skillsig::signing::sign_bundle(&packed.bundle, &manifest, &publisher_key, &Default::default())?;
//!
//! // The registry side: `s3://bucket/prefix` or a folder ([`DirStore`]) work the same way.
//! let store = ObjectStoreRegistry::from_url("memory:///")?;
//! let policy = Policy::default();
//! let publisher = Publisher { store: &store, root: &root, policy: &policy, keys: vec![&registry_key] };
//! registry::init(&publisher, now)?;
//! registry::publish(&publisher, &packed.bundle, signature.as_bytes(), now)?;
//!
//! // The client side checks timestamp, snapshot, bin, index and bundle before returning it.
//! let client = Client { store: &store, root: &root, state: None };
//! let resolved = client.resolve("example", "weather-report", &"^1".parse()?, false, now)?;
//! assert_eq!(resolved.entry.version, semver::Version::new(1, 0, 0));
//! assert_eq!(resolved.bundle, packed.bundle);
//! # Ok(())
//! # }
//! ```

mod client;
mod http;
mod metadata;
mod object;
mod publish;
mod store;
mod upload;

pub use client::{Client, ClientState, Resolved, check_index_identity, check_index_tree};
pub use http::{HttpStore, open};
pub use metadata::{
    Bin, FileMeta, IndexEntry, SignedMetadata, Signer, Snapshot, TimestampBody, parse_index,
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
#[non_exhaustive]
pub enum RegistryError {
    /// Reading from or writing to the storage failed.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// A metadata file is not of its schema.
    #[error("{what} is not valid metadata: {why}")]
    Malformed {
        /// Which file.
        what: String,
        /// What is wrong.
        why: String,
    },
    /// The trust root names no registry keys.
    #[error("the trust root names no registry keys (a `registry` role)")]
    NoRegistryRole,
    /// Too few valid registry-key signatures.
    #[error("{what} has {valid} valid signature(s) from registry keys; it needs {threshold}")]
    Signatures {
        /// Which metadata.
        what: String,
        /// Distinct registry keys whose signature verified.
        valid: usize,
        /// Signatures the role requires.
        threshold: u32,
    },
    /// Metadata past its expiry (a freeze attack, or a registry that stopped signing).
    #[error("{what} expired at {expires}: the registry or a mirror is serving stale data")]
    Expired {
        /// Which metadata.
        what: String,
        /// When it expired.
        expires: jiff::Timestamp,
    },
    /// Metadata older than this client has already seen.
    #[error("{what} version {found} is older than version {seen}, already seen: a rollback")]
    Rollback {
        /// Which metadata.
        what: String,
        /// The version offered.
        found: u64,
        /// The highest version seen before.
        seen: u64,
    },
    /// A file's sha256 or length differs from what the signed metadata says.
    #[error("{path}: sha256 or length does not match the signed metadata")]
    Mismatch {
        /// The file.
        path: String,
    },
    /// A file longer than the signed metadata declares; reading stopped there.
    #[error("{path}: larger than the {declared} bytes the metadata declares")]
    TooLarge {
        /// The file.
        path: String,
        /// The declared length.
        declared: u64,
    },
    /// The registry has no Skill of that id.
    #[error("no Skill {0} in this registry")]
    UnknownSkill(String),
    /// No version satisfies the requirement.
    #[error("no version of {skill} matches {requirement} (yanked versions are skipped)")]
    NoMatchingVersion {
        /// The Skill id.
        skill: String,
        /// The semver requirement.
        requirement: String,
    },
    /// The version is already published with other content.
    #[error("{0} is already published with other content; versions are immutable")]
    VersionExists(String),
    /// Publishing refused the upload (signature, namespace, manifest or scan).
    #[error("the upload is refused: {0}")]
    Refused(String),
    /// Another publisher holds the registry lock.
    #[error("another publish holds the registry lock; try again")]
    Busy,
    /// The index entry points at a validly signed bundle of another Skill or version: only a
    /// holder of the registry keys can do this, and the registry's index cannot be trusted.
    #[error(
        "the registry's index promised {promised}, but the bundle it points at is {found} (signed, but another Skill or version); refusing it: the registry's index is wrong or forged, tell its operator"
    )]
    IndexMismatch {
        /// `namespace/name@version` the request and the index entry name.
        promised: String,
        /// `namespace/name@version` of the verified manifest.
        found: String,
    },
    /// The verified bundle's files are not the tree the index entry (and so `skillsig.lock`)
    /// records.
    #[error("the registry's index says tree {promised}, the verified bundle has {found}")]
    TreeMismatch {
        /// `sha256:<hex>` from the index entry.
        promised: String,
        /// `sha256:<hex>` of the verified manifest.
        found: String,
    },
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
            RegistryError::IndexMismatch { .. } => "index-mismatch",
            RegistryError::TreeMismatch { .. } => "hash-mismatch",
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
