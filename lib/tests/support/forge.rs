//! What a holder of the registry key alone can do to a registry folder: rewrite a Skill's
//! index and sign new metadata over it. Shared by the library's and the command line's tests.

use std::fs;
use std::path::Path;

use skillsig::registry::{
    self, Bin, FileMeta, IndexEntry, SignedMetadata, Snapshot, TimestampBody,
};
use skillsig::signing::keys::SecretKey;

fn timestamp(registry: &Path) -> TimestampBody {
    let bytes = fs::read(registry.join(registry::TIMESTAMP_FILE_NAME)).unwrap();
    serde_json::from_slice::<SignedMetadata<TimestampBody>>(&bytes)
        .unwrap()
        .signed
}

fn snapshot(registry: &Path, timestamp: &TimestampBody) -> Snapshot {
    let bytes = fs::read(registry.join(&timestamp.snapshot.path)).unwrap();
    serde_json::from_slice::<SignedMetadata<Snapshot>>(&bytes)
        .unwrap()
        .signed
}

fn bin(registry: &Path, snapshot: &Snapshot, namespace: &str, name: &str) -> Bin {
    snapshot
        .bins
        .get(&registry::bin_of(namespace, name))
        .map_or_else(Bin::default, |meta| {
            serde_json::from_slice(&fs::read(registry.join(&meta.path)).unwrap()).unwrap()
        })
}

/// The index entries of `namespace/name` as the registry folder holds them now.
pub fn entries(registry: &Path, namespace: &str, name: &str) -> Vec<IndexEntry> {
    let snapshot = snapshot(registry, &timestamp(registry));
    let bin = bin(registry, &snapshot, namespace, name);
    let meta = &bin.index[&format!("{namespace}/{name}")];
    let text = fs::read_to_string(registry.join(&meta.path)).unwrap();
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// Makes `namespace/name`'s index say `entries`, under a new bin, snapshot and timestamp that
/// `registry_key` signs.
pub fn forge_index(
    registry: &Path,
    registry_key: &SecretKey,
    namespace: &str,
    name: &str,
    entries: &[IndexEntry],
) {
    let write = |path: String, bytes: &[u8]| {
        let full = registry.join(&path);
        fs::create_dir_all(full.parent().unwrap()).unwrap();
        fs::write(&full, bytes).unwrap();
        FileMeta::of(path, bytes)
    };
    let mut timestamp = timestamp(registry);
    let mut snapshot = snapshot(registry, &timestamp);
    let mut bin = bin(registry, &snapshot, namespace, name);
    let version = timestamp.version + 1;
    let index: Vec<u8> = entries
        .iter()
        .flat_map(|entry| {
            let mut line = serde_json::to_vec(entry).unwrap();
            line.push(b'\n');
            line
        })
        .collect();
    bin.index.insert(
        format!("{namespace}/{name}"),
        write(
            format!("index/{namespace}/{name}/forged-{version}.jsonl"),
            &index,
        ),
    );
    let bin_name = registry::bin_of(namespace, name);
    snapshot.bins.insert(
        bin_name.clone(),
        write(
            format!("bins/{bin_name}/forged-{version}.json"),
            &serde_json::to_vec(&bin).unwrap(),
        ),
    );
    snapshot.version += 1;
    timestamp.snapshot_version = snapshot.version;
    let snapshot = SignedMetadata::sign(snapshot, &[registry_key]).to_json();
    timestamp.snapshot = write(format!("snapshot/forged-{version}.json"), &snapshot);
    timestamp.version = version;
    fs::write(
        registry.join(registry::TIMESTAMP_FILE_NAME),
        SignedMetadata::sign(timestamp, &[registry_key]).to_json(),
    )
    .unwrap();
}
