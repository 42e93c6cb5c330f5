//! Reading a registry as a client: timestamp (signatures, expiry, never older than seen) →
//! snapshot (the timestamp's hash and length, signatures, never older than seen) → the one bin
//! → the one index file → the bundle and signature, each against the hash and length the level
//! above declares, never reading past that length. The bundle is then verified as any other
//! (`verify`, `install`): the registry only says which bytes to expect.

use std::path::PathBuf;

use jiff::Timestamp;
use semver::{Op, VersionReq};

use super::metadata::{IndexEntry, SignedMetadata, Snapshot, TimestampBody, parse_index};
use super::publish::{read_bin, read_verified};
use super::store::Store;
use super::{MAX_TIMESTAMP_BYTES, RegistryError, bin_of};
use crate::trust::TrustRoot;

/// What a client remembers per registry: the highest timestamp and snapshot versions it
/// accepted (rollback protection), in a folder (the state folder's `registries/`).
#[derive(Debug, Clone)]
pub struct ClientState {
    dir: PathBuf,
}

impl ClientState {
    /// State kept in `dir`: the highest snapshot and timestamp versions seen per registry.
    pub fn at(dir: impl Into<PathBuf>) -> ClientState {
        ClientState { dir: dir.into() }
    }

    fn path(&self, registry: &str) -> PathBuf {
        let key = hex::encode(crate::tree::sha256(registry.as_bytes()));
        self.dir.join("registries").join(format!("{key}.json"))
    }

    fn seen(&self, registry: &str) -> (u64, u64) {
        std::fs::read(self.path(registry))
            .ok()
            .and_then(|b| serde_json::from_slice::<(u64, u64)>(&b).ok())
            .unwrap_or((0, 0))
    }

    fn remember(&self, registry: &str, versions: (u64, u64)) -> Result<(), RegistryError> {
        let path = self.path(registry);
        let io = |e: std::io::Error| {
            RegistryError::Store(super::StoreError::Io {
                path: path.display().to_string(),
                why: e.to_string(),
            })
        };
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
    /// The trust root that names the registry keys.
    pub root: &'a TrustRoot,
    /// The registry's address, which keys the remembered versions.
    pub registry: String,
    /// Where seen versions are remembered; `None` keeps no memory (no rollback protection across runs).
    pub state: Option<ClientState>,
}

/// The version chosen, with its verified-by-hash bytes.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The chosen version's index entry.
    pub entry: IndexEntry,
    /// The `.skill` bytes, checked against the entry's sha256 and length.
    pub bundle: Vec<u8>,
    /// The signature bytes, checked likewise.
    pub signature: Vec<u8>,
    /// Set when an explicitly pinned version is yanked: it installs, with this warning.
    pub warning: Option<String>,
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
        let (seen_timestamp, seen_snapshot) = self
            .state
            .as_ref()
            .map_or((0, 0), |s| s.seen(&self.registry));
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
            state.remember(&self.registry, (timestamp.version, snapshot.version))?;
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
