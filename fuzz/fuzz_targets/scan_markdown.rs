//! The scanner on arbitrary bytes as `SKILL.md` (frontmatter, code blocks, prose, HTML comments): every input gets a
//! report and none panics.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| skillsig_fuzz::scan_as("SKILL.md", data));
