//! Publishing to a registry: verify → namespace → manifest → scan under the registry's policy
//! → store bundle and signature → index entry → new bin, snapshot and timestamp.

use jiff::{SignedDuration, Timestamp};

use super::metadata::{
    Bin, FileMeta, IndexEntry, SNAPSHOT_TYPE, SignedMetadata, Signer, Snapshot, TIMESTAMP_TYPE,
    TimestampBody, parse_index, write_index,
};
use super::store::{Store, StoreError};
use super::{
    BIN_COUNT, MAX_TIMESTAMP_BYTES, RegistryError, TIMESTAMP_LIFETIME_SECS, bin_of, content_path,
};
use crate::policy::Policy;
use crate::signing::keys::SecretKey;
use crate::trust::{RootRole, TrustRoot};
use crate::verify::SignedBy;

/// What a registry publishes with: where its files are, the trust root and policy uploads
/// must satisfy, and the registry keys that sign its metadata.
pub struct Publisher<'a> {
    /// Where the registry's files are.
    pub store: &'a dyn Store,
    /// The trust root uploads are verified against; it also names the registry keys.
    pub root: &'a TrustRoot,
    /// The policy uploads are scanned and judged under.
    pub policy: &'a Policy,
    /// Registry keys that sign snapshot and timestamp (at least the role's threshold).
    pub keys: Vec<&'a SecretKey>,
}

/// The registry's current state, as its own metadata says (signatures checked, expiry not:
/// an idle registry's timestamp may have lapsed).
struct Current {
    snapshot: Snapshot,
    timestamp_version: u64,
}

fn role(root: &TrustRoot) -> Result<&RootRole, RegistryError> {
    root.registry_role().ok_or(RegistryError::NoRegistryRole)
}

/// Reads the file `meta` describes, never past its declared length, and checks its hash.
pub(super) fn read_verified(store: &dyn Store, meta: &FileMeta) -> Result<Vec<u8>, RegistryError> {
    let bytes = store.read(&meta.path, meta.length).map_err(|e| match e {
        StoreError::TooLarge { path, limit } => RegistryError::TooLarge {
            path,
            declared: limit,
        },
        other => RegistryError::Store(other),
    })?;
    if !meta.matches(&bytes) {
        return Err(RegistryError::Mismatch {
            path: meta.path.clone(),
        });
    }
    Ok(bytes)
}

/// Reads and validates a bin.
pub(super) fn read_bin(store: &dyn Store, meta: &FileMeta) -> Result<Bin, RegistryError> {
    let malformed = |why: String| RegistryError::Malformed {
        what: meta.path.clone(),
        why,
    };
    let bin: Bin = serde_json::from_slice(&read_verified(store, meta)?)
        .map_err(|e| malformed(e.to_string()))?;
    bin.validate().map_err(malformed)?;
    Ok(bin)
}

fn current(store: &dyn Store, role: &RootRole) -> Result<Current, RegistryError> {
    let bytes = match store.read(super::TIMESTAMP_FILE_NAME, MAX_TIMESTAMP_BYTES) {
        Ok(bytes) => bytes,
        Err(StoreError::NotFound { .. }) => {
            return Ok(Current {
                snapshot: Snapshot {
                    snapshot_type: SNAPSHOT_TYPE.into(),
                    version: 0,
                    bins: Default::default(),
                },
                timestamp_version: 0,
            });
        }
        Err(e) => return Err(e.into()),
    };
    let malformed = |what: &str, why: String| RegistryError::Malformed {
        what: what.into(),
        why,
    };
    let timestamp: TimestampBody = SignedMetadata::verify(&bytes, role, "timestamp.json")?;
    timestamp
        .validate()
        .map_err(|why| malformed("timestamp.json", why))?;
    let snapshot_bytes = read_verified(store, &timestamp.snapshot)?;
    let snapshot: Snapshot = SignedMetadata::verify(&snapshot_bytes, role, "the snapshot")?;
    snapshot
        .validate()
        .map_err(|why| malformed("the snapshot", why))?;
    Ok(Current {
        snapshot,
        timestamp_version: timestamp.version,
    })
}

