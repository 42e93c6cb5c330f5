//! The path rules a file inside a Skill must obey, and the validated [`SkillPath`] type.
//!
//! A path that passes these rules is safe to create on Linux, macOS and Windows, cannot escape
//! the folder it is extracted into, and cannot hide from a reviewer (no invisible or bidi
//! characters). The same rules apply when packing a folder and when reading a bundle, so a
//! bundle that `pack` writes is always one that `read` accepts.

use std::fmt;

use unicode_normalization::{UnicodeNormalization, is_nfc};

use crate::limits::Limits;

/// The root folder reserved for what `install` writes beside a Skill's files (the receipt):
/// no file of a Skill may be in it, or collide with it on a case-insensitive filesystem.
pub const RESERVED_ROOT: &str = ".skillsig";

/// A relative, `/`-separated path that passed every rule in this module.
///
/// Only [`SkillPath::parse`] makes one, so holding a `SkillPath` proves the rules were checked.
/// Ordering is bytewise on the UTF-8 text, the order files take in a bundle and in a manifest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SkillPath(String);

/// Why a path was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// Not UTF-8.
    #[error("the path is not valid UTF-8")]
    InvalidUtf8,
    /// Empty.
    #[error("the path is empty")]
    Empty,
    /// Starts with `/` or a drive.
    #[error("the path is absolute")]
    Absolute,
    /// Has a `..` component.
    #[error("the path has a `..` component")]
    ParentComponent,
    /// Has an empty or `.` component, or a trailing `/`.
    #[error("the path is not clean ({0})")]
    NotClean(&'static str),
    /// Has a backslash.
    #[error("the path has a backslash")]
    Backslash,
    /// Has a character Windows forbids.
    #[error("the path has the character {0:?}, which Windows forbids")]
    ForbiddenChar(char),
    /// Has a control character.
    #[error("the path has the control character U+{0:04X}")]
    ControlChar(u32),
    /// Has an invisible or bidi character.
    #[error("the path has the invisible or bidi character U+{0:04X}")]
    InvisibleChar(u32),
    /// A component is a Windows device name (`CON`, `NUL`, …).
    #[error("the component {0:?} is a reserved device name on Windows")]
    ReservedName(String),
    /// The first component names the folder an installed Skill keeps its receipt in.
    #[error(
        "{0:?} at the root is reserved: an installed Skill keeps its receipt, manifest and signature in `{RESERVED_ROOT}/`"
    )]
    Reserved(String),
    /// A component ends with a dot or a space.
    #[error("the component {0:?} ends with a dot or a space")]
    TrailingDotOrSpace(String),
    /// A component looks like a Windows 8.3 short name (`PROGRA~1`).
    #[error("the component {0:?} looks like a Windows 8.3 short name")]
    ShortNameLookalike(String),
    /// Not in Unicode NFC.
    #[error("the path is not in Unicode NFC form")]
    NotNfc,
    /// Longer than the limit.
    #[error("the path is {len} bytes long; the limit is {limit}")]
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// A component longer than the limit.
    #[error("the component {component:?} is {len} bytes long; the limit is {limit}")]
    ComponentTooLong {
        /// The component.
        component: String,
        /// Its length in bytes.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// More levels than the limit.
    #[error("the path is {depth} levels deep; the limit is {limit}")]
    TooDeep {
        /// Its depth.
        depth: usize,
        /// The limit.
        limit: usize,
    },
}

impl PathError {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            PathError::InvalidUtf8 => "path-invalid-utf8",
            PathError::Empty => "path-empty",
            PathError::Absolute => "path-absolute",
            PathError::ParentComponent => "path-parent-component",
            PathError::NotClean(..) => "path-not-clean",
            PathError::Backslash => "path-backslash",
            PathError::ForbiddenChar(..) => "path-forbidden-char",
            PathError::ControlChar(..) => "path-control-char",
            PathError::InvisibleChar(..) => "path-invisible-char",
            PathError::ReservedName(..) => "path-reserved-name",
            PathError::Reserved(..) => "path-reserved",
            PathError::TrailingDotOrSpace(..) => "path-trailing-dot-or-space",
            PathError::ShortNameLookalike(..) => "path-short-name-lookalike",
            PathError::NotNfc => "path-not-nfc",
            PathError::TooLong { .. } => "path-too-long",
            PathError::ComponentTooLong { .. } => "path-component-too-long",
            PathError::TooDeep { .. } => "path-too-deep",
        }
    }
}

impl SkillPath {
    /// Checks `raw` against every path rule and the path limits in `limits`.
    ///
    /// ```
    /// use skillsig::Limits;
    /// use skillsig::tree::{PathError, SkillPath};
    ///
    /// let limits = Limits::DEFAULT;
    /// assert_eq!(SkillPath::parse("scripts/run.sh", &limits)?.as_str(), "scripts/run.sh");
    /// assert_eq!(SkillPath::parse("../.ssh/id_ed25519", &limits), Err(PathError::ParentComponent));
    /// assert_eq!(SkillPath::parse("scripts\\run.sh", &limits), Err(PathError::Backslash));
    /// assert!(matches!(SkillPath::parse("aux.txt", &limits), Err(PathError::ReservedName(_))));
    /// # Ok::<(), PathError>(())
    /// ```
    pub fn parse(raw: &str, limits: &Limits) -> Result<SkillPath, PathError> {
        check(raw, limits)?;
        Ok(SkillPath(raw.to_owned()))
    }

