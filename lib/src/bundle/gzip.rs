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
/// The only gzip header skillsig writes or reads: ID1 ID2, CM = deflate, no flags, MTIME 0,
/// XFL 0, and OS 255 ("unknown") so the bytes do not depend on the platform.
pub const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];

/// Why a gzip stream was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GzipError {
    /// Not gzip.
    #[error("not a gzip file (bad magic bytes)")]
    BadMagic,
    /// A compression method other than deflate.
    #[error("unsupported gzip compression method {0}")]
    BadMethod(u8),
    /// A header other than the fixed one skillsig writes.
    #[error(
        "the gzip header is not the fixed one skillsig writes (flags, mtime, extra fields or OS \
         byte are set); re-pack the Skill with `skillsig pack`"
    )]
    NotCanonicalHeader,
    /// A truncated header.
    #[error("gzip header is truncated")]
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
    /// Set bits after the deflate stream's final block.
    #[error("the compressed data has set padding bits after its end (not as skillsig writes it)")]
    NonZeroPadding,
    /// Bytes after the member.
    #[error("{0} bytes of trailing data follow the gzip member")]
    TrailingData(usize),
}

impl GzipError {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            GzipError::BadMagic => "gzip-bad-magic",
            GzipError::BadMethod(..) => "gzip-bad-method",
            GzipError::NotCanonicalHeader => "gzip-not-canonical-header",
            GzipError::BadHeader => "gzip-bad-header",
            GzipError::Corrupt => "gzip-corrupt",
            GzipError::Truncated => "gzip-truncated",
            GzipError::CrcMismatch => "gzip-crc-mismatch",
            GzipError::LengthMismatch => "gzip-length-mismatch",
            GzipError::SecondMember => "gzip-second-member",
            GzipError::NonZeroPadding => "gzip-non-zero-padding",
            GzipError::TrailingData(..) => "gzip-trailing-data",
        }
    }
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
    out.extend_from_slice(&HEADER);
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
///
/// The deflate stream's last byte (the one before the 8-byte trailer) is fed on its own, from a
/// saved copy of the decoder's state, so that its padding bits can be checked: bits after the
/// final block that no decoder reads must be zero, as the encoder writes them, or one bundle
/// could be written as several files.
pub struct Decoder<'a> {
    /// The deflate stream and the trailer.
    body: &'a [u8],
    /// How much of `body` has been consumed.
    pos: usize,
    /// Where the stream's last byte would be if the member ends exactly before the trailer.
    final_byte: usize,
    state: Box<InflateState>,
    /// The decoder's state just before `final_byte`, once reached.
    before_final: Option<Box<InflateState>>,
    crc: crc32fast::Hasher,
    produced: u64,
    finished: bool,
}

/// Gzip trailer: CRC-32 and length.
const TRAILER: usize = 8;

