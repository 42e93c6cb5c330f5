//! The scanner on arbitrary bytes as a PowerShell script: every input gets a
//! report and none panics.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| skillsig_fuzz::scan_as("scripts/setup.ps1", data));
