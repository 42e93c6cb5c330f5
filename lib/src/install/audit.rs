//! Auditing installed Skills: are they still what was installed, by a signer still trusted, and
//! clean under today's rules?

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::Serialize;

use super::{MANIFEST_FILE, RECEIPT_DIR, RECEIPT_FILE, Receipt, SIGNATURE_FILE};
use crate::limits::Limits;
use crate::manifest::Manifest;
use crate::policy::Policy;
use crate::scan::{self, ScanInput, ScanOptions};
use crate::tree::sha256;
use crate::verify::{self, Authority};

/// One problem with an installed Skill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// `no-receipt`, `receipt-invalid`, `file-changed`, `file-added`, `file-removed`,
    /// `signer-not-trusted`, `finding`, `shadowed`.
    pub code: &'static str,
    /// What is wrong, for people.
    pub message: String,
}

/// The audit of one Skill folder.
#[derive(Debug, Clone, Serialize)]
pub struct AuditedSkill {
    /// The folder audited.
    pub path: PathBuf,
    /// `namespace/name@version` from the receipt, or the folder name.
    pub skill: String,
    /// Whether nothing is wrong.
    pub clean: bool,
    /// Everything that is wrong.
    pub problems: Vec<Problem>,
}

/// Every folder below `root` (one level, and `root` itself) that holds a `SKILL.md`.
pub fn skill_folders(root: &Path) -> Vec<PathBuf> {
    let has_skill_md =
        |dir: &Path| dir.join("SKILL.md").is_file() || dir.join("skill.md").is_file();
    if has_skill_md(root) {
        return vec![root.to_owned()];
    }
    let mut out: Vec<PathBuf> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_type().is_ok_and(|t| t.is_dir())
                && !e.file_name().to_string_lossy().starts_with(".skillsig-")
        })
        .map(|e| e.path())
        .filter(|p| has_skill_md(p))
        .collect();
    out.sort();
    out
}

/// Audits one installed Skill folder against the current trust root and policy.
pub fn audit_skill(
    dir: &Path,
    authority: Option<&Authority>,
    policy: &Policy,
    now: Timestamp,
    limits: &Limits,
) -> AuditedSkill {
    let folder_name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut problems = Vec::new();
    let mut push = |code: &'static str, message: String| problems.push(Problem { code, message });
    let receipt_dir = dir.join(RECEIPT_DIR);
    let receipt: Option<Receipt> = match std::fs::read(receipt_dir.join(RECEIPT_FILE)) {
        Err(_) => {
            push(
                "no-receipt",
                "installed without skillsig: no receipt, so nothing to check the files against"
                    .into(),
            );
            None
        }
        Ok(bytes) => match serde_json::from_slice(&bytes) {
            Ok(receipt) => Some(receipt),
            Err(err) => {
                push(
                    "receipt-invalid",
                    format!("{RECEIPT_DIR}/{RECEIPT_FILE} is damaged: {err}"),
                );
                None
            }
        },
    };
    let input = ScanInput::from_dir(dir, limits).unwrap_or_default();
    let files: Vec<&scan::ScanFile> = input
        .files
        .iter()
        .filter(|f| !f.path.starts_with(&format!("{RECEIPT_DIR}/")))
        .collect();
    let manifest_bytes = std::fs::read(receipt_dir.join(MANIFEST_FILE)).ok();
    let manifest = manifest_bytes
        .as_deref()
        .and_then(|b| Manifest::from_json(b).ok());
    if let Some(receipt) = &receipt {
        match (&manifest, &manifest_bytes) {
            (Some(manifest), Some(bytes))
                if hex::encode(sha256(bytes)) == receipt.manifest_sha256 =>
            {
                compare_files(manifest, &files, &mut push);
            }
            _ => push(
                "receipt-invalid",
                "the stored manifest is missing or does not match the receipt".into(),
            ),
        }
        if receipt.signed {
            match (authority, std::fs::read(receipt_dir.join(SIGNATURE_FILE))) {
                (Some(authority), Ok(signature)) => {
                    match verify::verify_signature(&signature, authority, now) {
                        Ok(signed) if Some(&signed.manifest_bytes) == manifest_bytes.as_ref() => {}
                        Ok(_) => push(
                            "signer-not-trusted",
                            "the stored signature is over another manifest".into(),
                        ),
                        Err(err) => push(
                            "signer-not-trusted",
                            format!("the signature no longer verifies: {err}"),
                        ),
                    }
                }
                (None, _) => push(
                    "signer-not-trusted",
                    "no trust root to check the signer against".into(),
                ),
                (Some(_), Err(_)) => {
                    push("receipt-invalid", "the stored signature is missing".into())
                }
            }
        }
    }
    let report = scan::scan(
        &ScanInput {
            files: files.into_iter().cloned().collect(),
            skipped: input.skipped.clone(),
        },
        &ScanOptions {
            fail_on: policy.block_at,
            manifest_permissions: manifest.as_ref().map(|m| m.permissions().clone()),
        },
    );
    for violation in policy.check_scan(&report) {
        push("finding", violation.message);
    }
    AuditedSkill {
        path: dir.to_owned(),
        skill: receipt.map(|r| r.skill).unwrap_or(folder_name),
        clean: problems.is_empty(),
        problems,
    }
}

