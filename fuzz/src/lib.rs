//! What the scanner targets share: one file of arbitrary bytes, scanned as a Skill.

use skillsig::scan::{ScanFile, ScanInput, ScanOptions, scan};

/// Scans `data` as the only file of a Skill, at `path` (its extension picks the analyser).
pub fn scan_as(path: &str, data: &[u8]) {
    let input = ScanInput {
        files: vec![ScanFile {
            path: path.into(),
            data: data.to_vec(),
        }],
        skipped: Vec::new(),
    };
    let _ = scan(&input, &ScanOptions::default());
}
