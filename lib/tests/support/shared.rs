//! The large shared test data beside the repository (`../shared`: real published Skills, signed
//! vectors), which a clone from GitHub does not have. Suites that need it pass as skipped
//! without it; `report` says so where a person sees it, and `SKILLSIG_REQUIRE_SHARED=1` makes
//! its absence a failure. Used by the lib and cli test crates alike (cli by `#[path]`).

#![allow(dead_code)]

use std::io::Write as _;
use std::path::PathBuf;

/// Set to `1` to fail, not skip, when the shared data is absent.
pub const REQUIRE_ENV: &str = "SKILLSIG_REQUIRE_SHARED";

fn required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1")
}

/// `../shared/<relative>`, if it is there. Absent, it is `None` (the caller skips), unless
/// `SKILLSIG_REQUIRE_SHARED=1`: then the test fails.
pub fn dir(relative: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared")
        .join(relative);
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        !required(),
        "../shared/{relative} is absent and {REQUIRE_ENV}=1"
    );
    None
}

/// Says, for each `(folder under ../shared, the suites that need it)`, whether it ran or was
/// skipped. Written to stderr directly, so cargo's capture of test output does not hide it.
pub fn report(suites: &[(&str, &str)]) {
    let mut text = String::new();
    for (relative, what) in suites {
        if dir(relative).is_some() {
            text.push_str(&format!(
                "shared test data: ../shared/{relative} present: {what} ran\n"
            ));
        } else {
            text.push_str(&format!(
                "SKIPPED: ../shared/{relative} is absent (a clone from GitHub has no ../shared), so {what} passed without running; put the shared data beside the repository to run them, or set {REQUIRE_ENV}=1 to fail instead\n"
            ));
        }
    }
    let _ = std::io::stderr().write_all(text.as_bytes());
}
