//! The tar layer of a `.skill`: a deterministic ustar writer and a strict streaming reader.
//!
//! Written here rather than taken from the `tar` crate because the reader's job is to refuse:
//! the crate's reader applies PAX and GNU extensions, follows `..`, strips `/` and lets the last
//! duplicate win (see the archive-safety reference), and its header setters rewrite paths. The
//! ustar header is a fixed 512-byte layout, small enough to own completely, so every field we
//! write and every field we trust is visible in this file.

use super::ReadError;
use crate::limits::Limits;
use crate::tree::{FileTree, SkillPath, TreeBuilder};

const BLOCK: usize = 512;
/// The one modification time every entry carries (2026-01-01T00:00:00Z). Not 0: some tools
/// treat the epoch as "unknown".
pub const MTIME: u64 = 1_767_225_600;
/// Largest PAX extended header accepted; a `path` record never needs more.
const MAX_PAX_BYTES: u64 = 4096;
/// Most zero bytes accepted after the end-of-archive marker.
const MAX_END_PADDING: usize = 1 << 20;

/// Field offsets and lengths of the ustar header.
mod field {
    pub const NAME: (usize, usize) = (0, 100);
    pub const MODE: (usize, usize) = (100, 8);
    pub const UID: (usize, usize) = (108, 8);
    pub const GID: (usize, usize) = (116, 8);
    pub const SIZE: (usize, usize) = (124, 12);
    pub const MTIME: (usize, usize) = (136, 12);
    pub const CHKSUM: (usize, usize) = (148, 8);
    pub const TYPEFLAG: usize = 156;
    pub const MAGIC: (usize, usize) = (257, 8);
    pub const PREFIX: (usize, usize) = (345, 155);
}
const USTAR_MAGIC: &[u8; 8] = b"ustar\x0000";

/// A path too long for a plain ustar header; skillsig never emits PAX or GNU long names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{path}: the path cannot be stored in a ustar header (name ≤ 100 bytes after a folder prefix ≤ 155 bytes)"
)]
pub struct PathDoesNotFit {
    /// The path that does not fit.
    pub path: String,
}

/// Serializes `tree` as an uncompressed ustar archive: sorted entries, regular files only,
/// modes 0644/0755, uid/gid 0, no user or group names, one fixed mtime.
pub fn write(tree: &FileTree) -> Result<Vec<u8>, PathDoesNotFit> {
    let capacity: usize = tree
        .iter()
        .map(|(_, f)| BLOCK + f.data.len().div_ceil(BLOCK) * BLOCK)
        .sum::<usize>()
        + 2 * BLOCK;
    let mut out = Vec::with_capacity(capacity);
    for (path, entry) in tree.iter() {
        let mode = if entry.executable { 0o755 } else { 0o644 };
        out.extend_from_slice(&header(path, mode, entry.data.len() as u64)?);
        out.extend_from_slice(&entry.data);
        out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
    }
    out.resize(out.len() + 2 * BLOCK, 0);
    Ok(out)
}

fn header(path: &SkillPath, mode: u32, size: u64) -> Result<[u8; BLOCK], PathDoesNotFit> {
    let (prefix, name) = split_path(path.as_str()).ok_or_else(|| PathDoesNotFit {
        path: path.to_string(),
    })?;
    let mut h = [0u8; BLOCK];
    put(&mut h, field::NAME, name.as_bytes());
    put_octal(&mut h, field::MODE, mode.into());
    put_octal(&mut h, field::UID, 0);
    put_octal(&mut h, field::GID, 0);
    put_octal(&mut h, field::SIZE, size);
    put_octal(&mut h, field::MTIME, MTIME);
    h[field::TYPEFLAG] = b'0';
    put(&mut h, field::MAGIC, USTAR_MAGIC);
    put(&mut h, field::PREFIX, prefix.as_bytes());
    let sum = checksum(&h);
    // Six octal digits, NUL, space: the historic layout every reader accepts.
    put(&mut h, field::CHKSUM, format!("{sum:06o}\0 ").as_bytes());
    Ok(h)
}

/// Splits a path into ustar `prefix` and `name`, at the last `/` that makes both fit.
fn split_path(path: &str) -> Option<(&str, &str)> {
    if path.len() <= field::NAME.1 {
        return Some(("", path));
    }
    path.rmatch_indices('/')
        .map(|(i, _)| (&path[..i], &path[i + 1..]))
        .find(|(prefix, name)| prefix.len() <= field::PREFIX.1 && name.len() <= field::NAME.1)
}

fn put(h: &mut [u8; BLOCK], (start, len): (usize, usize), value: &[u8]) {
    h[start..start + value.len().min(len)].copy_from_slice(&value[..value.len().min(len)]);
}

fn put_octal(h: &mut [u8; BLOCK], (start, len): (usize, usize), value: u64) {
    let text = format!("{value:0width$o}\0", width = len - 1);
    put(h, (start, len), text.as_bytes());
}

