//! The OMS view of a folder (a digest per file, by `model_signing`'s rules) and of a
//! certificate chain (leading to a CA a trust-root publisher pins).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use jiff::Timestamp;
use rustls_pki_types::{CertificateDer, UnixTime};
use sha2::{Digest, Sha256};
use webpki::{EndEntityCert, KeyUsage};
use x509_cert::Certificate;
use x509_cert::der::{Decode, Encode};

use super::{OmsError, Serialization};
use crate::Limits;
use crate::scan::{ScanFile, ScanInput};
use crate::signing::certificate::pem_certificate;
use crate::sigstore::identity::CertificateIdentity;
use crate::trust::{Publisher, TrustRoot};

/// File digests by `/`-separated path, sorted.
pub type FileDigests = BTreeMap<String, [u8; 32]>;

const ID_KP_CODE_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];

/// Whether `path` (relative, `/`-separated) is `ignored` or inside it.
fn is_ignored(path: &str, ignore_paths: &[String]) -> bool {
    ignore_paths.iter().any(|ignored| {
        let ignored = ignored.trim_matches('/');
        path == ignored
            || path
                .strip_prefix(ignored)
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// Hashes every file below `dir` as `model_signing` does: paths relative to `dir`, `/`
/// separators, `ignore_paths` and the signature file left out; a symlink is an error unless
/// the serialization allows it (then the file it points to is hashed). Sizes and counts are
/// bounded by `limits`.
pub fn hash_folder(
    dir: &Path,
    serialization: &Serialization,
    signature_path: &Path,
    limits: &Limits,
) -> Result<FileDigests, OmsError> {
    read_folder(dir, serialization, signature_path, limits, false).map(|read| read.digests)
}

/// A folder read by the OMS rules.
pub(super) struct FolderRead {
    /// Every signed file's digest.
    pub digests: FileDigests,
    /// When asked for: the bytes of the signed files, as hashed, plus the files the signature
    /// leaves out (its `ignore_paths`; `.git` folders excepted), for the scanner.
    pub scan_input: ScanInput,
}

/// Where a listed file goes.
enum Listed {
    /// Covered by the signature: hashed (and kept when asked).
    Signed,
    /// Left out by `ignore_paths`: read for the scanner only.
    Unsigned,
}

/// [`hash_folder`], keeping every file's bytes for the scanner when `keep` is set: one read
/// per file, and what is scanned is exactly what was hashed.
pub(super) fn read_folder(
    dir: &Path,
    serialization: &Serialization,
    signature_path: &Path,
    limits: &Limits,
    keep: bool,
) -> Result<FolderRead, OmsError> {
    use rayon::prelude::*;
    let io = |path: &Path, e: &dyn std::fmt::Display| {
        OmsError::Folder(format!("{}: {e}", path.display()))
    };
    let relative_name = |path: &Path| {
        path.strip_prefix(dir)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/")
    };
    // The signature file's path inside the folder, if it is inside: it is never a resource.
    let signature_name = std::fs::canonicalize(signature_path)
        .ok()
        .zip(std::fs::canonicalize(dir).ok())
        .and_then(|(sig, dir)| {
            sig.strip_prefix(dir)
                .ok()
                .map(|p| p.to_string_lossy().replace('\\', "/"))
        });
    let mut listed: Vec<(String, std::path::PathBuf, Listed)> = Vec::new();
    let mut signed_count = 0usize;
    let mut skipped: Vec<(String, String)> = Vec::new();
    // Ignored paths are walked only for the scanner; `.git` never is (as `ScanInput::from_dir`).
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            let relative = relative_name(entry.path());
            relative.is_empty()
                || !is_ignored(&relative, &serialization.ignore_paths)
                || (keep && entry.file_name() != ".git")
        });
    for entry in walker {
        let entry = entry.map_err(|e| io(dir, &e))?;
        let relative = entry
            .path()
            .strip_prefix(dir)
            .map_err(|e| io(entry.path(), &e))?;
        let Some(name) = relative.to_str().map(|s| s.replace('\\', "/")) else {
            return Err(io(entry.path(), &"the path is not UTF-8"));
        };
        if name.is_empty() || signature_name.as_deref() == Some(name.as_str()) {
            continue;
        }
        let file_type = entry.file_type();
        if is_ignored(&name, &serialization.ignore_paths)
            // Verifying what an agent installed: its own install record is not the signer's.
            || (keep && file_type.is_file() && crate::skill::is_agent_install_metadata(&name))
        {
            if file_type.is_dir() {
                continue;
            }
            if !file_type.is_file() {
                skipped.push((name, "not a regular file (not followed)".into()));
            } else if listed.len() >= limits.max_files {
                skipped.push((name, "over the size or count limits".into()));
            } else {
                listed.push((name, entry.into_path(), Listed::Unsigned));
            }
            continue;
        }
        if file_type.is_symlink() && !serialization.allow_symlinks {
            return Err(OmsError::Symlink(name));
        }
        // The directory entry's type needs no stat; only a symlink (when allowed) is followed.
        let is_dir = if file_type.is_symlink() {
            let target = std::fs::metadata(entry.path()).map_err(|e| io(entry.path(), &e))?;
            if target.is_dir() {
                return Err(OmsError::Symlink(name));
            }
            if !target.is_file() {
                return Err(io(entry.path(), &"not a regular file"));
            }
            false
        } else if file_type.is_dir() {
            true
        } else if file_type.is_file() {
            false
        } else {
            return Err(io(entry.path(), &"not a regular file"));
        };
        if is_dir {
            continue;
        }
        if signed_count >= limits.max_files {
            return Err(io(dir, &format!("more than {} files", limits.max_files)));
        }
        signed_count += 1;
        listed.push((name, entry.into_path(), Listed::Signed));
    }
    // Sizes are checked while reading (a header or stat could lie or change): per file, and
    // in all.
    let max_file_bytes = limits.max_file_bytes;
    type ReadFile = (String, Listed, Result<([u8; 32], Vec<u8>, u64), String>);
    let read: Vec<ReadFile> = listed
        .into_par_iter()
        .map(|(name, path, listed)| {
            let keep_bytes = keep || matches!(listed, Listed::Unsigned);
            let result = read_file(&path, max_file_bytes, keep_bytes);
            (name, listed, result)
        })
        .collect();
    let mut digests = FileDigests::new();
    let mut scan_input = ScanInput::default();
    let (mut signed_total, mut unsigned_total) = (0u64, 0u64);
    for (name, listed, result) in read {
        match (listed, result) {
            (Listed::Signed, Ok((digest, data, size))) => {
                signed_total += size;
                digests.insert(name.clone(), digest);
                if keep {
                    scan_input.files.push(ScanFile { path: name, data });
                }
            }
            (Listed::Signed, Err(e)) => return Err(io(&dir.join(&name), &e)),
            (Listed::Unsigned, Ok((_, data, size)))
                if unsigned_total + size <= limits.max_total_bytes =>
            {
                unsigned_total += size;
                scan_input.files.push(ScanFile { path: name, data });
            }
            (Listed::Unsigned, _) => {
                skipped.push((name, "over the size or count limits, or unreadable".into()))
            }
        }
    }
    if signed_total > limits.max_total_bytes {
        return Err(io(
            dir,
            &format!("more than {} bytes in all", limits.max_total_bytes),
        ));
    }
    // Without `keep`, ignored paths were never walked: nothing is kept and nothing skipped.
    skipped.sort();
    scan_input.skipped = skipped;
    Ok(FolderRead {
        digests,
        scan_input,
    })
}

/// SHA-256, bytes (when `keep`) and size of a file, refusing one larger than `limit`.
fn read_file(path: &Path, limit: u64, keep: bool) -> Result<([u8; 32], Vec<u8>, u64), String> {
    let mut file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut hasher = Sha256::new();
    let mut buffer = [0u8; 16 * 1024];
    let mut data = Vec::new();
    let mut read_total = 0u64;
    loop {
        let n = file.read(&mut buffer).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        read_total += n as u64;
        if read_total > limit {
            return Err(format!("larger than {limit} bytes"));
        }
        hasher.update(&buffer[..n]);
        if keep {
            data.extend_from_slice(&buffer[..n]);
        }
    }
    Ok((hasher.finalize().into(), data, read_total))
}

/// The SubjectPublicKeyInfo (DER) of a certificate.
pub(super) fn leaf_spki(certificate_der: &[u8]) -> Result<Vec<u8>, OmsError> {
    let certificate = Certificate::from_der(certificate_der)
        .map_err(|e| OmsError::Bundle(format!("the leaf certificate: {e}")))?;
    certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| OmsError::Bundle(format!("the leaf certificate's key: {e}")))
}

