//! What a Skill says about itself: `SKILL.md` frontmatter (YAML, OpenClaw's JSON5 metadata)
//! and `skillsig.toml`, read leniently; plus a user's `policy.toml`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = skillsig::skill::read_declaration(Some(&text), None);
    let _ = skillsig::skill::read_declaration(None, Some(&text));
    // The two halves as SKILL.md and skillsig.toml together.
    let mut middle = text.len() / 2;
    while !text.is_char_boundary(middle) {
        middle -= 1;
    }
    let (a, b) = text.split_at(middle);
    let _ = skillsig::skill::read_declaration(Some(a), Some(b));
    let _ = skillsig::policy::Policy::from_toml(&text);
});