fn checksum(h: &[u8; BLOCK]) -> u32 {
    let (start, len) = field::CHKSUM;
    h.iter()
        .enumerate()
        .map(|(i, &b)| {
            if (start..start + len).contains(&i) {
                u32::from(b' ')
            } else {
                u32::from(b)
            }
        })
        .sum()
}

/// A source of uncompressed archive bytes.
pub trait Source {
    /// Reads up to `buf.len()` bytes; 0 means the end of the data.
    fn read_some(&mut self, buf: &mut [u8]) -> Result<usize, ReadError>;

    /// Fills `buf` completely; `Ok(false)` when the data ended before the first byte.
    fn fill(&mut self, buf: &mut [u8], entry: &str) -> Result<bool, ReadError> {
        let mut filled = 0;
        while filled < buf.len() {
            let n = self.read_some(&mut buf[filled..])?;
            if n == 0 {
                if filled == 0 {
                    return Ok(false);
                }
                return Err(ReadError::Truncated {
                    entry: entry.to_owned(),
                });
            }
            filled += n;
        }
        Ok(true)
    }
}

/// Reads a ustar archive, refusing every construct the archive-safety checklist names.
pub fn read(source: &mut impl Source, limits: &Limits) -> Result<FileTree, ReadError> {
    let mut builder = TreeBuilder::new(*limits);
    // Directory entries and PAX headers count too, so no input can make us loop for long.
    let max_headers = limits.max_files.saturating_mul(4).saturating_add(64);
    let mut headers = 0usize;
    let mut offset = 0u64;
    let mut pax_path: Option<Vec<u8>> = None;
    let mut block = [0u8; BLOCK];
    loop {
        if !source.fill(&mut block, "(end of archive)")? {
            return Err(ReadError::NoEndMarker);
        }
        if block.iter().all(|&b| b == 0) {
            if pax_path.is_some() {
                return Err(ReadError::Pax {
                    entry: "(end of archive)".into(),
                    reason: "a PAX header is not followed by an entry".into(),
                });
            }
            finish_after_end_marker(source)?;
            return Ok(builder.finish());
        }
        headers += 1;
        if headers > max_headers {
            return Err(ReadError::TooManyEntries { limit: max_headers });
        }
        let raw_name = header_name(&block);
        let mut entry =
            String::from_utf8_lossy(pax_path.as_deref().unwrap_or(&raw_name)).into_owned();
        if entry.is_empty() {
            entry = format!("(unnamed entry at byte {offset})");
        }
        if stored_checksum(&block, &entry)? != checksum(&block) {
            return Err(ReadError::BadChecksum { entry });
        }
        if &block[field::MAGIC.0..field::MAGIC.0 + field::MAGIC.1] != USTAR_MAGIC {
            return Err(ReadError::NotUstar { entry });
        }
        let size = octal(&block, field::SIZE, &entry, "size")?;
        let mode = octal(&block, field::MODE, &entry, "mode")?;
        offset +=
            (BLOCK as u64).saturating_add(size.div_ceil(BLOCK as u64).saturating_mul(BLOCK as u64));
        match block[field::TYPEFLAG] {
            b'0' | b'\0' => {
                let name = pax_path.take().unwrap_or(raw_name);
                let path =
                    SkillPath::parse_bytes(&name, limits).map_err(|source| ReadError::Path {
                        entry: entry.clone(),
                        source,
                    })?;
                builder.check_admission(&path, size)?;
                let data = read_data(source, size, &entry)?;
                builder.add(path, data, mode & 0o100 != 0)?;
            }
            b'5' => {
                // Directories are implied by file paths; their entries are checked, never used.
                let name = pax_path.take().unwrap_or(raw_name);
                let trimmed = name.strip_suffix(b"/").unwrap_or(&name);
                SkillPath::parse_bytes(trimmed, limits).map_err(|source| ReadError::Path {
                    entry: entry.clone(),
                    source,
                })?;
                if size != 0 {
                    return Err(ReadError::DirectoryWithData { entry });
                }
            }
            b'x' => {
                if pax_path.is_some() {
                    return Err(ReadError::Pax {
                        entry,
                        reason: "two PAX headers in a row".into(),
                    });
                }
                if size > MAX_PAX_BYTES {
                    return Err(ReadError::Pax {
                        entry,
                        reason: format!("PAX header of {size} bytes (limit {MAX_PAX_BYTES})"),
                    });
                }
                let data = read_data(source, size, &entry)?;
                pax_path = Some(parse_pax(&data, &entry)?);
            }
            flag => {
                return Err(ReadError::UnsupportedEntry {
                    entry,
                    kind: entry_kind(flag),
                });
            }
        }
    }
}

fn entry_kind(flag: u8) -> String {
    match flag {
        b'1' => "a hard link".into(),
        b'2' => "a symbolic link".into(),
        b'3' => "a character device".into(),
        b'4' => "a block device".into(),
        b'6' => "a FIFO".into(),
        b'7' => "a contiguous file".into(),
        b'g' => "a global PAX header".into(),
        b'S' => "a GNU sparse file".into(),
        b'L' | b'K' => "a GNU long-name record".into(),
        other => format!("an entry of unknown type {:?}", char::from(other)),
    }
}