    /// Like [`SkillPath::parse`], for raw bytes such as an archive header's name field.
    pub fn parse_bytes(raw: &[u8], limits: &Limits) -> Result<SkillPath, PathError> {
        let text = std::str::from_utf8(raw).map_err(|_| PathError::InvalidUtf8)?;
        SkillPath::parse(text, limits)
    }

    /// The path as `/`-separated text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The components of the path, in order.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// The key two paths share when a case-insensitive or normalizing filesystem would store
    /// them as the same file: NFC of the full Unicode case folding (so `ß` meets `ss`).
    pub fn collision_key(&self) -> String {
        collision_key(&self.0)
    }
}

impl fmt::Display for SkillPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for SkillPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Case-folded, NFC-normalized form of a path, for collision checks.
pub(crate) fn collision_key(text: &str) -> String {
    let decomposed: String = text.nfd().collect();
    caseless::default_case_fold_str(&decomposed).nfc().collect()
}

fn check(raw: &str, limits: &Limits) -> Result<(), PathError> {
    if raw.is_empty() {
        return Err(PathError::Empty);
    }
    if is_absolute(raw) {
        return Err(PathError::Absolute);
    }
    if raw.contains('\\') {
        return Err(PathError::Backslash);
    }
    if raw.len() > limits.max_path_bytes {
        return Err(PathError::TooLong {
            len: raw.len(),
            limit: limits.max_path_bytes,
        });
    }
    let mut depth = 0;
    for component in raw.split('/') {
        depth += 1;
        check_component(component, limits)?;
    }
    let first = raw.split('/').next().unwrap_or("");
    if collision_key(first) == RESERVED_ROOT {
        return Err(PathError::Reserved(first.to_owned()));
    }
    if depth > limits.max_depth {
        return Err(PathError::TooDeep {
            depth,
            limit: limits.max_depth,
        });
    }
    if !is_nfc(raw) {
        return Err(PathError::NotNfc);
    }
    Ok(())
}

fn is_absolute(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    let drive = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
    raw.starts_with('/') || raw.starts_with('\\') || drive
}

fn check_component(component: &str, limits: &Limits) -> Result<(), PathError> {
    match component {
        "" => return Err(PathError::NotClean("empty component")),
        "." => return Err(PathError::NotClean("`.` component")),
        ".." => return Err(PathError::ParentComponent),
        _ => {}
    }
    for ch in component.chars() {
        let code = ch as u32;
        if code < 0x20 || code == 0x7f {
            return Err(PathError::ControlChar(code));
        }
        if matches!(ch, '<' | '>' | ':' | '"' | '|' | '?' | '*') {
            return Err(PathError::ForbiddenChar(ch));
        }
        if is_invisible(ch) {
            return Err(PathError::InvisibleChar(code));
        }
    }
    if component.chars().all(|c| c == '.') {
        return Err(PathError::NotClean("component of only dots"));
    }
    if component.ends_with('.') || component.ends_with(' ') {
        return Err(PathError::TrailingDotOrSpace(component.to_owned()));
    }
    if is_reserved_windows_name(component) {
        return Err(PathError::ReservedName(component.to_owned()));
    }
    if looks_like_short_name(component) {
        return Err(PathError::ShortNameLookalike(component.to_owned()));
    }
    if component.len() > limits.max_component_bytes {
        return Err(PathError::ComponentTooLong {
            component: component.to_owned(),
            len: component.len(),
            limit: limits.max_component_bytes,
        });
    }
    Ok(())
}

/// Characters that render as nothing or reorder text: a name holding one can look like another.
pub(crate) fn is_invisible(ch: char) -> bool {
    matches!(ch as u32,
        0x00AD | 0x034F | 0x061C | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
        | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFF8 | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF)
}

/// Device names Windows reserves in every folder, whatever the case or extension
/// (`con.txt` opens the console). The superscript digits count as digits there.
fn is_reserved_windows_name(component: &str) -> bool {
    let stem = component
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end_matches(' ');
    let upper = stem.to_ascii_uppercase();
    if matches!(
        upper.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$"
    ) {
        return true;
    }
    let mut chars = stem.chars();
    let prefix: String = chars
        .by_ref()
        .take(3)
        .collect::<String>()
        .to_ascii_uppercase();
    let rest: Vec<char> = chars.collect();
    (prefix == "COM" || prefix == "LPT")
        && rest.len() == 1
        && (rest[0].is_ascii_digit() || matches!(rest[0], '¹' | '²' | '³'))
}

