//! Deterministic gzip encoding and strict, bounded gzip decoding.
//!
//! The encoder calls `miniz_oxide` directly instead of going through `flate2`: Cargo unifies
//! features, so any crate in an embedding program that switches flate2 to zlib or zlib-rs would
//! change our output bytes. Input is cut into fixed 1 MiB chunks, each deflated by a fresh
//! compressor and ended with a sync flush, so the chunks compress in parallel and still form one
//! valid deflate stream; the bytes depend only on the input, never on the thread count.
//!
//! The decoder accepts exactly one gzip member and nothing after it: `gzip -dc` reads every
//! member while single-member decoders stop at the first, and a bundle must mean the same thing
//! to every reader.

use miniz_oxide::deflate::core::{
    CompressorOxide, TDEFLFlush, TDEFLStatus, compress_to_output, create_comp_flags_from_zip_params,
};
use miniz_oxide::inflate::stream::{InflateState, inflate};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};
use rayon::prelude::*;

/// The deflate level skillsig writes (gzip's default).
pub const LEVEL: u8 = 6;
/// Size of the independently compressed chunks.
const CHUNK: usize = 1 << 20;
/// OS byte of the gzip header: 255, "unknown", so the bytes do not depend on the platform.
const OS_UNKNOWN: u8 = 255;

/// Why a gzip stream was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GzipError {
    /// Not gzip.
    #[error("not a gzip file (bad magic bytes)")]
    BadMagic,
    /// A compression method other than deflate.
    #[error("unsupported gzip compression method {0}")]
    BadMethod(u8),
    /// Reserved flag bits set.
    #[error("gzip header has reserved flag bits set")]
    ReservedFlags,
    /// A truncated or malformed header.
    #[error("gzip header is truncated or malformed")]
    BadHeader,
    /// The deflate data is corrupt.
    #[error("the compressed data is corrupt")]
    Corrupt,
    /// The deflate data ends early.
    #[error("the compressed data ends early")]
    Truncated,
    /// The trailer's CRC-32 does not match.
    #[error("gzip trailer: CRC-32 does not match the data")]
    CrcMismatch,
    /// The trailer's length does not match.
    #[error("gzip trailer: length does not match the data")]
    LengthMismatch,
    /// A second gzip member (refused: a bundle is one member).
    #[error("a second gzip member follows the first")]
    SecondMember,
    /// Bytes after the member.
    #[error("{0} bytes of trailing data follow the gzip member")]
    TrailingData(usize),
}

/// Compresses `data` into a single gzip member with a fixed header (no mtime, no file name).
pub fn encode(data: &[u8]) -> Vec<u8> {
    let chunks: Vec<&[u8]> = if data.is_empty() {
        vec![&[][..]]
    } else {
        data.chunks(CHUNK).collect()
    };
    let last = chunks.len() - 1;
    let parts: Vec<Vec<u8>> = chunks
        .par_iter()
        .enumerate()
        .map(|(i, chunk)| deflate_chunk(chunk, i == last))
        .collect();

    let body: usize = parts.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(10 + body + 8);
    // ID1 ID2 CM FLG MTIME(4) XFL OS
    out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, OS_UNKNOWN]);
    for part in &parts {
        out.extend_from_slice(part);
    }
    out.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

fn deflate_chunk(chunk: &[u8], last: bool) -> Vec<u8> {
    let flags = create_comp_flags_from_zip_params(LEVEL.into(), -15, 0);
    let mut compressor = CompressorOxide::new(flags);
    let mut out = Vec::with_capacity(chunk.len() / 2 + 64);
    let flush = if last {
        TDEFLFlush::Finish
    } else {
        TDEFLFlush::Sync
    };
    let (status, consumed) = compress_to_output(&mut compressor, chunk, flush, |bytes| {
        out.extend_from_slice(bytes);
        true
    });
    let expected = if last {
        TDEFLStatus::Done
    } else {
        TDEFLStatus::Okay
    };
    // A callback that always accepts output cannot make the compressor stop early.
    assert!(
        status == expected && consumed == chunk.len(),
        "deflate stopped early: {status:?}"
    );
    out
}

