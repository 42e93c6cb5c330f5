//! Reading a Skill folder from disk into a [`FileTree`], refusing what must not be packed.
//!
//! Symlinks, special files, names that break the path rules and likely secrets are refused;
//! every such problem is collected so the publisher sees all of them at once. `.git/` anywhere,
//! the root `.skillsig/` output folder and whatever `.skillignore` files list (gitignore syntax)
//! are left out. Files are read and hashed in parallel; sizes are checked against the limits
//! before anything is read.

use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::secrets::{self, SecretKind};
use crate::limits::Limits;
use crate::tree::{FileTree, PathError, SkillPath, TreeBuilder, TreeError};

/// The ignore file a publisher uses to leave files out of a bundle (gitignore syntax).
pub const IGNORE_FILE: &str = ".skillignore";
/// Folder, at the Skill's root, where skillsig writes its outputs and install receipts.
pub const OUTPUT_DIR: &str = crate::tree::RESERVED_ROOT;

/// What to read and what to let through.
#[derive(Debug, Clone, Default)]
pub struct SourceOptions {
    /// Size and count limits.
    pub limits: Limits,
    /// Paths (relative to the Skill folder) that look like secrets but are meant to ship.
    pub allow_secrets: Vec<String>,
}

/// A file the folder must not ship, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Path relative to the Skill folder (lossy for names that are not UTF-8).
    pub path: String,
    /// What is wrong with it.
    pub kind: ProblemKind,
}

/// The kinds of [`Problem`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// A symbolic link (never followed).
    Symlink,
    /// A device, socket or FIFO (named).
    SpecialFile(&'static str),
    /// A path that breaks a path rule.
    BadPath(PathError),
    /// A path that conflicts with another.
    Conflict(TreeError),
    /// Content that looks like a secret (a private key, a token, a wallet).
    Secret(SecretKind),
    /// A file that changed while it was read.
    ChangedWhileReading,
    /// An `allow_secrets` entry that matches no file.
    UnusedAllowSecret,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = &self.path;
        match &self.kind {
            ProblemKind::Symlink => write!(
                f,
                "{path}: is a symbolic link (bundles hold regular files only; copy the target in)"
            ),
            ProblemKind::SpecialFile(kind) => write!(f, "{path}: is {kind}, not a regular file"),
            ProblemKind::BadPath(err) => {
                write!(f, "{path}: {err}; rename it or list it in {IGNORE_FILE}")
            }
            ProblemKind::Conflict(err) => write!(f, "{err}"),
            ProblemKind::Secret(kind) => write!(
                f,
                "{path}: {kind}; remove it, list it in {IGNORE_FILE}, or pass --allow-secret {path} if it is meant to ship"
            ),
            ProblemKind::ChangedWhileReading => {
                write!(f, "{path}: changed size while being read; try again")
            }
            ProblemKind::UnusedAllowSecret => write!(
                f,
                "{path}: named by --allow-secret but not a file being packed"
            ),
        }
    }
}

/// Why a folder could not be read as a Skill.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// A file or folder cannot be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The path is not a folder.
    #[error("{}: not a folder", .0.display())]
    NotAFolder(PathBuf),
    /// `.skillsigignore` cannot be used.
    #[error("{message}")]
    IgnoreFile {
        /// What is wrong with it.
        message: String,
    },
    /// Files the folder must not ship.
    #[error("{}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Refused {
        /// Every one of them.
        problems: Vec<Problem>,
    },
    /// The files exceed a limit.
    #[error(transparent)]
    Limit(TreeError),
}

impl SourceError {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            SourceError::Io { .. } => "io",
            SourceError::NotAFolder(..) => "source-not-a-folder",
            SourceError::IgnoreFile { .. } => "source-ignore-file",
            SourceError::Refused { .. } => "source-refused",
            SourceError::Limit(e) => e.code(),
        }
    }
}

struct Candidate {
    path: SkillPath,
    absolute: PathBuf,
    size: u64,
    executable: bool,
}

/// Reads the Skill folder `dir` into a tree, or says every reason it cannot be packed.
pub fn load_dir(dir: &Path, options: &SourceOptions) -> Result<FileTree, SourceError> {
    load(dir, options, Reading::ForPacking)
}

