//! `pack`: a Skill folder becomes a `.skill` bundle and its manifest, written atomically.
//!
//! Everything is built in memory first; only then are the two files written to temporary
//! files in the output folder and renamed into place. A failure at any step leaves the output
//! folder as it was.

use std::fs;
use std::path::{Path, PathBuf};

use crate::bundle::{self, PathDoesNotFit, SourceError, SourceOptions};
use crate::manifest::{FILE_SUFFIX, Manifest};
use crate::skill::{SkillError, SkillInfo};
use crate::tree::{FileTree, sha256};

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
        bundle_tmp
            .persist(&bundle_path)
            .map_err(|e| e.error)
            .map_err(output_err(&bundle_path))?;
        if let Err(err) = manifest_tmp.persist(&manifest_path) {
            // Do not leave a bundle without its manifest.
            let _ = fs::remove_file(&bundle_path);
            return Err(PackError::Output {
                path: manifest_path,
                source: err.error,
            });
        }
        Ok(Written {
            bundle: bundle_path,
            manifest: manifest_path,
        })
    })();
    if result.is_err() {
        for dir in created.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
    result
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