impl<'a> Decoder<'a> {
    /// Parses the gzip header of `input`.
    pub fn new(input: &'a [u8]) -> Result<Decoder<'a>, GzipError> {
        let body = skip_header(input)?;
        Ok(Decoder {
            body,
            pos: 0,
            final_byte: body.len().saturating_sub(TRAILER + 1),
            state: InflateState::new_boxed(DataFormat::Raw),
            before_final: None,
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
            if self.pos == self.final_byte && self.before_final.is_none() {
                self.before_final = Some(self.state.clone());
            }
            // Up to the last byte first, then the rest.
            let end = if self.before_final.is_some() {
                self.body.len()
            } else {
                self.final_byte
            };
            let result = inflate(
                &mut self.state,
                &self.body[self.pos..end],
                out,
                MZFlush::None,
            );
            self.pos += result.bytes_consumed;
            let written = result.bytes_written;
            self.crc.update(&out[..written]);
            self.produced += written as u64;
            let input_left = end - self.pos;
            let first_part_done = input_left == 0 && self.before_final.is_none();
            match result.status {
                Ok(MZStatus::StreamEnd) => {
                    self.check_padding()?;
                    self.check_trailer()?;
                    self.finished = true;
                    return Ok(written);
                }
                Ok(_) if written > 0 => return Ok(written),
                Ok(_) | Err(MZError::Buf) if first_part_done => {}
                Ok(_) if input_left == 0 => return Err(GzipError::Truncated),
                Ok(_) if result.bytes_consumed == 0 => return Err(GzipError::Corrupt),
                Ok(_) => {}
                Err(MZError::Buf) if input_left == 0 => return Err(GzipError::Truncated),
                Err(MZError::Buf) if written > 0 => return Ok(written),
                Err(_) => return Err(GzipError::Corrupt),
            }
        }
    }

    /// When the stream ended on the byte before the trailer: refuses set bits in that byte that
    /// decoding does not read (clearing them gives the same end and the same output).
    fn check_padding(&mut self) -> Result<(), GzipError> {
        let Some(before) = self.before_final.take() else {
            return Ok(());
        };
        if self.pos != self.final_byte + 1 {
            return Ok(());
        }
        let last = self.body[self.final_byte];
        let Some(reference) = finish_with(&before, last) else {
            return Ok(());
        };
        // Deflate fills bytes from the low bit up, so padding is the top bits.
        for padding in 1..8 {
            if last >> (8 - padding) == 0 {
                continue;
            }
            let cleared = last & (0xff >> padding);
            if finish_with(&before, cleared).as_ref() == Some(&reference) {
                return Err(GzipError::NonZeroPadding);
            }
        }
        Ok(())
    }

    fn check_trailer(&mut self) -> Result<(), GzipError> {
        let rest = &self.body[self.pos..];
        if rest.len() < TRAILER {
            return Err(GzipError::Truncated);
        }
        let (trailer, rest) = rest.split_at(TRAILER);
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
        self.pos = self.body.len();
        Ok(())
    }
}

/// Feeds `byte` to a copy of `state`: the output up to the stream's end, or `None` when the
/// stream does not end there.
fn finish_with(state: &InflateState, byte: u8) -> Option<Vec<u8>> {
    // One byte completes at most a few codes; anything larger is not a plausible end.
    const MAX_OUTPUT: usize = 1 << 20;
    let mut state = Box::new(state.clone());
    let mut input: &[u8] = &[byte];
    let mut output = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let result = inflate(&mut state, input, &mut buf, MZFlush::None);
        input = &input[result.bytes_consumed..];
        output.extend_from_slice(&buf[..result.bytes_written]);
        match result.status {
            Ok(MZStatus::StreamEnd) => return Some(output),
            Ok(_) if result.bytes_written > 0 && output.len() < MAX_OUTPUT => {}
            _ => return None,
        }
    }
}

/// Returns the deflate body after the gzip header, which must be exactly [`HEADER`]: a
/// skillsig bundle is reproducible, and header bytes that no decoder reads (mtime, extra
/// fields, file name, OS) would let two different files mean the same bundle.
fn skip_header(input: &[u8]) -> Result<&[u8], GzipError> {
    if input.len() < 2 || input[0] != 0x1f || input[1] != 0x8b {
        return Err(GzipError::BadMagic);
    }
    if input.len() < HEADER.len() {
        return Err(GzipError::BadHeader);
    }
    if input[2] != HEADER[2] {
        return Err(GzipError::BadMethod(input[2]));
    }
    let (header, body) = input.split_at(HEADER.len());
    if header != HEADER {
        return Err(GzipError::NotCanonicalHeader);
    }
    Ok(body)
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
        assert_eq!(encoded[..10], HEADER);
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
        assert_eq!(decode_all(&good[..6]).err(), Some(GzipError::BadHeader));
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
    fn refuses_set_padding_bits_after_the_final_block() {
        // Whatever the data, each bit of the stream's last byte is read or must be zero.
        for len in [0, 1, 5, 77, 1000, 5000] {
            let good = encode(&sample(len));
            assert_eq!(decode_all(&good).unwrap().len(), len);
            let last = good.len() - 9;
            for bit in 0..8 {
                let mut changed = good.clone();
                changed[last] ^= 1 << bit;
                assert!(decode_all(&changed).is_err(), "length {len}, bit {bit}");
            }
        }
    }

    #[test]
    fn refuses_every_header_but_the_fixed_one() {
        let plain = encode(b"payload");
        // Optional fields (extra, name, comment, header CRC) that other tools write.
        let mut with_fields = plain[..10].to_vec();
        with_fields[3] = 0x04 | 0x08 | 0x10 | 0x02;
        with_fields.extend_from_slice(&[3, 0, b'a', b'b', b'c']);
        with_fields.extend_from_slice(b"name\0comment\0");
        with_fields.extend_from_slice(&[0, 0]);
        with_fields.extend_from_slice(&plain[10..]);
        assert_eq!(
            decode_all(&with_fields).err(),
            Some(GzipError::NotCanonicalHeader)
        );
        // Every byte no decoder reads: flags (text, reserved), mtime, XFL, OS.
        for (at, value) in [(3, 0x01), (3, 0x80), (4, 1), (7, 0x80), (8, 2), (9, 3)] {
            let mut changed = plain.clone();
            changed[at] = value;
            assert_eq!(
                decode_all(&changed).err(),
                Some(GzipError::NotCanonicalHeader),
                "byte {at} = {value}"
            );
        }
        assert_eq!(decode_all(&plain).unwrap(), b"payload");
    }
}