fn compare_files(
    manifest: &Manifest,
    files: &[&scan::ScanFile],
    push: &mut impl FnMut(&'static str, String),
) {
    let on_disk: BTreeMap<&str, &scan::ScanFile> =
        files.iter().map(|f| (f.path.as_str(), *f)).collect();
    for record in manifest.records() {
        match on_disk.get(record.path.as_str()) {
            None => push(
                "file-removed",
                format!("{} was removed since install", record.path),
            ),
            Some(file) if sha256(&file.data) != record.sha256 => push(
                "file-changed",
                format!("{} was changed since install", record.path),
            ),
            Some(_) => {}
        }
    }
    for path in on_disk.keys() {
        if !manifest.records().iter().any(|r| r.path.as_str() == *path) {
            push("file-added", format!("{path} was added since install"));
        }
    }
}

/// Skills with the same folder name in more than one location: the one OpenClaw loads first
/// shadows the others (`locations` are in OpenClaw's precedence order).
pub fn shadowing(locations: &[PathBuf]) -> Vec<(String, Vec<PathBuf>)> {
    let mut by_name: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for location in locations {
        for dir in skill_folders(location) {
            if let Some(name) = dir.file_name() {
                by_name
                    .entry(name.to_string_lossy().into_owned())
                    .or_default()
                    .push(dir);
            }
        }
    }
    by_name
        .into_iter()
        .filter(|(_, dirs)| dirs.len() > 1)
        .collect()
}

/// OpenClaw's Skill locations, highest precedence first.
pub fn default_locations() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(workspace) = super::workspace() {
        out.push(workspace.join("skills"));
        out.push(workspace.join(".agents").join("skills"));
    }
    if let Some(home) = directories::BaseDirs::new().map(|d| d.home_dir().to_owned()) {
        out.push(home.join(".agents").join("skills"));
        out.push(home.join(".openclaw").join("skills"));
    }
    out
}

/// What installs killed midway left in the destination folder `location`
/// ([`super::stale_staging`]), each as a Skill that is not clean, with the problem
/// `stale-staging`.
pub fn stale_staging(location: &Path) -> Vec<AuditedSkill> {
    super::stale_staging(location)
        .into_iter()
        .map(|path| AuditedSkill {
            skill: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            clean: false,
            problems: vec![Problem {
                code: "stale-staging",
                message: "left by an install that was interrupted (a half-written new version, or an old version moved aside); the next install into this folder removes it, or puts back an old version that has nothing in its place".into(),
            }],
            path,
        })
        .collect()
}
