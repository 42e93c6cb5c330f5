//! `pack`: a Skill folder becomes a `.skill` bundle and its manifest, written atomically.
//!
//! Everything is built in memory first; only then are the two files written to temporary
//! files in the output folder and renamed into place. A failure at any step leaves the output
//! folder as it was.

use std::fs;
use std::path::{Path, PathBuf};

use crate::bundle::{self, PathDoesNotFit, SourceError, SourceOptions};
use crate::limits::Limits;
use crate::manifest::{FILE_SUFFIX, Manifest, PAYLOAD_TYPE};
use crate::permissions::Permissions;
use crate::scan::{self, ScanInput, ScanOptions, Severity};
use crate::signing::envelope::{self, MAX_SIGNATURE_FILE_BYTES, Signed};
use crate::skill::config::{self, Additions, CONFIG_FILE};
use crate::skill::{SkillError, SkillInfo};
use crate::tree::{FileTree, sha256};

/// Appended to the name of a signature that no longer matches the bundle beside it.
pub const STALE_SUFFIX: &str = ".stale";

/// A packed Skill, in memory.
#[derive(Debug, Clone)]
pub struct Packed {
    /// Identity, description and declarations read from the Skill's files.
    pub info: SkillInfo,
    /// The files.
    pub tree: FileTree,
    /// The `.skill` bytes.
    pub bundle: Vec<u8>,
    /// The manifest the bundle was written with.
    pub manifest: Manifest,
}

/// Where `write` put the files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The `.skill` file.
    pub bundle: PathBuf,
    /// The manifest file.
    pub manifest: PathBuf,
    /// Where the signature of an earlier bundle of the same name went: it does not match this
    /// bundle, so it was renamed (`….sigstore.json.stale`) rather than left to be taken for
    /// this bundle's. The bundle needs signing again.
    pub stale_signature: Option<PathBuf>,
}

/// Capabilities a Skill's code uses that its declared permissions do not cover, and how to
/// declare them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Undeclared {
    /// The capabilities, as `kind:value` (`env:TOKEN`), sorted.
    pub capabilities: Vec<String>,
    /// The permissions that would declare them.
    pub add: Permissions,
    /// Capabilities no value can declare (a host or program computed at run time): the
    /// publisher must name them.
    pub unnamed: Vec<String>,
    /// The lines of `skillsig.toml`'s `[permissions]` that declare the rest, as they read
    /// once the values are added.
    pub lines: Vec<String>,
}

impl Undeclared {
    /// Whether everything used is declared.
    pub fn is_empty(&self) -> bool {
        self.capabilities.is_empty()
    }
}

/// Scans the files of a Skill against `declared` (its manifest's permissions) and returns what
/// the code uses beyond them: what a user's `verify` would report, found while publishing.
pub fn undeclared(tree: &FileTree, declared: &Permissions) -> Undeclared {
    let report = scan::scan(
        &ScanInput::from_tree(tree),
        &ScanOptions {
            fail_on: Severity::Critical,
            manifest_permissions: Some(declared.clone()),
        },
    );
    if report.undeclared.is_empty() {
        return Undeclared::default();
    }
    let (add, unnamed) = scan::missing_declarations(&report);
    let config_text = tree
        .iter()
        .find(|(path, _)| path.as_str() == CONFIG_FILE)
        .map(|(_, entry)| String::from_utf8_lossy(&entry.data).into_owned())
        .unwrap_or_default();
    let additions = Additions {
        namespace: None,
        permissions: add.clone(),
    };
    // A packed Skill's skillsig.toml parses; the empty file is a fallback all the same.
    let lines = config::add(&config_text, &additions)
        .or_else(|_| config::add("", &additions))
        .map(|edited| edited.changed.into_iter().map(|(_, line)| line).collect())
        .unwrap_or_default();
    Undeclared {
        capabilities: report.undeclared,
        add,
        unnamed,
        lines,
    }
}

