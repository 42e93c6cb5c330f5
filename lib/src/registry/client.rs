//! Reading a registry as a client: timestamp (signatures, expiry, never older than seen) →
//! snapshot (the timestamp's hash and length, signatures, never older than seen) → the one bin
//! → the one index file → the bundle and signature, each against the hash and length the level
//! above declares, never reading past that length. The bundle is then verified as any other
//! (`verify`, `install`): the registry only says which bytes to expect, and which Skill they
//! must be ([`Resolved::into_fetched`] makes [`crate::install::approve`] hold the verified
//! manifest to the index entry's namespace, name and version).

use std::path::PathBuf;

use jiff::Timestamp;
use semver::{Op, VersionReq};

use crate::install::fetch::Fetched;
use crate::skill::SkillId;
use crate::trust::RootRole;

use super::metadata::{IndexEntry, SignedMetadata, Snapshot, TimestampBody, parse_index};
use super::publish::{read_bin, read_verified};
use super::store::Store;
use super::{MAX_TIMESTAMP_BYTES, RegistryError, bin_of};
use crate::trust::TrustRoot;

/// What a client remembers per registry: the highest timestamp and snapshot versions it
/// accepted (rollback protection), in a folder (the state folder's `registries/by-keys/`).
///
/// A registry is known by its root of trust, the trust root's `registry` role (the digest of
/// its key ids, [`RootRole::keys_digest`]), not by its address: every spelling of a folder or
/// URL, and every mirror or copy, shares one memory, so an old timestamp is a rollback under
/// any of them. (Files from when memory was kept per address, `registries/<sha256>.json`, are
/// ignored.)
#[derive(Debug, Clone)]
pub struct ClientState {
    dir: PathBuf,
}

impl ClientState {
    /// State kept in `dir`: the highest snapshot and timestamp versions seen per registry.
    pub fn at(dir: impl Into<PathBuf>) -> ClientState {
        ClientState { dir: dir.into() }
    }

    fn path(&self, registry: &RootRole) -> PathBuf {
        self.dir
            .join("registries")
            .join("by-keys")
            .join(format!("{}.json", registry.keys_digest()))
    }

    fn io_error(path: &std::path::Path, e: std::io::Error) -> RegistryError {
        RegistryError::Store(super::StoreError::Io {
            path: path.display().to_string(),
            why: e.to_string(),
        })
    }

    /// The highest (timestamp, snapshot) versions seen; a damaged record is refused rather
    /// than read as "nothing seen", which would let any rollback through.
    fn seen(&self, registry: &RootRole) -> Result<(u64, u64), RegistryError> {
        let path = self.path(registry);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| RegistryError::Malformed {
                what: format!(
                    "{} (the versions this machine has seen; remove it if it is damaged)",
                    path.display()
                ),
                why: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((0, 0)),
            Err(e) => Err(Self::io_error(&path, e)),
        }
    }

    fn remember(&self, registry: &RootRole, versions: (u64, u64)) -> Result<(), RegistryError> {
        let path = self.path(registry);
        let io = |e: std::io::Error| Self::io_error(&path, e);
        std::fs::create_dir_all(path.parent().expect("has a parent")).map_err(io)?;
        let bytes = serde_json::to_vec(&versions).expect("serializes");
        let staged = crate::fsutil::stage(path.parent().expect("has a parent"), &bytes, 0o644)
            .map_err(io)?;
        staged.persist(&path).map_err(|e| io(e.error))?;
        Ok(())
    }
}

/// A client of one registry.
pub struct Client<'a> {
    /// Where the registry's files are.
    pub store: &'a dyn Store,
    /// The trust root that names the registry keys, which also key the remembered versions.
    pub root: &'a TrustRoot,
    /// Where seen versions are remembered; `None` keeps no memory (no rollback protection across runs).
    pub state: Option<ClientState>,
}

/// The version chosen, with its verified-by-hash bytes.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The Skill the index entry promises: the namespace and name asked for, at the entry's
    /// version. The bundle's signed manifest must name exactly this.
    pub skill: SkillId,
    /// The chosen version's index entry.
    pub entry: IndexEntry,
    /// The `.skill` bytes, checked against the entry's sha256 and length.
    pub bundle: Vec<u8>,
    /// The signature bytes, checked likewise.
    pub signature: Vec<u8>,
    /// Set when an explicitly pinned version is yanked: it installs, with this warning.
    pub warning: Option<String>,
}

impl Resolved {
    /// The bundle and signature to install, held to [`Resolved::skill`]: after verification,
    /// [`crate::install::approve`] refuses a manifest of any other Skill or version
    /// ([`RegistryError::IndexMismatch`]). `origin` says where it came from, for the receipt.
    pub fn into_fetched(self, origin: String) -> Fetched {
        Fetched {
            bundle: self.bundle,
            signature: Some(self.signature),
            origin,
            expected: Some(crate::install::fetch::Promised {
                skill: self.skill,
                tree_digest: self.entry.tree_digest,
            }),
        }
    }
}

/// Refuses a verified tree other than the one the index entry promised (`sha256:<hex>`).
pub fn check_index_tree(promised: &str, verified: &[u8; 32]) -> Result<(), RegistryError> {
    let found = format!("sha256:{}", hex::encode(verified));
    if promised == found {
        Ok(())
    } else {
        Err(RegistryError::TreeMismatch {
            promised: promised.to_owned(),
            found,
        })
    }
}

/// Refuses a verified manifest of another Skill or version than the index entry promised.
pub fn check_index_identity(promised: &SkillId, verified: &SkillId) -> Result<(), RegistryError> {
    if promised == verified {
        Ok(())
    } else {
        Err(RegistryError::IndexMismatch {
            promised: promised.to_string(),
            found: verified.to_string(),
        })
    }
}

