//! `.skill` bundles: reproducible gzip'd ustar archives of a Skill, and their strict reader.
//!
//! - [`load_dir`] reads a Skill folder into a [`FileTree`], refusing links, special files, bad
//!   names and likely secrets.
//! - [`encode`] turns a tree into bundle bytes that depend only on paths, contents and exec bits.
//! - [`read`] turns bundle bytes back into a tree, entirely in memory and never through a
//!   filesystem, refusing every construct in the archive-safety checklist with an error that
//!   names the entry. Nothing is ever skipped silently.

mod gzip;
mod secrets;
mod source;
mod tar;

use std::io::Read;

pub use gzip::{GzipError, HEADER as GZIP_HEADER};
pub use secrets::SecretKind;
pub(crate) use source::is_executable;
pub use source::{
    IGNORE_FILE, OUTPUT_DIR, Problem, ProblemKind, SourceError, SourceOptions, load_dir,
    load_dir_as_is,
};
pub use tar::{MTIME, PathDoesNotFit};

use crate::limits::Limits;
use crate::tree::{FileTree, PathError, Sha256Digest, TreeError, sha256};

/// File extension of a bundle.
pub const EXTENSION: &str = "skill";

// Here rather than in `skill`, which sits below this module and does not know bundles.
impl crate::skill::SkillId {
    /// The file name `pack` writes: `<namespace>-<name>-<version>.skill`.
    pub fn bundle_file_name(&self) -> String {
        format!(
            "{}-{}-{}.{EXTENSION}",
            self.namespace, self.name, self.version
        )
    }
}

/// The bytes of a `.skill` file.
pub fn encode(tree: &FileTree) -> Result<Vec<u8>, PathDoesNotFit> {
    Ok(gzip::encode(&tar::write(tree)?))
}

/// A bundle read and checked against the archive rules. Its files have *not* been checked
/// against any manifest or signature yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// The files inside.
    pub tree: FileTree,
    /// SHA-256 of the `.skill` bytes (a transport checksum, not an identity).
    pub sha256: Sha256Digest,
    /// Size of the `.skill` bytes.
    pub size: u64,
}

