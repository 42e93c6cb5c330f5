//! Verifying an OpenSSF model-signing signature over a 1,000-file Skill folder (hash every
//! file, compare with the signed list, recompute the subject, check the ECDSA P-256 signature
//! against a trust-root key). The same folder and signature are what `model_signing verify key`
//! is timed on for docs/benchmarks.md.
//!
//! `cargo bench -p skillsig --bench oms`

use std::fs;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::Timestamp;
use skillsig::Limits;
use skillsig::oms::{self, OmsSigner, SIGNATURE_FILE};
use skillsig::signing::keys::PublicKey;
use skillsig::trust::{TrustRoot, TrustRootFile};
use skillsig::verify::Authority;

/// A Skill of `files` small text files (about 2 KB each) in a few folders.
pub fn generate(dir: &Path, files: usize) {
    fs::create_dir_all(dir).unwrap();
    fs::write(
        dir.join("SKILL.md"),
        "---\nname: big\ndescription: A generated Skill.\n---\n# Big\n",
    )
    .unwrap();
    for i in 1..files {
        let sub = dir.join(format!("part{:02}", i % 20));
        fs::create_dir_all(&sub).unwrap();
        let line = format!("line {i}: the quick brown fox jumps over the lazy dog\n");
        fs::write(sub.join(format!("file{i:04}.md")), line.repeat(36)).unwrap();
    }
}

fn bench(c: &mut Criterion) {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("big-skill");
    generate(&dir, 1000);
    let pair = sigstore_sign::crypto::KeyPair::generate_ecdsa_p256().unwrap();
    let public = PublicKey::from_spki_der(pair.public_key_der().unwrap().as_bytes()).unwrap();
    let signature = oms::sign_folder(&dir, &OmsSigner::EcdsaP256(pair), &Limits::DEFAULT).unwrap();
    fs::write(dir.join(SIGNATURE_FILE), &signature).unwrap();
    let mut file = TrustRootFile::new("bench", "2099-01-01T00:00:00Z".parse().unwrap());
    file.add_publisher("bench", &["bench".into()]).unwrap();
    file.add_key("bench", &public, None, None).unwrap();
    let root = TrustRoot::load(file.to_json().as_bytes(), Timestamp::now(), None).unwrap();
    let authority = Authority::trust_root(&root);
    if let Ok(out) = std::env::var("SKILLSIG_BENCH_KEEP") {
        // Keep the folder and key for timing the reference implementation on the same input.
        let out = Path::new(&out);
        let _ = fs::remove_dir_all(out);
        fs::create_dir_all(out).unwrap();
        let status = std::process::Command::new("cp")
            .arg("-r")
            .arg(&dir)
            .arg(out)
            .status()
            .unwrap();
        assert!(status.success());
        fs::write(out.join("key.pub"), public.to_pem()).unwrap();
        fs::write(out.join("trust.json"), file.to_json()).unwrap();
    }
    c.bench_function("oms/verify 1000-file folder, in process", |b| {
        b.iter(|| {
            oms::verify_folder(
                &dir,
                signature.as_bytes(),
                &dir.join(SIGNATURE_FILE),
                &authority,
                None,
                Timestamp::now(),
                &Limits::DEFAULT,
            )
            .unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