/// Reads a folder exactly as it is on disk, to compare it with a signed manifest: no
/// `.skillsigignore` (a file it names would be hidden from the comparison yet still loaded by
/// the agent) and no secret check (the signer already chose what ships). Links, special files
/// and bad paths are refused as when packing; `.git/` and `.skillsig/` at the top are left out,
/// and so are the exact files an agent writes when it installs a Skill
/// ([`crate::skill::AGENT_INSTALL_METADATA`]).
pub fn load_dir_as_is(dir: &Path, limits: &Limits) -> Result<FileTree, SourceError> {
    let options = SourceOptions {
        limits: *limits,
        allow_secrets: Vec::new(),
    };
    load(dir, &options, Reading::AsIs)
}

/// What a folder is read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// Packing: the author's ignore file applies, secrets are refused.
    ForPacking,
    /// Comparing with a signed manifest: every file counts.
    AsIs,
}

fn load(dir: &Path, options: &SourceOptions, reading: Reading) -> Result<FileTree, SourceError> {
    let meta = fs::metadata(dir).map_err(|source| SourceError::Io {
        path: dir.to_owned(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(SourceError::NotAFolder(dir.to_owned()));
    }
    let limits = &options.limits;
    let mut problems = Vec::new();
    let mut candidates = Vec::new();
    for entry in walker(dir, reading) {
        let entry = entry.map_err(|err| SourceError::IgnoreFile {
            message: err.to_string(),
        })?;
        if entry.depth() == 0 {
            continue;
        }
        let relative = relative_path(dir, entry.path());
        let file_type = entry.file_type().ok_or_else(|| SourceError::IgnoreFile {
            message: format!("{relative}: cannot tell the file type"),
        })?;
        if file_type.is_dir() {
            continue;
        }
        if file_type.is_symlink() {
            problems.push(Problem {
                path: relative,
                kind: ProblemKind::Symlink,
            });
            continue;
        }
        if !file_type.is_file() {
            problems.push(Problem {
                path: relative,
                kind: ProblemKind::SpecialFile(special_kind(&file_type)),
            });
            continue;
        }
        let path = match entry.path().strip_prefix(dir).ok().and_then(|p| p.to_str()) {
            Some(text) => SkillPath::parse(&text.replace(std::path::MAIN_SEPARATOR, "/"), limits),
            None => Err(PathError::InvalidUtf8),
        };
        let path = match path {
            Ok(path) => path,
            Err(err) => {
                problems.push(Problem {
                    path: relative,
                    kind: ProblemKind::BadPath(err),
                });
                continue;
            }
        };
        if reading == Reading::AsIs && crate::skill::is_agent_install_metadata(path.as_str()) {
            continue;
        }
        let meta = entry.metadata().map_err(|err| SourceError::IgnoreFile {
            message: format!("{relative}: {err}"),
        })?;
        candidates.push(Candidate {
            path,
            absolute: entry.path().to_owned(),
            size: meta.len(),
            executable: is_executable(&meta),
        });
    }
    candidates.sort_by(|a, b| a.path.cmp(&b.path));
    check_limits(&candidates, limits)?;

    for allowed in &options.allow_secrets {
        let allowed = allowed.trim_start_matches("./");
        if !candidates.iter().any(|c| c.path.as_str() == allowed) {
            problems.push(Problem {
                path: allowed.to_owned(),
                kind: ProblemKind::UnusedAllowSecret,
            });
        }
    }

    let read: Vec<Result<(Candidate, Vec<u8>), SourceError>> = candidates
        .into_par_iter()
        .map(|candidate| {
            let data = read_bounded(&candidate)?;
            Ok((candidate, data))
        })
        .collect();

    let mut builder = TreeBuilder::new(*limits);
    for result in read {
        let (candidate, data) = result?;
        let path_text = candidate.path.to_string();
        if data.len() as u64 != candidate.size {
            problems.push(Problem {
                path: path_text,
                kind: ProblemKind::ChangedWhileReading,
            });
            continue;
        }
        let allowed = options
            .allow_secrets
            .iter()
            .any(|a| a.trim_start_matches("./") == path_text);
        if reading == Reading::ForPacking
            && !allowed
            && let Some(kind) = secrets::detect(&candidate.path, &data)
        {
            problems.push(Problem {
                path: path_text,
                kind: ProblemKind::Secret(kind),
            });
            continue;
        }
        match builder.add(candidate.path, data, candidate.executable) {
            Ok(()) => {}
            Err(
                err @ (TreeError::TooManyFiles { .. }
                | TreeError::FileTooLarge { .. }
                | TreeError::TotalTooLarge { .. }),
            ) => {
                return Err(SourceError::Limit(err));
            }
            Err(err) => problems.push(Problem {
                path: path_text,
                kind: ProblemKind::Conflict(err),
            }),
        }
    }
    if problems.is_empty() {
        Ok(builder.finish())
    } else {
        problems.sort_by(|a, b| a.path.cmp(&b.path));
        Err(SourceError::Refused { problems })
    }
}

fn walker(dir: &Path, reading: Reading) -> ignore::Walk {
    let mut builder = ignore::WalkBuilder::new(dir);
    builder.standard_filters(false).follow_links(false);
    if reading == Reading::ForPacking {
        builder.add_custom_ignore_filename(IGNORE_FILE);
    }
    builder.filter_entry(|entry| {
        let name = entry.file_name();
        !(name == ".git" || (entry.depth() == 1 && name == OUTPUT_DIR))
    });
    builder.build()
}

/// Counts and sizes as the filesystem reports them, checked before any file is read.
fn check_limits(candidates: &[Candidate], limits: &Limits) -> Result<(), SourceError> {
    if candidates.len() > limits.max_files {
        return Err(SourceError::Limit(TreeError::TooManyFiles {
            limit: limits.max_files,
        }));
    }
    let mut total: u64 = 0;
    for candidate in candidates {
        if candidate.size > limits.max_file_bytes {
            return Err(SourceError::Limit(TreeError::FileTooLarge {
                path: candidate.path.to_string(),
                size: candidate.size,
                limit: limits.max_file_bytes,
            }));
        }
        total = total.saturating_add(candidate.size);
    }
    if total > limits.max_total_bytes {
        return Err(SourceError::Limit(TreeError::TotalTooLarge {
            limit: limits.max_total_bytes,
        }));
    }
    Ok(())
}

/// Reads at most one byte more than the size seen at walk time, so a file that grows while we
/// read it cannot push us past the limits.
fn read_bounded(candidate: &Candidate) -> Result<Vec<u8>, SourceError> {
    let io_err = |source| SourceError::Io {
        path: candidate.absolute.clone(),
        source,
    };
    let file = open_no_follow(&candidate.absolute).map_err(io_err)?;
    let mut data = Vec::with_capacity(candidate.size as usize);
    file.take(candidate.size + 1)
        .read_to_end(&mut data)
        .map_err(io_err)?;
    Ok(data)
}

/// Opens without following a final symlink (`O_NOFOLLOW`): a file swapped for a link between
/// the walk and the read is refused, not followed.
#[cfg(unix)]
fn open_no_follow(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> std::io::Result<fs::File> {
    // The walk already refused links.
    fs::File::open(path)
}

/// Whether the owner exec bit is set: the one mode bit a Skill keeps.
#[cfg(unix)]
pub(crate) fn is_executable(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o100 != 0
}

/// Whether the owner exec bit is set: the one mode bit a Skill keeps.
#[cfg(not(unix))]
pub(crate) fn is_executable(_meta: &fs::Metadata) -> bool {
    false
}

#[cfg(unix)]
fn special_kind(file_type: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_fifo() {
        "a FIFO"
    } else if file_type.is_socket() {
        "a socket"
    } else if file_type.is_block_device() {
        "a block device"
    } else if file_type.is_char_device() {
        "a character device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_file_type: &fs::FileType) -> &'static str {
    "a special file"
}

fn relative_path(dir: &Path, path: &Path) -> String {
    let text = path.strip_prefix(dir).unwrap_or(path).to_string_lossy();
    text.replace(std::path::MAIN_SEPARATOR, "/")
}
