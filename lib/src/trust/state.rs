//! What this machine remembers about trust roots: the last version it accepted at each place,
//! and for each set of root keys.
//!
//! A new trust root must be a valid update (no rollback, no other document under the same
//! version, signed by the previous root keys, no change of name without that signature) of
//! every copy it is found by:
//!
//! - its *location*: the trust root file's absolute path as given, and the canonical path it
//!   resolves to (so a symlink swapped in at the known place, or another spelling of the same
//!   file, still finds what was there). Whatever the file there now says, whichever `name`, it
//!   is checked against the root this machine last accepted there;
//! - its *root keys* ([`super::RootRole::keys_digest`]), and the root keys of the root last
//!   accepted at its location: a root those keys signed is found wherever it is copied to.
//!
//! Once accepted, the root is remembered under every one of those keys. The state folder is the
//! platform's state directory (`~/.local/state/skillsig` on Linux), or `SKILLSIG_STATE_DIR`.
//! Files there from before roots were remembered by location (`trust-roots/<name>.json`) are
//! read, as a previous version, only for a location with nothing remembered yet.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{TrustError, TrustRoot, TrustRootFile};

/// Environment variable that overrides the state folder.
pub const STATE_DIR_ENV: &str = "SKILLSIG_STATE_DIR";

/// Folder of the state folder that holds remembered trust roots.
const TRUST_ROOTS_DIR: &str = "trust-roots";

/// The state folder.
#[derive(Debug, Clone)]
pub struct TrustState {
    dir: PathBuf,
}

/// Why the state could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
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
    /// The trust root file's location cannot be resolved, so what was accepted there cannot
    /// be found.
    #[error("{}: cannot resolve the trust root's location ({source}); check the path", path.display())]
    Location {
        /// The path given.
        path: PathBuf,
        /// Why it cannot be resolved.
        source: std::io::Error,
    },
    /// No state folder can be found.
    #[error("no state folder: set {STATE_DIR_ENV}")]
    NoDir,
}

impl StateError {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            StateError::Io { .. } => "trust-state-io",
            StateError::Damaged { .. } => "trust-state-damaged",
            StateError::Location { .. } => "trust-state-location",
            StateError::NoDir => "trust-state-no-dir",
        }
    }
}

/// Why [`TrustState::load_root`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The trust root is refused.
    #[error(transparent)]
    Trust(#[from] TrustError),
    /// The remembered state cannot be used.
    #[error(transparent)]
    State(#[from] StateError),
}

impl LoadError {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            LoadError::Trust(e) => e.code(),
            LoadError::State(e) => e.code(),
        }
    }
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
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The files a root at `location` is remembered in: one per spelling of the location (as
    /// given, made absolute; and canonical).
    fn location_slots(&self, location: &Path) -> Result<BTreeSet<PathBuf>, StateError> {
        let resolve = |source| StateError::Location {
            path: location.to_owned(),
            source,
        };
        let absolute = std::path::absolute(location).map_err(resolve)?;
        let canonical = fs::canonicalize(location).map_err(resolve)?;
        Ok([absolute, canonical]
            .iter()
            .map(|path| {
                let digest = hex::encode(crate::tree::sha256(path.as_os_str().as_encoded_bytes()));
                self.slot("by-location", &digest)
            })
            .collect())
    }

    fn slot(&self, kind: &str, digest: &str) -> PathBuf {
        self.dir
            .join(TRUST_ROOTS_DIR)
            .join(kind)
            .join(format!("{digest}.json"))
    }

    fn root_keys_slot(&self, file: &TrustRootFile) -> Option<PathBuf> {
        let role = file.signed.root.as_ref()?;
        Some(self.slot("by-root-keys", &role.keys_digest()))
    }

    /// Where a version of `name` was remembered before roots were remembered by location.
    fn legacy_slot(&self, name: &str) -> Option<PathBuf> {
        // Names are slugs (checked when a root loads), so they are safe file names.
        crate::skill::frontmatter::is_spec_name(name)
            .then(|| self.dir.join(TRUST_ROOTS_DIR).join(format!("{name}.json")))
    }

    fn read(path: &Path) -> Result<Option<TrustRootFile>, StateError> {
        match fs::read(path) {
            Ok(bytes) => TrustRootFile::from_json(&bytes)
                .map(Some)
                .map_err(|source| StateError::Damaged {
                    path: path.to_owned(),
                    source,
                }),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StateError::Io {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// The last trust root accepted from the file at `location` (by any of its spellings:
    /// the newest), if any.
    pub fn remembered_at(&self, location: &Path) -> Result<Option<TrustRootFile>, StateError> {
        let mut newest: Option<TrustRootFile> = None;
        for slot in self.location_slots(location)? {
            if let Some(file) = Self::read(&slot)?
                && newest
                    .as_ref()
                    .is_none_or(|n| n.signed.version < file.signed.version)
            {
                newest = Some(file);
            }
        }
        Ok(newest)
    }

    /// Writes `root` into `slot` unless the slot already holds this version or a newer one
    /// (atomically: a crash leaves the old copy or the new one).
    fn remember(slot: &Path, root: &TrustRoot) -> Result<(), StateError> {
        if Self::read(slot)?.is_some_and(|p| p.signed.version >= root.version()) {
            return Ok(());
        }
        let io = |source| StateError::Io {
            path: slot.to_owned(),
            source,
        };
        let parent = slot.parent().expect("a file in a folder");
        fs::create_dir_all(parent).map_err(io)?;
        let mut tmp = tempfile::NamedTempFile::new_in(parent).map_err(io)?;
        tmp.write_all(root.file().to_json().as_bytes())
            .map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        tmp.persist(slot).map_err(|e| io(e.error))?;
        Ok(())
    }

    /// Loads and checks the trust root read from `location` (its `bytes`) against every copy
    /// this machine remembers for that place or those root keys, then remembers it under
    /// each. Nothing is written when it is refused.
    pub fn load_root(
        &self,
        location: &Path,
        bytes: &[u8],
        now: jiff::Timestamp,
    ) -> Result<TrustRoot, LoadError> {
        let file = TrustRootFile::from_json(bytes)?;
        let mut slots = self.location_slots(location)?;
        let mut previous = Vec::new();
        for slot in &slots {
            previous.extend(Self::read(slot)?);
        }
        if previous.is_empty()
            && let Some(legacy) = self.legacy_slot(&file.signed.name)
        {
            previous.extend(Self::read(&legacy)?);
        }
        // The root keys of this root, and of what was accepted at its place: a version those
        // keys signed elsewhere counts too.
        let key_slots: BTreeSet<PathBuf> = std::iter::once(&file)
            .chain(&previous)
            .filter_map(|f| self.root_keys_slot(f))
            .collect();
        for slot in &key_slots {
            previous.extend(Self::read(slot)?);
        }
        slots.extend(key_slots);
        let previous: Vec<&TrustRootFile> = previous.iter().collect();
        let root = TrustRoot::load_against(bytes, now, &previous)?;
        for slot in &slots {
            Self::remember(slot, &root)?;
        }
        Ok(root)
    }
}