fn header_name(block: &[u8; BLOCK]) -> Vec<u8> {
    let name = until_nul(&block[field::NAME.0..field::NAME.0 + field::NAME.1]);
    let prefix = until_nul(&block[field::PREFIX.0..field::PREFIX.0 + field::PREFIX.1]);
    if prefix.is_empty() {
        name.to_vec()
    } else {
        [prefix, b"/", name].concat()
    }
}

fn until_nul(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    &bytes[..end]
}

fn stored_checksum(block: &[u8; BLOCK], entry: &str) -> Result<u32, ReadError> {
    let value = octal(block, field::CHKSUM, entry, "checksum")?;
    u32::try_from(value).map_err(|_| ReadError::BadNumber {
        entry: entry.to_owned(),
        field: "checksum",
    })
}

/// Parses a numeric field strictly: optional leading spaces, octal digits, then only NULs or
/// spaces. Base-256 (GNU) numbers and anything else are refused.
fn octal(
    block: &[u8; BLOCK],
    (start, len): (usize, usize),
    entry: &str,
    name: &'static str,
) -> Result<u64, ReadError> {
    let bad = || ReadError::BadNumber {
        entry: entry.to_owned(),
        field: name,
    };
    let raw = &block[start..start + len];
    let text = raw.iter().skip_while(|&&b| b == b' ');
    let mut value: u64 = 0;
    let mut digits = 0;
    let mut ended = false;
    for &b in text {
        match b {
            b'0'..=b'7' if !ended => {
                value = value.checked_mul(8).ok_or_else(bad)? + u64::from(b - b'0');
                digits += 1;
            }
            b'\0' | b' ' => ended = true,
            _ => return Err(bad()),
        }
    }
    if digits == 0 {
        return Err(bad());
    }
    Ok(value)
}

fn read_data(source: &mut impl Source, size: u64, entry: &str) -> Result<Vec<u8>, ReadError> {
    let len = usize::try_from(size).map_err(|_| ReadError::Truncated {
        entry: entry.to_owned(),
    })?;
    let mut data = vec![0u8; len];
    if len > 0 && !source.fill(&mut data, entry)? {
        return Err(ReadError::Truncated {
            entry: entry.to_owned(),
        });
    }
    let padding = (BLOCK - len % BLOCK) % BLOCK;
    let mut pad = [0u8; BLOCK];
    if padding > 0 && !source.fill(&mut pad[..padding], entry)? {
        return Err(ReadError::Truncated {
            entry: entry.to_owned(),
        });
    }
    Ok(data)
}

/// Parses PAX records (`"<len> <key>=<value>\n"`) and returns the `path` value. Any other key
/// is refused: `size` would make readers disagree about where the entry ends.
fn parse_pax(mut data: &[u8], entry: &str) -> Result<Vec<u8>, ReadError> {
    let malformed = |why: &str| ReadError::Pax {
        entry: entry.to_owned(),
        reason: format!("malformed PAX record: {why}"),
    };
    let mut path = None;
    while !data.is_empty() {
        let space = data
            .iter()
            .position(|&b| b == b' ')
            .ok_or_else(|| malformed("no length"))?;
        let len: usize = std::str::from_utf8(&data[..space])
            .ok()
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| malformed("bad length"))?;
        if len <= space + 1 || len > data.len() || data[len - 1] != b'\n' {
            return Err(malformed("length does not match the record"));
        }
        let record = &data[space + 1..len - 1];
        let eq = record
            .iter()
            .position(|&b| b == b'=')
            .ok_or_else(|| malformed("no `=`"))?;
        let (key, value) = (&record[..eq], &record[eq + 1..]);
        match key {
            b"path" if path.is_none() => path = Some(value.to_vec()),
            b"path" => return Err(malformed("`path` given twice")),
            b"size" => {
                return Err(ReadError::Pax {
                    entry: entry.to_owned(),
                    reason: "PAX `size` record overrides the header size".into(),
                });
            }
            other => {
                return Err(ReadError::Pax {
                    entry: entry.to_owned(),
                    reason: format!(
                        "PAX record `{}` is not allowed",
                        String::from_utf8_lossy(other)
                    ),
                });
            }
        }
        data = &data[len..];
    }
    path.ok_or_else(|| malformed("no `path` record"))
}

/// After the first zero block: a second one must follow, then only zero padding (tar pads to
/// its record size; more than [`MAX_END_PADDING`] is not padding but a zero bomb).
fn finish_after_end_marker(source: &mut impl Source) -> Result<(), ReadError> {
    let mut padding = 0usize;
    let mut block = [0u8; BLOCK];
    if !source.fill(&mut block, "(end of archive)")? {
        return Err(ReadError::NoEndMarker);
    }
    if block.iter().any(|&b| b != 0) {
        return Err(ReadError::DataAfterEnd);
    }
    loop {
        let n = source.read_some(&mut block)?;
        if n == 0 {
            return Ok(());
        }
        padding += n;
        if padding > MAX_END_PADDING || block[..n].iter().any(|&b| b != 0) {
            return Err(ReadError::DataAfterEnd);
        }
    }
}
