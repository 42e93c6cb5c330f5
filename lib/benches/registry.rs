//! A registry at the scale issue 9 names — 100,000 Skills, the measured one with 20 versions —
//! and the operations on it: resolving a version, a cold client's first resolve (bytes read),
//! publishing one version, and checking uploads on one core. Results: docs/benchmarks.md.
//!
//! `cargo bench -p skillsig --bench registry`
//!
//! The snapshot lists all 256 bins and the bins list all 100,000 index files with their hashes
//! and lengths, exactly as a real registry of that size; only the index files and bundles of
//! the 99,999 Skills the bench never touches are not written (no operation measured reads
//! them: a client reads the timestamp, the snapshot, one bin and one index file).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jiff::Timestamp;
use semver::VersionReq;
use skillsig::Limits;
use skillsig::bundle::SourceOptions;
use skillsig::policy::Policy;
use skillsig::registry::{
    self, Bin, Client, DirStore, FileMeta, Publisher, SignedMetadata, Snapshot, Store, StoreError,
    TimestampBody,
};
use skillsig::signing::keys::SecretKey;
use skillsig::signing::sign_bundle;
use skillsig::trust::{TrustRoot, TrustRootFile};

const SKILLS: usize = 100_000;

/// A store that counts the bytes it hands out.
struct Counting<'a> {
    inner: &'a DirStore,
    bytes: AtomicU64,
}

impl Store for Counting<'_> {
    fn read(&self, path: &str, limit: u64) -> Result<Vec<u8>, StoreError> {
        let bytes = self.inner.read(path, limit)?;
        self.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        Ok(bytes)
    }
    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), StoreError> {
        self.inner.write(path, bytes)
    }
    fn lock(&self) -> Result<Option<Box<dyn Send>>, StoreError> {
        self.inner.lock()
    }
}

/// The example Skill at `version`, packed and signed.
fn signed(work: &Path, key: &SecretKey, version: &str) -> (Vec<u8>, Vec<u8>) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/skills/weather-report");
    let dir = work.join(format!("src-{version}"));
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(&source)
        .arg(&dir)
        .status()
        .unwrap();
    assert!(status.success());
    let config = std::fs::read_to_string(dir.join("skillsig.toml")).unwrap();
    std::fs::write(dir.join("skillsig.toml"), config.replace("1.0.0", version)).unwrap();
    let packed = skillsig::pack::pack_dir(&dir, &SourceOptions::default()).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let signature = sign_bundle(
        &packed.bundle,
        &packed.manifest.to_canonical_json(),
        key,
        &Limits::DEFAULT,
    )
    .unwrap();
    (packed.bundle, signature.into_bytes())
}

/// Writes signed metadata for 100,000 Skills: every bin full, one signed snapshot, a timestamp.
fn generate(store: &DirStore, registry_key: &SecretKey, now: Timestamp) {
    let mut bins: BTreeMap<String, Bin> = BTreeMap::new();
    for k in 0..SKILLS - 1 {
        let (namespace, name) = (format!("gen{}", k % 1000), format!("skill-{k}"));
        let fake = hex::encode(skillsig::tree::sha256(name.as_bytes()));
        bins.entry(registry::bin_of(&namespace, &name))
            .or_default()
            .index
            .insert(
                format!("{namespace}/{name}"),
                FileMeta {
                    path: format!("index/{namespace}/{name}/{fake}.jsonl"),
                    sha256: fake,
                    length: 18_000,
                },
            );
    }
    let mut snapshot = Snapshot {
        snapshot_type: "skillsig/registry-snapshot/v1".into(),
        version: 1,
        bins: BTreeMap::new(),
    };
    for (bin, content) in bins {
        let bytes = serde_json::to_vec_pretty(&content).unwrap();
        let path = format!(
            "bins/{bin}/{}.json",
            hex::encode(skillsig::tree::sha256(&bytes))
        );
        store.write(&path, &bytes).unwrap();
        snapshot.bins.insert(bin, FileMeta::of(path, &bytes));
    }
    let snapshot_bytes = SignedMetadata::sign(snapshot, &[registry_key]).to_json();
    let snapshot_path = format!(
        "snapshot/{}.json",
        hex::encode(skillsig::tree::sha256(&snapshot_bytes))
    );
    store.write(&snapshot_path, &snapshot_bytes).unwrap();
    let timestamp = TimestampBody {
        timestamp_type: "skillsig/registry-timestamp/v1".into(),
        version: 1,
        expires: now + jiff::SignedDuration::from_hours(24),
        snapshot: FileMeta::of(snapshot_path, &snapshot_bytes),
        snapshot_version: 1,
    };
    store
        .write(
            registry::TIMESTAMP_FILE_NAME,
            &SignedMetadata::sign(timestamp, &[registry_key]).to_json(),
        )
        .unwrap();
}

