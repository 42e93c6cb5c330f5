//! Trust-root parsing and its checks (type, names, namespaces, keys, windows, root signatures,
//! rotation against a previous root), on arbitrary JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skillsig::trust::{TrustRoot, TrustRootFile};

fuzz_target!(|data: &[u8]| {
    let now = jiff::Timestamp::from_second(1_800_000_000).unwrap();
    let Ok(file) = TrustRootFile::from_json(data) else {
        return;
    };
    let _ = TrustRoot::load(data, now, None);
    // The same file as its own predecessor exercises the rotation and rollback checks.
    let _ = TrustRoot::load(data, now, Some(&file));
    let _ = file.to_json();
});
