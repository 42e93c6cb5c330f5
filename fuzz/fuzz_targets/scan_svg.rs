//! The scanner on arbitrary bytes as an SVG image shipped with a Skill: every input gets a
//! report and none panics.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| skillsig_fuzz::scan_as("assets/logo.svg", data));