fn subject_of(certificate_der: &[u8]) -> Result<String, OmsError> {
    let certificate = Certificate::from_der(certificate_der)
        .map_err(|e| OmsError::Bundle(format!("the leaf certificate: {e}")))?;
    // In certificate order, as OpenSSL prints it: C=…,O=…,CN=….
    let parts: Vec<String> = certificate
        .tbs_certificate
        .subject
        .0
        .iter()
        .map(|rdn| rdn.to_string())
        .collect();
    Ok(parts.join(","))
}

/// Checks `chain` (leaf first, as the bundle carries it) against every CA the trust root's
/// publishers pin, at `now` (there is no trusted signing time without a transparency log).
/// Returns the publisher, the leaf's subject and the SHA-256 of the matching root.
pub(super) fn trusted_chain<'a>(
    chain: &[Vec<u8>],
    root: &'a TrustRoot,
    now: Timestamp,
) -> Result<(&'a Publisher, String, String), OmsError> {
    let leaf_der = CertificateDer::from(chain[0].as_slice());
    let leaf = EndEntityCert::try_from(&leaf_der)
        .map_err(|e| OmsError::Bundle(format!("the leaf certificate: {e}")))?;
    let intermediates: Vec<CertificateDer<'_>> = chain[1..]
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    let time =
        UnixTime::since_unix_epoch(std::time::Duration::from_secs(now.as_second().max(0) as u64));
    let subject = subject_of(&chain[0])?;
    let mut reasons = Vec::new();
    for publisher in root.publishers() {
        for pinned in &publisher.cas {
            let Ok(ca_der) = pem_certificate(&pinned.certificate) else {
                continue;
            };
            let ca = CertificateDer::from(ca_der.as_slice());
            let Ok(anchor) = webpki::anchor_from_trusted_cert(&ca) else {
                continue;
            };
            let anchors = [anchor];
            let verified = leaf.verify_for_usage(
                sigstore_sign::crypto::WEBPKI_VERIFICATION_ALGS,
                &anchors,
                &intermediates,
                time,
                KeyUsage::required_if_present(ID_KP_CODE_SIGNING),
                None,
                None,
            );
            match verified {
                Ok(_) => {
                    if let Some(pattern) = &pinned.subject_regex {
                        let allowed = CertificateIdentity::regex("", pattern)
                            .is_ok_and(|id| id.matches("", &subject));
                        if !allowed {
                            reasons.push(format!(
                                "{}: the leaf subject {subject:?} does not match {pattern:?}",
                                publisher.id
                            ));
                            continue;
                        }
                    }
                    let root_sha256 = hex::encode(Sha256::digest(&ca_der));
                    return Ok((publisher, subject, root_sha256));
                }
                Err(e) => reasons.push(format!("{}: {e:?}", publisher.id)),
            }
        }
    }
    if reasons.is_empty() {
        reasons.push("the trust root pins no CA".into());
    }
    Err(OmsError::UntrustedChain(reasons.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_paths_cover_files_and_whole_folders() {
        let ignored = vec![".git".to_owned(), ".github/".to_owned()];
        assert!(is_ignored(".git", &ignored));
        assert!(is_ignored(".git/config", &ignored));
        assert!(is_ignored(".github/workflows/x.yml", &ignored));
        assert!(!is_ignored(".gitignore", &ignored));
        assert!(!is_ignored("src/.git", &ignored));
        assert!(!is_ignored("git", &ignored));
    }
}