impl Client<'_> {
    /// The current snapshot, after every check on the timestamp and the snapshot.
    pub fn snapshot(&self, now: Timestamp) -> Result<Snapshot, RegistryError> {
        let role = self
            .root
            .registry_role()
            .ok_or(RegistryError::NoRegistryRole)?;
        let bytes = self
            .store
            .read(super::TIMESTAMP_FILE_NAME, MAX_TIMESTAMP_BYTES)?;
        let timestamp: TimestampBody = SignedMetadata::verify(&bytes, role, "timestamp.json")?;
        timestamp
            .validate()
            .map_err(|why| RegistryError::Malformed {
                what: "timestamp.json".into(),
                why,
            })?;
        if timestamp.expires <= now {
            return Err(RegistryError::Expired {
                what: "timestamp.json".into(),
                expires: timestamp.expires,
            });
        }
        let (seen_timestamp, seen_snapshot) = match &self.state {
            Some(state) => state.seen(role)?,
            None => (0, 0),
        };
        if timestamp.version < seen_timestamp {
            return Err(RegistryError::Rollback {
                what: "timestamp.json".into(),
                found: timestamp.version,
                seen: seen_timestamp,
            });
        }
        if timestamp.snapshot_version < seen_snapshot {
            return Err(RegistryError::Rollback {
                what: "the snapshot".into(),
                found: timestamp.snapshot_version,
                seen: seen_snapshot,
            });
        }
        let snapshot_bytes = read_verified(self.store, &timestamp.snapshot)?;
        let snapshot: Snapshot = SignedMetadata::verify(&snapshot_bytes, role, "the snapshot")?;
        snapshot
            .validate()
            .map_err(|why| RegistryError::Malformed {
                what: "the snapshot".into(),
                why,
            })?;
        if snapshot.version != timestamp.snapshot_version {
            return Err(RegistryError::Mismatch {
                path: timestamp.snapshot.path,
            });
        }
        if let Some(state) = &self.state {
            state.remember(role, (timestamp.version, snapshot.version))?;
        }
        Ok(snapshot)
    }

    /// Every published version of `namespace/name`.
    pub fn entries(
        &self,
        namespace: &str,
        name: &str,
        now: Timestamp,
    ) -> Result<Vec<IndexEntry>, RegistryError> {
        let snapshot = self.snapshot(now)?;
        let id = format!("{namespace}/{name}");
        let bin_meta = snapshot
            .bins
            .get(&bin_of(namespace, name))
            .ok_or_else(|| RegistryError::UnknownSkill(id.clone()))?;
        let bin = read_bin(self.store, bin_meta)?;
        let meta = bin
            .index
            .get(&id)
            .ok_or_else(|| RegistryError::UnknownSkill(id.clone()))?;
        parse_index(&read_verified(self.store, meta)?, &meta.path)
    }

    /// The ids (`ns/name`) of every Skill whose id contains `text` (case-insensitive), sorted.
    /// Reads every bin, each against the snapshot's hash and length.
    pub fn search(&self, text: &str, now: Timestamp) -> Result<Vec<String>, RegistryError> {
        let snapshot = self.snapshot(now)?;
        let needle = text.to_lowercase();
        let mut found = Vec::new();
        for meta in snapshot.bins.values() {
            let bin = read_bin(self.store, meta)?;
            found.extend(
                bin.index
                    .into_keys()
                    .filter(|id| id.to_lowercase().contains(&needle)),
            );
        }
        found.sort();
        Ok(found)
    }

    /// The highest version matching `requirement` that is not yanked (pre-releases only when
    /// `prerelease`); an exact pin (`=1.2.3`) may name a yanked version, with a warning.
    pub fn resolve(
        &self,
        namespace: &str,
        name: &str,
        requirement: &VersionReq,
        prerelease: bool,
        now: Timestamp,
    ) -> Result<Resolved, RegistryError> {
        let entries = self.entries(namespace, name, now)?;
        let pinned =
            requirement.comparators.len() == 1 && requirement.comparators[0].op == Op::Exact;
        let chosen = entries
            .iter()
            .filter(|e| {
                requirement.matches(&e.version)
                    || (pinned && exact(requirement, &e.version))
                    || (prerelease && requirement.matches(&release_of(&e.version)))
            })
            .filter(|e| prerelease || pinned || e.version.pre.is_empty())
            .filter(|e| pinned || e.yanked.is_none())
            .max_by(|a, b| a.version.cmp(&b.version))
            .ok_or_else(|| RegistryError::NoMatchingVersion {
                skill: format!("{namespace}/{name}"),
                requirement: requirement.to_string(),
            })?
            .clone();
        let bundle = read_verified(self.store, &chosen.bundle)?;
        let signature = read_verified(self.store, &chosen.signature)?;
        let warning = chosen.yanked.as_ref().map(|reason| {
            format!(
                "{namespace}/{name}@{} is yanked ({reason}); installing it only because it was pinned",
                chosen.version
            )
        });
        Ok(Resolved {
            skill: SkillId {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
                version: chosen.version.clone(),
            },
            entry: chosen,
            bundle,
            signature,
            warning,
        })
    }
}

/// `1.2.0` for `1.2.0-beta.1`: with pre-releases asked for, they match as their release.
fn release_of(version: &semver::Version) -> semver::Version {
    semver::Version::new(version.major, version.minor, version.patch)
}

/// Whether `version` is exactly the one an `=x.y.z[-pre]` requirement names.
fn exact(requirement: &VersionReq, version: &semver::Version) -> bool {
    let c = &requirement.comparators[0];
    c.major == version.major
        && c.minor == Some(version.minor)
        && c.patch == Some(version.patch)
        && c.pre == version.pre
}