/// `~` followed by digits, as in `SKILL~1.MD`: on a volume with short names enabled such a
/// name can alias another file.
fn looks_like_short_name(component: &str) -> bool {
    let bytes = component.as_bytes();
    bytes
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'~' && bytes.get(i + 1).is_some_and(|next| next.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<SkillPath, PathError> {
        SkillPath::parse(raw, &Limits::DEFAULT)
    }

    #[test]
    fn accepts_ordinary_paths() {
        for ok in [
            "SKILL.md",
            "scripts/run.py",
            "a-b/c_d/e.f.g",
            "références/été.md",
            "资料/说明.md",
            ".skillignore",
            "assets/.keep",
            "emoji-🐙.txt",
            "com10.txt",
            "console.md",
            "file~name",
        ] {
            assert!(
                parse(ok).is_ok(),
                "{ok} should be accepted: {:?}",
                parse(ok)
            );
        }
    }

    #[test]
    fn row_1_parent_components() {
        assert_eq!(parse("../x"), Err(PathError::ParentComponent));
        assert_eq!(parse("a/../../x"), Err(PathError::ParentComponent));
        assert_eq!(parse("a/.."), Err(PathError::ParentComponent));
    }

    #[test]
    fn row_2_absolute_paths() {
        for abs in ["/x", "//x", "C:\\x", "C:x", "c:/x", "\\\\server\\share"] {
            assert_eq!(parse(abs), Err(PathError::Absolute), "{abs}");
        }
    }

    #[test]
    fn row_3_unclean_paths() {
        for bad in ["./a", "a//b", "a/./b", "a/", "a/b/"] {
            assert!(matches!(parse(bad), Err(PathError::NotClean(_))), "{bad}");
        }
    }

    #[test]
    fn row_4_backslash() {
        assert_eq!(parse("a\\b"), Err(PathError::Backslash));
    }

    #[test]
    fn row_5_forbidden_and_control_characters() {
        for ch in ['<', '>', ':', '"', '|', '?', '*'] {
            assert_eq!(
                parse(&format!("ab{ch}c")),
                Err(PathError::ForbiddenChar(ch))
            );
        }
        assert_eq!(parse("a\u{0}b"), Err(PathError::ControlChar(0)));
        assert_eq!(parse("a\nb"), Err(PathError::ControlChar(10)));
        assert_eq!(parse("a\u{7f}"), Err(PathError::ControlChar(0x7f)));
    }

    #[test]
    fn row_6_reserved_windows_names() {
        for bad in [
            "CON",
            "con.txt",
            "dir/Nul.md",
            "aux.tar.gz",
            "COM1",
            "lpt9.log",
            "CONIN$",
            "com¹",
        ] {
            assert!(
                matches!(parse(bad), Err(PathError::ReservedName(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn row_7_trailing_dot_space_and_dots_only() {
        assert!(matches!(parse("a."), Err(PathError::TrailingDotOrSpace(_))));
        assert!(matches!(
            parse("a /b"),
            Err(PathError::TrailingDotOrSpace(_))
        ));
        assert!(matches!(parse("a/..."), Err(PathError::NotClean(_))));
    }

    #[test]
    fn row_8_short_name_lookalikes() {
        assert!(matches!(
            parse("SKILL~1.MD"),
            Err(PathError::ShortNameLookalike(_))
        ));
        assert!(matches!(
            parse("dir/PROGRA~12/x"),
            Err(PathError::ShortNameLookalike(_))
        ));
    }

    #[test]
    fn row_9_invalid_utf8() {
        assert_eq!(
            SkillPath::parse_bytes(b"a\xffb", &Limits::DEFAULT),
            Err(PathError::InvalidUtf8)
        );
    }

    #[test]
    fn row_10_not_nfc() {
        assert_eq!(parse("e\u{301}.md"), Err(PathError::NotNfc));
        assert!(parse("\u{e9}.md").is_ok());
    }

    #[test]
    fn row_11_collision_keys_meet() {
        let key = |s: &str| parse(s).unwrap().collision_key();
        assert_eq!(key("SKILL.md"), key("skill.md"));
        assert_eq!(key("straße.md"), key("STRASSE.md"));
        assert_eq!(key("Ä.md"), collision_key("a\u{308}.md"));
        assert_ne!(key("a.md"), key("b.md"));
    }

    #[test]
    fn row_14_invisible_and_bidi_characters() {
        for code in [
            0x200B, 0x200F, 0x202A, 0x202E, 0x2066, 0x2069, 0xFEFF, 0xE0041,
        ] {
            let ch = char::from_u32(code).unwrap();
            assert_eq!(
                parse(&format!("a{ch}b")),
                Err(PathError::InvisibleChar(code))
            );
        }
    }

    #[test]
    fn row_15_length_and_depth_limits() {
        let long_component = "a".repeat(101);
        assert!(matches!(
            parse(&long_component),
            Err(PathError::ComponentTooLong { .. })
        ));
        let long_path = vec!["a".repeat(50); 6].join("/");
        assert!(matches!(
            parse(&long_path),
            Err(PathError::TooLong { len: 305, .. })
        ));
        let deep = vec!["a"; 33].join("/");
        assert_eq!(
            parse(&deep),
            Err(PathError::TooDeep {
                depth: 33,
                limit: 32
            })
        );
        assert!(parse(&vec!["a"; 32].join("/")).is_ok());
    }
}
