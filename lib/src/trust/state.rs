//! What this machine remembers about trust roots: the last version of each that it accepted.
//!
//! Rollback and rotation checks compare a trust root with that copy. The state folder is the
//! platform's state directory (`~/.local/state/skillsig` on Linux), or `SKILLSIG_STATE_DIR`.

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use super::{TrustError, TrustRoot, TrustRootFile};

/// Environment variable that overrides the state folder.
pub const STATE_DIR_ENV: &str = "SKILLSIG_STATE_DIR";

/// The state folder.
#[derive(Debug, Clone)]
pub struct TrustState {
    dir: PathBuf,
}

/// Why the state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The state folder cannot be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A remembered trust root that no longer parses.
    #[error("{}: the remembered trust root is damaged ({source}); remove the file if you trust the current root", path.display())]
    Damaged {
        /// The file.
        path: PathBuf,
        /// Why it does not parse.
        source: TrustError,
    },
    /// No state folder can be found.
    #[error("no state folder: set {STATE_DIR_ENV}")]
    NoDir,
}

/// Why [`TrustState::load_root`] failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The trust root is refused.
    #[error(transparent)]
    Trust(#[from] TrustError),
    /// The remembered state cannot be used.
    #[error(transparent)]
    State(#[from] StateError),
}

impl TrustState {
    /// The state at `dir`.
    pub fn at(dir: impl Into<PathBuf>) -> TrustState {
        TrustState { dir: dir.into() }
    }

    /// The default state folder: `SKILLSIG_STATE_DIR`, else the platform's.
    pub fn default_location() -> Result<TrustState, StateError> {
        if let Some(dir) = std::env::var_os(STATE_DIR_ENV).filter(|d| !d.is_empty()) {
            return Ok(TrustState::at(dir));
        }
        let dirs = directories::ProjectDirs::from("", "", "skillsig").ok_or(StateError::NoDir)?;
        let dir = dirs.state_dir().unwrap_or_else(|| dirs.data_local_dir());
        Ok(TrustState::at(dir))
    }

    /// The folder (registries keep their remembered versions below it too).
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    fn path_for(&self, name: &str) -> PathBuf {
        // Names are slugs (checked when a root loads), so they are safe file names.
        self.dir.join("trust-roots").join(format!("{name}.json"))
    }

    /// The last accepted version of the trust root called `name`, if any.
    pub fn previous(&self, name: &str) -> Result<Option<TrustRootFile>, StateError> {
        let path = self.path_for(name);
        match fs::read(&path) {
            Ok(bytes) => TrustRootFile::from_json(&bytes)
                .map(Some)
                .map_err(|source| StateError::Damaged { path, source }),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StateError::Io { path, source }),
        }
    }

    /// Remembers `root` if it is newer than what is remembered (atomically).
    pub fn record(&self, root: &TrustRoot) -> Result<(), StateError> {
        if let Some(previous) = self.previous(root.name())?
            && previous.signed.version >= root.version()
        {
            return Ok(());
        }
        let path = self.path_for(root.name());
        let io = |source| StateError::Io {
            path: path.clone(),
            source,
        };
        let parent = path.parent().expect("a file in a folder");
        fs::create_dir_all(parent).map_err(io)?;
        let mut tmp = tempfile::NamedTempFile::new_in(parent).map_err(io)?;
        tmp.write_all(root.file().to_json().as_bytes())
            .map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        tmp.persist(&path).map_err(|e| io(e.error))?;
        Ok(())
    }

    /// Loads and checks a trust root against what this machine remembers, then remembers it.
    pub fn load_root(&self, bytes: &[u8], now: jiff::Timestamp) -> Result<TrustRoot, LoadError> {
        let name = TrustRootFile::from_json(bytes)?.signed.name;
        let previous = if crate::skill::frontmatter::is_spec_name(&name) {
            self.previous(&name)?
        } else {
            None
        };
        let root = TrustRoot::load(bytes, now, previous.as_ref())?;
        self.record(&root)?;
        Ok(root)
    }
}
