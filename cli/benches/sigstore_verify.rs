//! Verifying one Sigstore conformance bundle (`happy-path-v0.3`, public-good trusted root,
//! offline): in process through `skillsig::sigstore::verify_bundle`, and as the conformance
//! suite runs it, `skillsig verify-bundle`. Results, beside sigstore-python on the same bundle:
//! docs/benchmarks.md.
//!
//! `cargo bench -p skillsig-cli --bench sigstore_verify`

use std::path::Path;
use std::process::Command;

use criterion::{Criterion, criterion_group, criterion_main};
use skillsig::sigstore::{self, SignedArtifact, Signer};

const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn bench(c: &mut Criterion) {
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/vectors/sigstore-conformance/bundle-verify");
    if !vectors.is_dir() {
        eprintln!("skipped: {} is absent", vectors.display());
        return;
    }
    let bundle_path = vectors.join("happy-path-v0.3/bundle.sigstore.json");
    let artifact_path = vectors.join("a.txt");
    let bundle = std::fs::read_to_string(&bundle_path).unwrap();
    let artifact = SignedArtifact::Bytes(std::fs::read(&artifact_path).unwrap());
    let signer = Signer::Identity {
        identity: IDENTITY.into(),
        issuer: ISSUER.into(),
    };
    let root = sigstore::public_good_root();
    sigstore::verify_bundle(&bundle, &artifact, &signer, root).unwrap();
    c.bench_function("sigstore/verify one bundle in process", |b| {
        b.iter(|| sigstore::verify_bundle(&bundle, &artifact, &signer, root).unwrap())
    });
    c.bench_function("sigstore/skillsig verify-bundle (process)", |b| {
        b.iter(|| {
            let status = Command::new(env!("CARGO_BIN_EXE_skillsig"))
                .arg("verify-bundle")
                .arg("--bundle")
                .arg(&bundle_path)
                .args(["--certificate-identity", IDENTITY])
                .args(["--certificate-oidc-issuer", ISSUER])
                .arg(&artifact_path)
                .stdout(std::process::Stdio::null())
                .status()
                .unwrap();
            assert!(status.success());
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