/// Writes a new bin with `id`'s index file set to `entries`, then a new snapshot and
/// timestamp. Only the timestamp is replaced in place, last.
fn commit(
    publisher: &Publisher,
    mut current: Current,
    namespace: &str,
    name: &str,
    entries: &[IndexEntry],
    now: Timestamp,
) -> Result<(), RegistryError> {
    let store = publisher.store;
    let bin_name = bin_of(namespace, name);
    let mut bin = match current.snapshot.bins.get(&bin_name) {
        Some(meta) => read_bin(store, meta)?,
        None => Bin::default(),
    };
    let index = write_index(entries);
    let index_path = content_path(&format!("index/{namespace}/{name}"), &index, "jsonl");
    store.write(&index_path, &index)?;
    bin.index.insert(
        format!("{namespace}/{name}"),
        FileMeta::of(index_path, &index),
    );
    let bin_bytes = serde_json::to_vec_pretty(&bin).expect("a bin serializes");
    let bin_path = content_path(&format!("bins/{bin_name}"), &bin_bytes, "json");
    store.write(&bin_path, &bin_bytes)?;
    debug_assert!(current.snapshot.bins.len() <= BIN_COUNT);
    current
        .snapshot
        .bins
        .insert(bin_name, FileMeta::of(bin_path, &bin_bytes));
    current.snapshot.version += 1;
    let snapshot_version = current.snapshot.version;
    let snapshot = SignedMetadata::sign(current.snapshot, &publisher.keys).to_json();
    let snapshot_path = content_path("snapshot", &snapshot, "json");
    store.write(&snapshot_path, &snapshot)?;
    let timestamp = TimestampBody {
        timestamp_type: TIMESTAMP_TYPE.into(),
        version: current.timestamp_version + 1,
        expires: now + SignedDuration::from_secs(TIMESTAMP_LIFETIME_SECS),
        snapshot: FileMeta::of(snapshot_path, &snapshot),
        snapshot_version,
    };
    store.write(
        super::TIMESTAMP_FILE_NAME,
        &SignedMetadata::sign(timestamp, &publisher.keys).to_json(),
    )?;
    Ok(())
}

/// Refuses to sign with keys that cannot meet the role's threshold (clients would refuse it).
fn check_threshold(role: &RootRole, keys: &[&SecretKey]) -> Result<(), RegistryError> {
    let valid = keys
        .iter()
        .filter(|k| role.keys.iter().any(|r| &r.keyid == k.public().id()))
        .count();
    if valid < role.threshold as usize {
        return Err(RegistryError::Signatures {
            what: "the registry's signing keys".into(),
            valid,
            threshold: role.threshold,
        });
    }
    Ok(())
}

fn index_entries(
    store: &dyn Store,
    current: &Current,
    namespace: &str,
    name: &str,
) -> Result<Vec<IndexEntry>, RegistryError> {
    let Some(bin_meta) = current.snapshot.bins.get(&bin_of(namespace, name)) else {
        return Ok(Vec::new());
    };
    let bin = read_bin(store, bin_meta)?;
    match bin.index.get(&format!("{namespace}/{name}")) {
        Some(meta) => parse_index(&read_verified(store, meta)?, &meta.path),
        None => Ok(Vec::new()),
    }
}

