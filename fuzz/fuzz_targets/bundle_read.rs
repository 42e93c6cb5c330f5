//! The strict bundle reader on arbitrary bytes: it must refuse or accept, never panic, and
//! never allocate past the limits whatever the headers claim.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skillsig::Limits;

fuzz_target!(|data: &[u8]| {
    // Small limits keep each run fast and prove the limits hold on hostile headers.
    let limits = Limits {
        max_files: 64,
        max_file_bytes: 1 << 20,
        max_total_bytes: 4 << 20,
        ..Limits::DEFAULT
    };
    if let Ok(bundle) = skillsig::bundle::read_bytes(data, &limits) {
        // What was accepted re-encodes: the reader only accepts what the writer could write.
        let _ = skillsig::bundle::encode(&bundle.tree);
    }
});
