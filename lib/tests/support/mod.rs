//! Helpers shared by the integration tests: a raw tar builder that can write any header,
//! including the malformed ones the reader must refuse; a folder's files, to show a refusal
//! wrote nothing; and a registry forger ([`forge`]).

#![allow(dead_code)]

pub mod forge;

use std::io::Write;

pub const BLOCK: usize = 512;

/// A minimal SKILL.md every well-formed test bundle carries.
pub const SKILL_MD: &[u8] = b"---\nname: t\ndescription: test\n---\n";

/// One raw 512-byte header with the fields the tests set.
#[derive(Clone)]
pub struct Header {
    pub name: Vec<u8>,
    pub prefix: Vec<u8>,
    pub mode: u32,
    pub size_field: Option<Vec<u8>>,
    pub typeflag: u8,
    pub magic: [u8; 8],
    pub uid: u64,
    pub uname: Vec<u8>,
    pub mtime: u64,
    pub bad_checksum: bool,
}

impl Header {
    pub fn file(name: &str) -> Header {
        Header {
            name: name.as_bytes().to_vec(),
            prefix: Vec::new(),
            mode: 0o644,
            size_field: None,
            typeflag: b'0',
            magic: *b"ustar\x0000",
            uid: 0,
            uname: Vec::new(),
            mtime: 0,
            bad_checksum: false,
        }
    }

    pub fn typed(name: &str, typeflag: u8) -> Header {
        Header {
            typeflag,
            ..Header::file(name)
        }
    }

    pub fn encode(&self, size: u64) -> [u8; BLOCK] {
        let mut h = [0u8; BLOCK];
        h[..self.name.len()].copy_from_slice(&self.name);
        h[100..108].copy_from_slice(format!("{:07o}\0", self.mode).as_bytes());
        h[108..116].copy_from_slice(format!("{:07o}\0", self.uid).as_bytes());
        h[116..124].copy_from_slice(b"0000000\0");
        match &self.size_field {
            Some(raw) => h[124..124 + raw.len()].copy_from_slice(raw),
            None => h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes()),
        }
        h[136..148].copy_from_slice(format!("{:011o}\0", self.mtime).as_bytes());
        h[156] = self.typeflag;
        h[257..265].copy_from_slice(&self.magic);
        h[265..265 + self.uname.len()].copy_from_slice(&self.uname);
        h[345..345 + self.prefix.len()].copy_from_slice(&self.prefix);
        h[148..156].copy_from_slice(b"        ");
        let mut sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        if self.bad_checksum {
            sum += 1;
        }
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        h
    }
}

/// Builds an uncompressed tar stream entry by entry.
#[derive(Default, Clone)]
pub struct RawTar {
    pub bytes: Vec<u8>,
}

impl RawTar {
    pub fn new() -> RawTar {
        RawTar::default()
    }

    /// A tar that already holds a valid root SKILL.md.
    pub fn with_skill_md() -> RawTar {
        RawTar::new().file("SKILL.md", SKILL_MD)
    }

    pub fn entry(mut self, header: &Header, data: &[u8]) -> RawTar {
        self.bytes
            .extend_from_slice(&header.encode(data.len() as u64));
        self.bytes.extend_from_slice(data);
        self.pad();
        self
    }

    pub fn file(self, name: &str, data: &[u8]) -> RawTar {
        self.entry(&Header::file(name), data)
    }

    pub fn pax(self, records: &[(&str, &[u8])]) -> RawTar {
        let mut body = Vec::new();
        for (key, value) in records {
            let payload_len = key.len() + value.len() + 3; // ' ', '=', '\n'
            let mut len = payload_len + 1;
            while len != payload_len + len.to_string().len() {
                len = payload_len + len.to_string().len();
            }
            body.extend_from_slice(format!("{len} {key}=").as_bytes());
            body.extend_from_slice(value);
            body.push(b'\n');
        }
        self.entry(&Header::typed("PaxHeader", b'x'), &body)
    }

    pub fn raw(mut self, bytes: &[u8]) -> RawTar {
        self.bytes.extend_from_slice(bytes);
        self
    }

    pub fn pad(&mut self) {
        let len = self.bytes.len().div_ceil(BLOCK) * BLOCK;
        self.bytes.resize(len, 0);
    }

    pub fn end(mut self) -> Vec<u8> {
        self.bytes.resize(self.bytes.len() + 2 * BLOCK, 0);
        self.bytes
    }
}

/// gzip by an independent implementation (flate2), so the reader is tested on bytes our own
/// encoder did not write; only the header is set to the fixed one every bundle carries
/// (flate2 writes XFL for its level; the header is outside the CRC).
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    let mut out = encoder.finish().unwrap();
    out[..10].copy_from_slice(&skillsig::bundle::GZIP_HEADER);
    out
}

/// Every file under `dir` (relative path → bytes), to show that a refusal wrote nothing.
pub fn files_under(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(folder) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap().display().to_string();
                out.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}
