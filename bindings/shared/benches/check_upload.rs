//! The native figure for docs/benchmarks.md ("Node and Python packages"): `registry::check_upload`
//! of the example Skill, and the same through `skillsig_bindings::Verifier::check_upload` (the
//! call both packages make, JSON result included), on one core. Reads the files
//! `bindings/fixtures.sh` makes from `SKILLSIG_BENCH_FIXTURES`; `scripts/bench-bindings.sh`
//! runs it beside the Node and Python figures.

use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use skillsig::policy::Policy;
use skillsig::trust::TrustRoot;
use skillsig_bindings::{Source, Verifier};

fn bench(c: &mut Criterion) {
    let Some(dir) = std::env::var_os("SKILLSIG_BENCH_FIXTURES").map(PathBuf::from) else {
        eprintln!("set SKILLSIG_BENCH_FIXTURES to a folder made by bindings/fixtures.sh");
        return;
    };
    let read = |name: &str| std::fs::read(dir.join(name)).expect("a fixture file");
    let bundle = read("example-weather-report-1.0.0.skill");
    let signature = read("example-weather-report-1.0.0.skill.sigstore.json");
    let now = jiff::Timestamp::now();
    let root = TrustRoot::load(&read("trust.json"), now, None).expect("the trust root loads");
    let policy = Policy::default();
    let verifier = Verifier::load(Some(Source::Path(&dir.join("trust.json"))), None, now)
        .expect("the trust root loads");
    // One core, as the bindings' figures are taken.
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global()
        .ok();

    let mut group = c.benchmark_group("check_upload of the example Skill");
    group.throughput(Throughput::Elements(1));
    group.bench_function("registry::check_upload (Rust)", |b| {
        b.iter(|| {
            skillsig::registry::check_upload(&bundle, &signature, &root, &policy, now).unwrap()
        })
    });
    group.bench_function(
        "skillsig_bindings::Verifier::check_upload (JSON result)",
        |b| b.iter(|| verifier.check_upload(&bundle, &signature, now).unwrap()),
    );
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