fn bench(c: &mut Criterion) {
    // "On one core": the scanner's and hasher's thread pool gets one thread.
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global()
        .unwrap();
    let work = tempfile::tempdir().unwrap();
    let now = Timestamp::now();
    let publisher_key = SecretKey::generate().unwrap();
    let registry_key = SecretKey::generate().unwrap();
    let mut file = TrustRootFile::new("bench", now + jiff::SignedDuration::from_hours(24 * 30));
    file.add_publisher("example", &["example".into()]).unwrap();
    file.add_key("example", publisher_key.public(), None, None)
        .unwrap();
    file.add_registry_key(registry_key.public(), None).unwrap();
    let root = TrustRoot::load(file.to_json().as_bytes(), now, None).unwrap();
    let store = DirStore::new(work.path().join("registry"));
    let policy = Policy::default();
    let publisher = Publisher {
        store: &store,
        root: &root,
        policy: &policy,
        keys: vec![&registry_key],
    };
    generate(&store, &registry_key, now);
    for minor in 0..20 {
        let (bundle, signature) = signed(work.path(), &publisher_key, &format!("1.{minor}.0"));
        registry::publish(&publisher, &bundle, &signature, now).unwrap();
    }

    // A cold client's first resolve: every byte it reads.
    let counting = Counting {
        inner: &store,
        bytes: AtomicU64::new(0),
    };
    let cold = Client {
        store: &counting,
        root: &root,
        state: None,
    };
    let requirement = VersionReq::parse("^1.3").unwrap();
    let resolved = cold
        .resolve("example", "weather-report", &requirement, false, now)
        .unwrap();
    assert_eq!(resolved.entry.version.to_string(), "1.19.0");
    eprintln!(
        "cold first resolve of example/weather-report in a registry of {SKILLS} Skills: {} bytes read (bundle and signature: {} bytes)",
        counting.bytes.load(Ordering::Relaxed),
        resolved.bundle.len() + resolved.signature.len()
    );

    let client = Client {
        store: &store,
        root: &root,
        state: None,
    };
    c.bench_function(
        "registry/resolve ^1.3 among 100,000 Skills (files cached by the OS)",
        |b| {
            b.iter(|| {
                client
                    .resolve("example", "weather-report", &requirement, false, now)
                    .unwrap()
            })
        },
    );

    let (bundle, signature) = signed(work.path(), &publisher_key, "1.0.0");
    let mut uploads = c.benchmark_group("registry/check_upload");
    uploads.throughput(Throughput::Elements(1));
    uploads.bench_function("one core, typical Skill, scan included", |b| {
        b.iter(|| registry::check_upload(&bundle, &signature, &root, &policy, now).unwrap())
    });
    uploads.finish();

    let pool: Vec<(Vec<u8>, Vec<u8>)> = (0..1000)
        .map(|patch| signed(work.path(), &publisher_key, &format!("2.0.{patch}")))
        .collect();
    let mut next = pool.iter();
    let mut group = c.benchmark_group("registry/publish");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_secs(1));
    group.bench_function("one version into a registry of 100,000 Skills", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let (bundle, signature) = next.next().expect("enough pre-signed versions");
                let start = Instant::now();
                registry::publish(&publisher, bundle, signature, now).unwrap();
                total += start.elapsed();
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