/// Publishes a signed bundle. Returns its index entry (the existing one when the same bytes
/// were already published).
pub fn publish(
    publisher: &Publisher,
    bundle: &[u8],
    signature: &[u8],
    now: Timestamp,
) -> Result<IndexEntry, RegistryError> {
    let role = role(publisher.root)?;
    check_threshold(role, &publisher.keys)?;
    let accepted = super::check_upload(bundle, signature, publisher.root, publisher.policy, now)
        .map_err(|e| RegistryError::Refused(format!("[{}] {e}", e.code())))?;
    let (verified, report) = (accepted.skill(), accepted.report());
    let manifest = verified.manifest();
    let id = manifest.id();
    let (namespace, name, version) = (&id.namespace, &id.name, &id.version);
    let _lock = publisher.store.lock()?.ok_or(RegistryError::Busy)?;
    let current = current(publisher.store, role)?;
    let mut entries = index_entries(publisher.store, &current, namespace, name)?;
    let bundle_sha256 = hex::encode(crate::tree::sha256(bundle));
    if let Some(existing) = entries.iter().find(|e| &e.version == version) {
        if existing.bundle.sha256 == bundle_sha256 {
            return Ok(existing.clone());
        }
        return Err(RegistryError::VersionExists(id.to_string()));
    }
    let directory = format!("bundles/{namespace}/{name}/{version}");
    let file = format!("{namespace}-{name}-{version}.skill");
    let bundle_path = format!("{directory}/{file}");
    let signature_path = format!("{bundle_path}.sigstore.json");
    publisher.store.write(&bundle_path, bundle)?;
    publisher.store.write(&signature_path, signature)?;
    let signer = match verified.signed_by() {
        SignedBy::Key(key) => Signer {
            publisher: verified.publisher().into(),
            key_id: Some(key.to_string()),
            identity: None,
            issuer: None,
        },
        SignedBy::Certificate(c) => Signer {
            publisher: verified.publisher().into(),
            key_id: None,
            identity: Some(c.identity.clone()),
            issuer: Some(c.issuer.clone()),
        },
    };
    let entry = IndexEntry {
        version: version.clone(),
        bundle: FileMeta::of(bundle_path, bundle),
        signature: FileMeta::of(signature_path, signature),
        tree_digest: format!("sha256:{}", hex::encode(manifest.tree_digest())),
        manifest_digest: format!(
            "sha256:{}",
            hex::encode(crate::tree::sha256(verified.manifest_bytes()))
        ),
        signer,
        permissions: manifest.permissions().clone(),
        scan: crate::scan::ScanSummary::of(report),
        yanked: None,
        published: now,
    };
    entries.push(entry.clone());
    commit(publisher, current, namespace, name, &entries, now)?;
    Ok(entry)
}

/// Marks a published version yanked: installs by range skip it; a pinned install warns.
pub fn yank(
    publisher: &Publisher,
    namespace: &str,
    name: &str,
    version: &semver::Version,
    reason: &str,
    now: Timestamp,
) -> Result<(), RegistryError> {
    let role = role(publisher.root)?;
    check_threshold(role, &publisher.keys)?;
    let _lock = publisher.store.lock()?.ok_or(RegistryError::Busy)?;
    let current = current(publisher.store, role)?;
    let mut entries = index_entries(publisher.store, &current, namespace, name)?;
    let entry = entries
        .iter_mut()
        .find(|e| &e.version == version)
        .ok_or_else(|| RegistryError::UnknownSkill(format!("{namespace}/{name}@{version}")))?;
    entry.yanked = Some(reason.into());
    commit(publisher, current, namespace, name, &entries, now)
}

/// Writes an empty registry: a snapshot without bins and its timestamp.
pub fn init(publisher: &Publisher, now: Timestamp) -> Result<(), RegistryError> {
    let role = role(publisher.root)?;
    check_threshold(role, &publisher.keys)?;
    let _lock = publisher.store.lock()?.ok_or(RegistryError::Busy)?;
    let current = current(publisher.store, role)?;
    if current.timestamp_version > 0 {
        return Err(RegistryError::Refused("the registry already exists".into()));
    }
    let snapshot = SignedMetadata::sign(current.snapshot, &publisher.keys).to_json();
    let snapshot_path = content_path("snapshot", &snapshot, "json");
    publisher.store.write(&snapshot_path, &snapshot)?;
    let timestamp = TimestampBody {
        timestamp_type: TIMESTAMP_TYPE.into(),
        version: 1,
        expires: now + SignedDuration::from_secs(TIMESTAMP_LIFETIME_SECS),
        snapshot: FileMeta::of(snapshot_path, &snapshot),
        snapshot_version: 0,
    };
    publisher.store.write(
        super::TIMESTAMP_FILE_NAME,
        &SignedMetadata::sign(timestamp, &publisher.keys).to_json(),
    )?;
    Ok(())
}
