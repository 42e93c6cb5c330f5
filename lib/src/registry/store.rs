//! Where a registry's files live. [`DirStore`] is a local folder; any static file host (a
//! bucket behind a CDN) serves the same layout read-only.

use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Why a store operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No such file.
    #[error("{path}: not found")]
    NotFound {
        /// The file.
        path: String,
    },
    /// The storage failed.
    #[error("{path}: {why}")]
    Io {
        /// The file.
        path: String,
        /// What failed.
        why: String,
    },
    /// A file over the size limit; reading stopped there.
    #[error("{path}: larger than {limit} bytes")]
    TooLarge {
        /// The file.
        path: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// A path that is not relative, clean and inside the registry.
    #[error("{0:?} is not a relative path inside the registry")]
    BadPath(String),
}

impl StoreError {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::NotFound { .. } => "store-not-found",
            StoreError::Io { .. } => "io",
            StoreError::TooLarge { .. } => "store-too-large",
            StoreError::BadPath(..) => "store-bad-path",
        }
    }
}

/// A registry's files.
pub trait Store: Send + Sync {
    /// Reads `path`, refusing more than `limit` bytes (stops reading there).
    fn read(&self, path: &str, limit: u64) -> Result<Vec<u8>, StoreError>;
    /// Writes `path` so that readers see the old or the new bytes, never a mix.
    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), StoreError>;
    /// Takes the publish lock, or says who has it; released when the guard drops.
    fn lock(&self) -> Result<Option<Box<dyn Send>>, StoreError>;
}

/// A registry in a local folder.
#[derive(Debug, Clone)]
pub struct DirStore {
    root: PathBuf,
}

impl DirStore {
    /// A registry rooted at `root` (which need not exist yet).
    pub fn new(root: impl Into<PathBuf>) -> DirStore {
        DirStore { root: root.into() }
    }

    fn resolve(&self, path: &str) -> Result<PathBuf, StoreError> {
        let relative = Path::new(path);
        if path.is_empty()
            || relative
                .components()
                .any(|c| !matches!(c, Component::Normal(_)))
        {
            return Err(StoreError::BadPath(path.into()));
        }
        Ok(self.root.join(relative))
    }
}

struct LockGuard(PathBuf);

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

impl Store for DirStore {
    fn read(&self, path: &str, limit: u64) -> Result<Vec<u8>, StoreError> {
        let full = self.resolve(path)?;
        let io = |e: std::io::Error| StoreError::Io {
            path: path.into(),
            why: e.to_string(),
        };
        let file = match fs::File::open(&full) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NotFound { path: path.into() });
            }
            Err(e) => return Err(io(e)),
        };
        let mut bytes = Vec::new();
        file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
        if bytes.len() as u64 > limit {
            return Err(StoreError::TooLarge {
                path: path.into(),
                limit,
            });
        }
        Ok(bytes)
    }

    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let full = self.resolve(path)?;
        let io = |e: std::io::Error| StoreError::Io {
            path: path.into(),
            why: e.to_string(),
        };
        let parent = full.parent().expect("a resolved path has a parent");
        fs::create_dir_all(parent).map_err(io)?;
        let staged = crate::fsutil::stage(parent, bytes, 0o644).map_err(io)?;
        staged.persist(&full).map_err(|e| io(e.error))?;
        Ok(())
    }

    fn lock(&self) -> Result<Option<Box<dyn Send>>, StoreError> {
        fs::create_dir_all(&self.root).map_err(|e| StoreError::Io {
            path: self.root.display().to_string(),
            why: e.to_string(),
        })?;
        let path = self.root.join(".publish.lock");
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(_) => Ok(Some(Box::new(LockGuard(path)))),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(None),
            Err(e) => Err(StoreError::Io {
                path: path.display().to_string(),
                why: e.to_string(),
            }),
        }
    }
}
