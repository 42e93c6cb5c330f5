//! In-process verification of a typical Skill (20 files, 200 KB) on one core.
//! Goal: ≥ 2,000 verifications per second. Results: docs/benchmarks.md.
//!
//! `cargo bench -p skillsig --bench verify`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jiff::{SignedDuration, Timestamp};
use skillsig::Limits;
use skillsig::bundle::SourceOptions;
use skillsig::signing::keys::SecretKey;
use skillsig::signing::sign_bundle;
use skillsig::trust::{TrustRoot, TrustRootFile};

/// A typical Skill: SKILL.md, skillsig.toml and 18 scripts and references, 200 KB in all.
pub fn typical_skill(dir: &std::path::Path) {
    std::fs::write(
        dir.join("SKILL.md"),
        "---\nname: typical\ndescription: A typical Skill.\n---\n# Use\nRun the scripts.\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("skillsig.toml"),
        "[skill]\nnamespace = \"bench\"\nversion = \"1.0.0\"\n[permissions]\nnetwork = [\"api.example.com\"]\nexec = [\"python3\"]\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("scripts")).unwrap();
    for i in 0..18 {
        let line =
            format!("def step_{i}(value):\n    return transform(value, {i}) + helper('{i}')\n\n");
        let text = line.repeat(11_000 / line.len() + 1);
        std::fs::write(dir.join(format!("scripts/step{i:02}.py")), text).unwrap();
    }
}

fn bench(c: &mut Criterion) {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    typical_skill(dir.path());
    let packed = skillsig::pack::pack_dir(dir.path(), &SourceOptions::default()).unwrap();
    let key = SecretKey::generate().unwrap();
    let signature = sign_bundle(
        &packed.bundle,
        &packed.manifest.to_canonical_json(),
        &key,
        &Limits::DEFAULT,
    )
    .unwrap();
    let now = Timestamp::now();
    let mut file = TrustRootFile::new("bench", now + SignedDuration::from_hours(24));
    file.add_publisher("bench", &["bench".into()]).unwrap();
    file.add_key("bench", key.public(), None, None).unwrap();
    let root = TrustRoot::load(file.to_json().as_bytes(), now, None).unwrap();
    eprintln!(
        "typical Skill: {} files, {} bytes, bundle {} bytes",
        packed.tree.len(),
        packed.tree.total_size(),
        packed.bundle.len()
    );

    let mut group = c.benchmark_group("verify");
    group.throughput(Throughput::Elements(1));
    group.bench_function("in-process, one core", |b| {
        b.iter(|| {
            black_box(
                skillsig::verify::verify(
                    &packed.bundle,
                    signature.as_bytes(),
                    &skillsig::verify::Authority::trust_root(&root),
                    now,
                    &Limits::DEFAULT,
                )
                .unwrap(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