/// Why a bundle was refused. Errors about one entry name it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The archive is larger than the reader's limit.
    #[error("the bundle is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The archive cannot be read from its source.
    #[error("cannot read the bundle: {0}")]
    Io(String),
    /// The gzip layer is malformed or too large.
    #[error("gzip: {0}")]
    Gzip(#[from] GzipError),
    /// A tar header's checksum is wrong.
    #[error("{entry}: the header checksum is wrong")]
    BadChecksum {
        /// The entry's name as far as it can be read.
        entry: String,
    },
    /// A header that is not POSIX ustar.
    #[error("{entry}: not a POSIX ustar header")]
    NotUstar {
        /// The entry's name as far as it can be read.
        entry: String,
    },
    /// A numeric header field is not octal.
    #[error("{entry}: the {field} field is not a valid octal number")]
    BadNumber {
        /// The entry's name.
        entry: String,
        /// The field.
        field: &'static str,
    },
    /// An entry's path breaks a path rule.
    #[error("{entry}: {source}")]
    Path {
        /// The entry's name.
        entry: String,
        /// The rule broken.
        source: PathError,
    },
    /// The files break a tree rule (duplicates, counts, sizes).
    #[error("{0}")]
    Tree(#[from] TreeError),
    /// A folder entry with data.
    #[error("{entry}: a folder entry carries data")]
    DirectoryWithData {
        /// The entry's name.
        entry: String,
    },
    /// A PAX extended header skillsig refuses.
    #[error("{entry}: {reason}")]
    Pax {
        /// The entry's name.
        entry: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An entry that is not a regular file or folder.
    #[error("{entry}: is {kind}; bundles hold regular files only")]
    UnsupportedEntry {
        /// The entry's name.
        entry: String,
        /// What it is (symlink, device, …).
        kind: String,
    },
    /// The archive ends inside an entry.
    #[error("{entry}: the archive ends in the middle of this entry")]
    Truncated {
        /// The entry's name.
        entry: String,
    },
    /// No end-of-archive marker.
    #[error("the archive has no end-of-archive marker")]
    NoEndMarker,
    /// Bytes after the end-of-archive marker.
    #[error("data follows the end-of-archive marker")]
    DataAfterEnd,
    /// More archive headers than allowed.
    #[error("more than {limit} archive headers")]
    TooManyEntries {
        /// The limit.
        limit: usize,
    },
    /// `SKILL.md` is missing or unreadable.
    #[error("{0}")]
    SkillMd(#[from] crate::skill::SkillMdError),
}

impl ReadError {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            ReadError::TooLarge { .. } => "bundle-too-large",
            ReadError::Io(..) => "io",
            ReadError::Gzip(e) => e.code(),
            ReadError::BadChecksum { .. } => "bundle-bad-checksum",
            ReadError::NotUstar { .. } => "bundle-not-ustar",
            ReadError::BadNumber { .. } => "bundle-bad-number",
            ReadError::Path { source, .. } => source.code(),
            ReadError::Tree(e) => e.code(),
            ReadError::DirectoryWithData { .. } => "bundle-directory-with-data",
            ReadError::Pax { .. } => "bundle-pax",
            ReadError::UnsupportedEntry { .. } => "bundle-unsupported-entry",
            ReadError::Truncated { .. } => "bundle-truncated",
            ReadError::NoEndMarker => "bundle-no-end-marker",
            ReadError::DataAfterEnd => "bundle-data-after-end",
            ReadError::TooManyEntries { .. } => "bundle-too-many-entries",
            ReadError::SkillMd(e) => e.code(),
        }
    }
}

/// Reads a bundle from `reader`, refusing it as soon as it passes `limits.max_bundle_bytes`.
pub fn read(reader: impl Read, limits: &Limits) -> Result<Bundle, ReadError> {
    let mut bytes = Vec::new();
    reader
        .take(limits.max_bundle_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|err| ReadError::Io(err.to_string()))?;
    read_bytes(&bytes, limits)
}

/// Reads a bundle held in memory.
pub fn read_bytes(bytes: &[u8], limits: &Limits) -> Result<Bundle, ReadError> {
    if bytes.len() as u64 > limits.max_bundle_bytes {
        return Err(ReadError::TooLarge {
            limit: limits.max_bundle_bytes,
        });
    }
    let mut source = GzipSource::new(gzip::Decoder::new(bytes)?);
    let tree = match tar::read(&mut source, limits) {
        Ok(tree) => tree,
        Err(err) => return Err(damage_or(source, err, limits)),
    };
    crate::skill::find_skill_md(&tree, limits)?;
    Ok(Bundle {
        tree,
        sha256: sha256(bytes),
        size: bytes.len() as u64,
    })
}

/// A damaged file often inflates to garbage that the tar layer trips over before the gzip
/// trailer is reached. Reading on (bounded by the size limit) lets the error name the cause.
fn damage_or(mut source: GzipSource, err: ReadError, limits: &Limits) -> ReadError {
    if matches!(err, ReadError::Gzip(_)) {
        return err;
    }
    let mut budget = limits.max_total_bytes;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match source.decoder.read_some(&mut buf) {
            Ok(0) => return err,
            Ok(n) if (n as u64) < budget => budget -= n as u64,
            Ok(_) => return err,
            Err(damage) => return ReadError::Gzip(damage),
        }
    }
}

/// Buffers inflated bytes: the tar reader asks for 512-byte headers, and one inflate call per
/// header costs far more than a copy.
struct GzipSource<'a> {
    decoder: gzip::Decoder<'a>,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
}

impl<'a> GzipSource<'a> {
    const BUFFER: usize = 64 * 1024;

    fn new(decoder: gzip::Decoder<'a>) -> GzipSource<'a> {
        GzipSource {
            decoder,
            buf: vec![0; Self::BUFFER],
            pos: 0,
            len: 0,
        }
    }
}

impl tar::Source for GzipSource<'_> {
    fn read_some(&mut self, out: &mut [u8]) -> Result<usize, ReadError> {
        if self.pos == self.len {
            if out.len() >= Self::BUFFER {
                return Ok(self.decoder.read_some(out)?);
            }
            self.len = self.decoder.read_some(&mut self.buf)?;
            self.pos = 0;
        }
        let n = out.len().min(self.len - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