/// Why packing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackError {
    /// The folder cannot be read, or holds files it must not ship.
    #[error("{0}")]
    Source(#[from] SourceError),
    /// The Skill's identity or declarations cannot be determined.
    #[error("{0}")]
    Skill(#[from] SkillError),
    /// A path that does not fit in a ustar header.
    #[error("{0}")]
    PathDoesNotFit(#[from] PathDoesNotFit),
    /// Writing an output file failed.
    #[error("{}: {source}", path.display())]
    Output {
        /// The path being written.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

impl PackError {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            PackError::Source(e) => e.code(),
            PackError::Skill(e) => e.code(),
            PackError::PathDoesNotFit(..) => "path-does-not-fit",
            PackError::Output { .. } => "io",
        }
    }
}

impl Packed {
    /// `<namespace>-<name>-<version>.skill`.
    pub fn bundle_file_name(&self) -> String {
        self.info.id.bundle_file_name()
    }

    /// `<bundle>.manifest.json`.
    pub fn manifest_file_name(&self) -> String {
        format!("{}{FILE_SUFFIX}", self.bundle_file_name())
    }
}

/// Reads, checks and packs the Skill folder `dir`.
pub fn pack_dir(dir: &Path, options: &SourceOptions) -> Result<Packed, PackError> {
    let tree = bundle::load_dir(dir, options)?;
    pack_tree(tree, options)
}

/// Packs an already loaded tree.
pub fn pack_tree(tree: FileTree, options: &SourceOptions) -> Result<Packed, PackError> {
    let info = SkillInfo::from_tree(&tree, &options.limits)?;
    let bundle = bundle::encode(&tree)?;
    let manifest = Manifest::build(&info, &tree, sha256(&bundle), bundle.len() as u64);
    Ok(Packed {
        info,
        tree,
        bundle,
        manifest,
    })
}

/// Writes the bundle and its manifest into `out_dir` (created if missing), replacing files of
/// the same names. Nothing is left behind on failure.
pub fn write(packed: &Packed, out_dir: &Path) -> Result<Written, PackError> {
    let output_err = |path: &Path| {
        let path = path.to_owned();
        move |source| PackError::Output { path, source }
    };
    let created = create_dir_tracked(out_dir).map_err(output_err(out_dir))?;
    let result = (|| {
        let bundle_path = out_dir.join(packed.bundle_file_name());
        let manifest_path = out_dir.join(packed.manifest_file_name());
        let bundle_tmp = crate::fsutil::stage(out_dir, &packed.bundle, 0o644)
            .map_err(output_err(&bundle_path))?;
        let manifest_tmp =
            crate::fsutil::stage(out_dir, &packed.manifest.to_canonical_json(), 0o644)
                .map_err(output_err(&manifest_path))?;
        let signature_path = beside(&bundle_path, envelope::FILE_SUFFIX);
        let stale_signature = if signature_is_stale(&signature_path, packed) {
            let aside = beside(&signature_path, STALE_SUFFIX);
            fs::rename(&signature_path, &aside).map_err(output_err(&signature_path))?;
            Some(aside)
        } else {
            None
        };
        let put_back = || {
            if let Some(aside) = &stale_signature {
                let _ = fs::rename(aside, &signature_path);
            }
        };
        if let Err(err) = bundle_tmp.persist(&bundle_path) {
            put_back();
            return Err(PackError::Output {
                path: bundle_path,
                source: err.error,
            });
        }
        if let Err(err) = manifest_tmp.persist(&manifest_path) {
            // Do not leave a bundle without its manifest.
            let _ = fs::remove_file(&bundle_path);
            put_back();
            return Err(PackError::Output {
                path: manifest_path,
                source: err.error,
            });
        }
        Ok(Written {
            bundle: bundle_path,
            manifest: manifest_path,
            stale_signature,
        })
    })();
    if result.is_err() {
        for dir in created.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
    result
}

/// `path` with `suffix` appended to its file name.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Whether a signature file lies at `path` that would not verify for `packed`: its manifest
/// (the signed payload) does not describe these files, or it cannot be read as a signature.
/// A signature for the very same files (a re-pack without changes) is not stale.
fn signature_is_stale(path: &Path, packed: &Packed) -> bool {
    let Ok(bytes) = crate::fsutil::read_limited(path, MAX_SIGNATURE_FILE_BYTES) else {
        // Missing (nothing to do), or unreadable: then renaming it fails too, and says so.
        return path.exists();
    };
    let payload = match envelope::parse(&bytes, PAYLOAD_TYPE) {
        Ok(Signed::Key(payload) | Signed::Keyless(payload)) => payload.payload,
        Err(_) => return true,
    };
    Manifest::from_json(&payload)
        .map_err(|_| ())
        .and_then(|signed| {
            signed
                .check_tree(&packed.tree, &Limits::DEFAULT)
                .map_err(|_| ())
        })
        .is_err()
}

/// Creates `dir` and missing parents, returning the folders it created (outermost first) so a
/// failed write can remove them again.
fn create_dir_tracked(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut missing = Vec::new();
    let mut current = Some(dir);
    while let Some(path) = current {
        if path.as_os_str().is_empty() || path.exists() {
            break;
        }
        missing.push(path.to_owned());
        current = path.parent();
    }
    missing.reverse();
    for path in &missing {
        fs::create_dir(path)?;
    }
    Ok(missing)
}
