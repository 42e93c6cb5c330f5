//! The scanner on arbitrary bytes behind a Python 3.11 `.pyc` header, so that every input
//! reaches the marshal reader: every input gets a report and none panics.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut pyc = vec![0xa7, 0x0d, 0x0d, 0x0a];
    pyc.extend([0; 12]);
    pyc.extend_from_slice(data);
    skillsig_fuzz::scan_as("scripts/__pycache__/main.cpython-311.pyc", &pyc);
});
