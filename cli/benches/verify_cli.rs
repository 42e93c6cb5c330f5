//! `skillsig verify` end to end as a user runs it: process start, reading files, the trust
//! root and its state, verification and output. Results: docs/benchmarks.md.
//!
//! `cargo bench -p skillsig-cli --bench verify_cli`

use std::path::Path;
use std::process::Command;

use criterion::{Criterion, criterion_group, criterion_main};

fn skillsig(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_skillsig"));
    cmd.current_dir(home)
        .env("SKILLSIG_TRUST_ROOT", home.join("trust.json"))
        .env("SKILLSIG_STATE_DIR", home.join("state"));
    cmd
}

fn run(cmd: &mut Command) {
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn bench(c: &mut Criterion) {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/skills/weather-report");
    run(skillsig(h).args(["keygen", "--out", "k", "--unencrypted"]));
    run(skillsig(h).arg("pack").arg(&example).args(["-o", "out"]));
    run(skillsig(h).args([
        "sign",
        "out/example-weather-report-1.0.0.skill",
        "--key",
        "k.key",
    ]));
    run(skillsig(h).args(["trust", "init"]));
    run(skillsig(h).args([
        "trust",
        "add-publisher",
        "example",
        "--namespace",
        "example",
        "--key",
        "k.pub",
    ]));
    c.bench_function("verify/cli end to end", |b| {
        b.iter(|| {
            run(skillsig(h)
                .args(["verify", "out/example-weather-report-1.0.0.skill"])
                .stdout(std::process::Stdio::null()))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