/// Reads the uncompressed bytes of one gzip member from a slice, checking its trailer and
/// refusing anything after it. `Read` is implemented so callers can stream and stop early.
pub struct Decoder<'a> {
    input: &'a [u8],
    state: Box<InflateState>,
    crc: crc32fast::Hasher,
    produced: u64,
    finished: bool,
}

impl<'a> Decoder<'a> {
    /// Parses the gzip header of `input`.
    pub fn new(input: &'a [u8]) -> Result<Decoder<'a>, GzipError> {
        let body = skip_header(input)?;
        Ok(Decoder {
            input: body,
            state: InflateState::new_boxed(DataFormat::Raw),
            crc: crc32fast::Hasher::new(),
            produced: 0,
            finished: false,
        })
    }

    /// Fills `out` with the next uncompressed bytes; returns 0 at the end of the member, after
    /// its trailer has been checked.
    pub fn read_some(&mut self, out: &mut [u8]) -> Result<usize, GzipError> {
        if self.finished || out.is_empty() {
            return Ok(0);
        }
        loop {
            let result = inflate(&mut self.state, self.input, out, MZFlush::None);
            self.input = &self.input[result.bytes_consumed..];
            let written = result.bytes_written;
            self.crc.update(&out[..written]);
            self.produced += written as u64;
            match result.status {
                Ok(MZStatus::StreamEnd) => {
                    self.check_trailer()?;
                    self.finished = true;
                    return Ok(written);
                }
                Ok(_) if written > 0 => return Ok(written),
                Ok(_) if self.input.is_empty() => return Err(GzipError::Truncated),
                Ok(_) if result.bytes_consumed == 0 => return Err(GzipError::Corrupt),
                Ok(_) => {}
                Err(MZError::Buf) if self.input.is_empty() => return Err(GzipError::Truncated),
                Err(MZError::Buf) if written > 0 => return Ok(written),
                Err(_) => return Err(GzipError::Corrupt),
            }
        }
    }

    fn check_trailer(&mut self) -> Result<(), GzipError> {
        if self.input.len() < 8 {
            return Err(GzipError::Truncated);
        }
        let (trailer, rest) = self.input.split_at(8);
        let crc = u32::from_le_bytes(trailer[..4].try_into().expect("4 bytes"));
        let size = u32::from_le_bytes(trailer[4..].try_into().expect("4 bytes"));
        if crc != self.crc.clone().finalize() {
            return Err(GzipError::CrcMismatch);
        }
        if size != self.produced as u32 {
            return Err(GzipError::LengthMismatch);
        }
        if rest.starts_with(&[0x1f, 0x8b]) {
            return Err(GzipError::SecondMember);
        }
        if !rest.is_empty() {
            return Err(GzipError::TrailingData(rest.len()));
        }
        self.input = rest;
        Ok(())
    }
}

/// Returns the deflate body after a gzip header, validating every optional field's bounds.
fn skip_header(input: &[u8]) -> Result<&[u8], GzipError> {
    const FHCRC: u8 = 0x02;
    const FEXTRA: u8 = 0x04;
    const FNAME: u8 = 0x08;
    const FCOMMENT: u8 = 0x10;
    if input.len() < 2 || input[0] != 0x1f || input[1] != 0x8b {
        return Err(GzipError::BadMagic);
    }
    if input.len() < 10 {
        return Err(GzipError::BadHeader);
    }
    if input[2] != 8 {
        return Err(GzipError::BadMethod(input[2]));
    }
    let flags = input[3];
    if flags & 0xe0 != 0 {
        return Err(GzipError::ReservedFlags);
    }
    let mut rest = &input[10..];
    if flags & FEXTRA != 0 {
        if rest.len() < 2 {
            return Err(GzipError::BadHeader);
        }
        let len = u16::from_le_bytes([rest[0], rest[1]]) as usize;
        rest = rest.get(2 + len..).ok_or(GzipError::BadHeader)?;
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let end = rest
                .iter()
                .position(|&b| b == 0)
                .ok_or(GzipError::BadHeader)?;
            rest = &rest[end + 1..];
        }
    }
    if flags & FHCRC != 0 {
        rest = rest.get(2..).ok_or(GzipError::BadHeader)?;
    }
    Ok(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8]) -> Result<Vec<u8>, GzipError> {
        let mut decoder = Decoder::new(input)?;
        let mut out = Vec::new();
        let mut buf = [0u8; 7000];
        loop {
            let n = decoder.read_some(&mut buf)?;
            if n == 0 {
                return Ok(out);
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    fn sample(len: usize) -> Vec<u8> {
        let mut state = 0x9e3779b97f4a7c15u64;
        (0..len)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                if i % 3 == 0 {
                    b'a' + (state % 26) as u8
                } else {
                    b' '
                }
            })
            .collect()
    }

    #[test]
    fn round_trips_empty_small_and_multi_chunk_input() {
        for len in [0, 1, 1000, CHUNK, CHUNK + 1, 3 * CHUNK + 17] {
            let data = sample(len);
            let encoded = encode(&data);
            assert_eq!(decode_all(&encoded).unwrap(), data, "length {len}");
        }
    }

    #[test]
    fn header_is_fixed() {
        let encoded = encode(b"hello");
        assert_eq!(&encoded[..10], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
    }

    #[test]
    fn system_gzip_reads_multi_chunk_output() {
        let Ok(mut child) = std::process::Command::new("gzip")
            .arg("-dc")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
        else {
            eprintln!("skipped: no gzip on PATH");
            return;
        };
        let data = sample(2 * CHUNK + 5);
        let encoded = encode(&data);
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            std::io::Write::write_all(&mut stdin, &encoded).unwrap();
        });
        let output = child.wait_with_output().unwrap();
        writer.join().unwrap();
        assert!(output.status.success());
        assert_eq!(output.stdout, data);
    }

    #[test]
    fn refuses_a_second_member_and_trailing_bytes() {
        let mut two = encode(b"one");
        two.extend_from_slice(&encode(b"two"));
        assert_eq!(decode_all(&two), Err(GzipError::SecondMember));
        let mut trailing = encode(b"one");
        trailing.extend_from_slice(b"\0\0junk");
        assert_eq!(decode_all(&trailing), Err(GzipError::TrailingData(6)));
    }

    #[test]
    fn refuses_bad_headers_trailers_and_truncation() {
        let good = encode(&sample(5000));
        assert_eq!(decode_all(b"PK\x03\x04").err(), Some(GzipError::BadMagic));
        let mut method = good.clone();
        method[2] = 7;
        assert_eq!(decode_all(&method), Err(GzipError::BadMethod(7)));
        let mut reserved = good.clone();
        reserved[3] = 0x80;
        assert_eq!(decode_all(&reserved), Err(GzipError::ReservedFlags));
        let mut name_unterminated = good[..10].to_vec();
        name_unterminated[3] = 0x08;
        name_unterminated.extend_from_slice(b"name");
        assert_eq!(
            decode_all(&name_unterminated).err(),
            Some(GzipError::BadHeader)
        );
        let n = good.len();
        let mut crc = good.clone();
        crc[n - 8] ^= 1;
        assert_eq!(decode_all(&crc), Err(GzipError::CrcMismatch));
        let mut len = good.clone();
        len[n - 1] ^= 1;
        assert_eq!(decode_all(&len), Err(GzipError::LengthMismatch));
        assert_eq!(decode_all(&good[..n - 3]), Err(GzipError::Truncated));
        assert_eq!(decode_all(&good[..n / 2]), Err(GzipError::Truncated));
        let mut corrupt = good.clone();
        corrupt[10] = 0xff; // block type 3 is invalid
        assert!(decode_all(&corrupt).is_err());
    }

    #[test]
    fn reads_optional_header_fields() {
        let plain = encode(b"payload");
        let mut with_fields = plain[..10].to_vec();
        with_fields[3] = 0x04 | 0x08 | 0x10 | 0x02;
        with_fields.extend_from_slice(&[3, 0, b'a', b'b', b'c']);
        with_fields.extend_from_slice(b"name\0comment\0");
        with_fields.extend_from_slice(&[0, 0]);
        with_fields.extend_from_slice(&plain[10..]);
        assert_eq!(decode_all(&with_fields).unwrap(), b"payload");
    }
}
