//! `skillsig.lock`: what was installed from a registry, so that `install --locked` refuses any
//! drift (another version, other files, another signer) on the next machine or the next run.
//! It lives in the destination folder, beside the installed Skills.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The lock file's name.
pub const LOCK_FILE: &str = "skillsig.lock";

/// Every Skill installed from a registry into one folder, by `namespace/name`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockFile {
    /// The lock format's version.
    pub lock_version: u32,
    /// `namespace/name` → what was installed.
    pub skills: BTreeMap<String, LockedSkill>,
}

/// One locked Skill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedSkill {
    /// The installed version.
    pub version: semver::Version,
    /// `sha256:<hex>`.
    pub tree_digest: String,
    /// The trust-root publisher that signed.
    pub publisher: String,
    /// The key id, or the certificate identity.
    pub signer: String,
    /// The registry it came from.
    pub registry: String,
}

/// Why the lock file refuses an install.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    /// The lock file cannot be read or written.
    #[error("{path}: {why}")]
    File {
        /// The lock file.
        path: String,
        /// What failed.
        why: String,
    },
    /// `--locked` and the Skill is not in the lock.
    #[error("{0} is not in skillsig.lock; install it once without --locked")]
    NotLocked(String),
    /// The registry now gives something other than the lock records.
    #[error("{skill}: the lock says {field} {locked}, the registry now gives {found}")]
    Drift {
        /// The Skill.
        skill: String,
        /// Which field differs.
        field: &'static str,
        /// What the lock says.
        locked: String,
        /// What the registry gives.
        found: String,
    },
}

impl LockError {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            LockError::File { .. } => "lock-file-invalid",
            LockError::NotLocked(..) => "lock-not-locked",
            LockError::Drift { .. } => "lock-drift",
        }
    }
}

impl LockFile {
    /// Reads `dir/skillsig.lock`; an absent file is an empty lock.
    pub fn load(dir: &Path) -> Result<LockFile, LockError> {
        let path = dir.join(LOCK_FILE);
        let bad = |why: String| LockError::File {
            path: path.display().to_string(),
            why,
        };
        match crate::fsutil::read_limited(&path, 16 * 1024 * 1024) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string())),
            Err(crate::fsutil::ReadLimitedError::Io(e))
                if e.kind() == std::io::ErrorKind::NotFound =>
            {
                Ok(LockFile {
                    lock_version: 1,
                    skills: BTreeMap::new(),
                })
            }
            Err(e) => Err(bad(e.to_string())),
        }
    }

    /// Writes `dir/skillsig.lock` atomically, sorted.
    pub fn save(&self, dir: &Path) -> Result<(), LockError> {
        let path = dir.join(LOCK_FILE);
        let bad = |e: std::io::Error| LockError::File {
            path: path.display().to_string(),
            why: e.to_string(),
        };
        let mut bytes = serde_json::to_vec_pretty(self).expect("a lock serializes");
        bytes.push(b'\n');
        std::fs::create_dir_all(dir).map_err(bad)?;
        let staged = crate::fsutil::stage(dir, &bytes, 0o644).map_err(bad)?;
        staged.persist(&path).map_err(|e| bad(e.error))?;
        Ok(())
    }

    /// The locked entry of `id`, or why there is none.
    pub fn locked(&self, id: &str) -> Result<&LockedSkill, LockError> {
        self.skills
            .get(id)
            .ok_or_else(|| LockError::NotLocked(id.into()))
    }

    /// Refuses `found` unless it is exactly what the lock recorded for `id`.
    pub fn check(&self, id: &str, found: &LockedSkill) -> Result<(), LockError> {
        let locked = self.locked(id)?;
        let fields = [
            (
                "version",
                locked.version.to_string(),
                found.version.to_string(),
            ),
            (
                "tree digest",
                locked.tree_digest.clone(),
                found.tree_digest.clone(),
            ),
            (
                "publisher",
                locked.publisher.clone(),
                found.publisher.clone(),
            ),
            ("signer", locked.signer.clone(), found.signer.clone()),
        ];
        for (field, locked, found) in fields {
            if locked != found {
                return Err(LockError::Drift {
                    skill: id.into(),
                    field,
                    locked,
                    found,
                });
            }
        }
        Ok(())
    }
}
