//! `registry::check_upload` of the example Skill N times in one process, with the
//! library's defaults as the packages run it: the native
//! side of the whole-process comparisons in docs/benchmarks.md, next to
//! `bindings/node/bench/check-upload.js` and `bindings/python/bench/check_upload.py`.
//!
//! ```sh
//! cargo run --release -p skillsig-bindings --example check_upload_loop -- FIXTURES_DIR [N]
//! ```

use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        eprintln!(
            "usage: check_upload_loop FIXTURES_DIR [N] (a folder made by bindings/fixtures.sh)"
        );
        std::process::exit(2);
    };
    let count: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(2000);
    let read = |name: &str| {
        std::fs::read(dir.join(name)).unwrap_or_else(|e| {
            eprintln!("{}: {e}", dir.join(name).display());
            std::process::exit(2)
        })
    };
    let bundle = read("example-weather-report-1.0.0.skill");
    let signature = read("example-weather-report-1.0.0.skill.sigstore.json");
    let now = jiff::Timestamp::now();
    let root = skillsig::trust::TrustRoot::load(&read("trust.json"), now, None)
        .expect("the fixture trust root loads");
    let policy = skillsig::policy::Policy::default();
    for _ in 0..200 {
        skillsig::registry::check_upload(&bundle, &signature, &root, &policy, now)
            .expect("the fixture upload is accepted");
    }
    let start = Instant::now();
    for _ in 0..count {
        skillsig::registry::check_upload(&bundle, &signature, &root, &policy, now)
            .expect("the fixture upload is accepted");
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "rust registry::check_upload: {:.1} µs per upload, {:.0} uploads/s",
        seconds / f64::from(count) * 1e6,
        f64::from(count) / seconds
    );
}
