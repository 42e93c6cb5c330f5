//! The content of a Skill as a set of files in memory, and its tree digest.
//!
//! A [`FileTree`] is what a Skill *is* for skillsig: regular files with validated paths, their
//! bytes and their exec bit. A folder on disk and a `.skill` bundle both become a `FileTree`
//! through a [`TreeBuilder`], which enforces the same rules on both: no duplicates, no two
//! paths that collide on a case-insensitive filesystem, no path that is both a file and a
//! folder, and the size and count limits. The tree digest (see `docs/manifest.md`) identifies
//! the content independently of how it is archived or compressed.

mod path;

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

pub(crate) use path::is_invisible;
pub use path::{PathError, RESERVED_ROOT, SkillPath};

use crate::limits::Limits;

/// A SHA-256 digest.
pub type Sha256Digest = [u8; 32];

/// One regular file of a Skill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// The file's content.
    pub data: Vec<u8>,
    /// Whether the owner exec bit is set (the only mode bit skillsig keeps).
    pub executable: bool,
    /// SHA-256 of `data`, computed once when the tree is built.
    pub sha256: Sha256Digest,
}

/// What the manifest says about one file: everything but its bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileRecord {
    /// The file's path.
    pub path: SkillPath,
    /// Length in bytes.
    pub size: u64,
    /// Digest of the content.
    pub sha256: Sha256Digest,
    /// Whether the file is executable.
    pub executable: bool,
}

/// The files of one Skill, sorted bytewise by path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileTree {
    files: BTreeMap<SkillPath, FileEntry>,
}

/// Why a set of files cannot form a Skill tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TreeError {
    /// A path breaks a path rule.
    #[error("{path}: {source}")]
    Path {
        /// The path.
        path: String,
        /// The rule broken.
        source: PathError,
    },
    /// A path appears twice.
    #[error("{path}: the file appears twice")]
    Duplicate {
        /// The path.
        path: String,
    },
    /// Two paths that one filesystem would treat as one.
    #[error("{path}: collides with {other} on a case-insensitive or normalizing filesystem")]
    Collision {
        /// One path.
        path: String,
        /// The other.
        other: String,
    },
    /// A path that is a file and also a folder of another.
    #[error("{path}: is both a file and a folder ({other})")]
    FileFolderConflict {
        /// The file.
        path: String,
        /// The path under it.
        other: String,
    },
    /// More files than allowed.
    #[error("more than {limit} files")]
    TooManyFiles {
        /// The limit.
        limit: usize,
    },
    /// One file over the size limit.
    #[error("{path}: {size} bytes is over the limit of {limit} bytes for one file")]
    FileTooLarge {
        /// The file.
        path: String,
        /// Its size in bytes.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// All files together over the size limit.
    #[error("the files add up to more than the limit of {limit} bytes")]
    TotalTooLarge {
        /// The limit.
        limit: u64,
    },
}

impl TreeError {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            TreeError::Path { source, .. } => source.code(),
            TreeError::Duplicate { .. } => "tree-duplicate",
            TreeError::Collision { .. } => "tree-collision",
            TreeError::FileFolderConflict { .. } => "tree-file-folder-conflict",
            TreeError::TooManyFiles { .. } => "tree-too-many-files",
            TreeError::FileTooLarge { .. } => "tree-file-too-large",
            TreeError::TotalTooLarge { .. } => "tree-total-too-large",
        }
    }
}

impl TreeError {
    /// The path the error is about, when it is about one file.
    pub fn path(&self) -> Option<&str> {
        match self {
            TreeError::Path { path, .. }
            | TreeError::Duplicate { path }
            | TreeError::Collision { path, .. }
            | TreeError::FileFolderConflict { path, .. }
            | TreeError::FileTooLarge { path, .. } => Some(path),
            TreeError::TooManyFiles { .. } | TreeError::TotalTooLarge { .. } => None,
        }
    }
}

impl FileTree {
    /// The files in bytewise path order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&SkillPath, &FileEntry)> {
        self.files.iter()
    }

    /// The file at `path`, if the tree has it (exact match).
    pub fn get(&self, path: &str) -> Option<&FileEntry> {
        self.files
            .iter()
            .find_map(|(p, entry)| (p.as_str() == path).then_some(entry))
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether the tree has no file.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Sum of all file sizes.
    pub fn total_size(&self) -> u64 {
        self.files.values().map(|f| f.data.len() as u64).sum()
    }

    /// The per-file records that the manifest lists and the tree digest covers.
    pub fn records(&self) -> Vec<FileRecord> {
        self.files
            .iter()
            .map(|(path, entry)| FileRecord {
                path: path.clone(),
                size: entry.data.len() as u64,
                sha256: entry.sha256,
                executable: entry.executable,
            })
            .collect()
    }

    /// The tree digest of this tree (see [`tree_digest`]).
    pub fn digest(&self) -> Sha256Digest {
        tree_digest(&self.records())
    }
}

/// The tree digest: SHA-256 over a header line and one line per file, in bytewise path order:
///
/// ```text
/// skillsig-tree-v1\n
/// <sha256 hex> <644|755> <size> <path>\n
/// ```
///
/// The path comes last, so it needs no escaping (paths cannot hold control characters).
/// `docs/manifest.md` is the normative description.
pub fn tree_digest(records: &[FileRecord]) -> Sha256Digest {
    let mut sorted: Vec<&FileRecord> = records.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let mut hasher = Sha256::new();
    hasher.update(b"skillsig-tree-v1\n");
    for record in sorted {
        let mode = if record.executable { "755" } else { "644" };
        hasher.update(format!(
            "{} {mode} {} {}\n",
            hex::encode(record.sha256),
            record.size,
            record.path
        ));
    }
    hasher.finalize().into()
}

/// SHA-256 of a byte slice.
pub fn sha256(data: &[u8]) -> Sha256Digest {
    Sha256::digest(data).into()
}

/// Builds a [`FileTree`] one file at a time, checking every rule as files arrive so that a
/// streaming reader can stop at the first bad entry.
#[derive(Debug)]
pub struct TreeBuilder {
    limits: Limits,
    files: BTreeMap<SkillPath, (Vec<u8>, bool)>,
    total: u64,
    /// Collision key of every file, mapped to the path that claimed it.
    file_keys: HashMap<String, SkillPath>,
    /// Collision key of every folder implied by a file path, mapped to one file inside it.
    folder_keys: HashMap<String, SkillPath>,
}

impl TreeBuilder {
    /// An empty builder enforcing `limits`.
    pub fn new(limits: Limits) -> TreeBuilder {
        TreeBuilder {
            limits,
            files: BTreeMap::new(),
            total: 0,
            file_keys: HashMap::new(),
            folder_keys: HashMap::new(),
        }
    }

    /// Checks that one more file of `size` bytes at `path` would be accepted, before its bytes
    /// are read: readers call this with the size a header or the filesystem claims.
    pub fn check_admission(&self, path: &SkillPath, size: u64) -> Result<(), TreeError> {
        if self.files.len() >= self.limits.max_files {
            return Err(TreeError::TooManyFiles {
                limit: self.limits.max_files,
            });
        }
        if size > self.limits.max_file_bytes {
            return Err(TreeError::FileTooLarge {
                path: path.to_string(),
                size,
                limit: self.limits.max_file_bytes,
            });
        }
        if self.total.saturating_add(size) > self.limits.max_total_bytes {
            return Err(TreeError::TotalTooLarge {
                limit: self.limits.max_total_bytes,
            });
        }
        if self.files.contains_key(path) {
            return Err(TreeError::Duplicate {
                path: path.to_string(),
            });
        }
        let key = path.collision_key();
        if let Some(other) = self.file_keys.get(&key) {
            return Err(TreeError::Collision {
                path: path.to_string(),
                other: other.to_string(),
            });
        }
        if let Some(inside) = self.folder_keys.get(&key) {
            return Err(TreeError::FileFolderConflict {
                path: path.to_string(),
                other: inside.to_string(),
            });
        }
        for folder in folder_prefixes(&key) {
            if let Some(file) = self.file_keys.get(folder) {
                return Err(TreeError::FileFolderConflict {
                    path: path.to_string(),
                    other: file.to_string(),
                });
            }
        }
        Ok(())
    }

    /// Adds a file after checking it with [`TreeBuilder::check_admission`].
    pub fn add(
        &mut self,
        path: SkillPath,
        data: Vec<u8>,
        executable: bool,
    ) -> Result<(), TreeError> {
        self.check_admission(&path, data.len() as u64)?;
        let key = path.collision_key();
        for folder in folder_prefixes(&key) {
            self.folder_keys
                .entry(folder.to_owned())
                .or_insert_with(|| path.clone());
        }
        self.file_keys.insert(key, path.clone());
        self.total += data.len() as u64;
        self.files.insert(path, (data, executable));
        Ok(())
    }

    /// Hashes every file and returns the finished tree. Large trees are hashed in parallel;
    /// small ones on the calling thread, where handing work to a pool costs more than it saves.
    pub fn finish(self) -> FileTree {
        const PARALLEL_ABOVE_BYTES: u64 = 4 * 1024 * 1024;
        let hash = |(path, (data, executable)): (SkillPath, (Vec<u8>, bool))| {
            let sha256 = sha256(&data);
            (
                path,
                FileEntry {
                    data,
                    executable,
                    sha256,
                },
            )
        };
        let files = if self.total > PARALLEL_ABOVE_BYTES {
            let entries: Vec<_> = self.files.into_iter().collect();
            entries
                .into_par_iter()
                .map(hash)
                .collect::<Vec<_>>()
                .into_iter()
                .collect()
        } else {
            self.files.into_iter().map(hash).collect()
        };
        FileTree { files }
    }
}

/// `a/b/c` → `a`, `a/b`.
fn folder_prefixes(key: &str) -> impl Iterator<Item = &str> {
    key.match_indices('/').map(move |(i, _)| &key[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(raw: &str) -> SkillPath {
        SkillPath::parse(raw, &Limits::DEFAULT).unwrap()
    }

    #[test]
    fn tree_is_sorted_bytewise_by_full_path() {
        let mut builder = TreeBuilder::new(Limits::DEFAULT);
        for p in ["a/x", "a.txt", "a-b/y", "B", "a/b/c"] {
            builder.add(path(p), p.as_bytes().to_vec(), false).unwrap();
        }
        let tree = builder.finish();
        let order: Vec<&str> = tree.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(order, ["B", "a-b/y", "a.txt", "a/b/c", "a/x"]);
    }

    #[test]
    fn duplicate_is_refused() {
        let mut builder = TreeBuilder::new(Limits::DEFAULT);
        builder.add(path("a"), vec![], false).unwrap();
        assert_eq!(
            builder.add(path("a"), vec![], false),
            Err(TreeError::Duplicate { path: "a".into() })
        );
    }

    #[test]
    fn case_and_unicode_collisions_are_refused() {
        let mut builder = TreeBuilder::new(Limits::DEFAULT);
        builder.add(path("SKILL.md"), vec![], false).unwrap();
        builder.add(path("straße"), vec![], false).unwrap();
        assert!(matches!(
            builder.add(path("skill.md"), vec![], false),
            Err(TreeError::Collision { .. })
        ));
        assert!(matches!(
            builder.add(path("STRASSE"), vec![], false),
            Err(TreeError::Collision { .. })
        ));
    }

    #[test]
    fn file_that_is_also_a_folder_is_refused_in_either_order() {
        let mut builder = TreeBuilder::new(Limits::DEFAULT);
        builder.add(path("a"), vec![], false).unwrap();
        assert!(matches!(
            builder.add(path("A/b"), vec![], false),
            Err(TreeError::FileFolderConflict { .. })
        ));
        let mut builder = TreeBuilder::new(Limits::DEFAULT);
        builder.add(path("a/b/c"), vec![], false).unwrap();
        assert!(matches!(
            builder.add(path("a/b"), vec![], false),
            Err(TreeError::FileFolderConflict { .. })
        ));
    }

    #[test]
    fn limits_are_enforced() {
        let limits = Limits {
            max_files: 2,
            max_file_bytes: 10,
            max_total_bytes: 15,
            ..Limits::DEFAULT
        };
        let mut builder = TreeBuilder::new(limits);
        assert!(matches!(
            builder.add(path("big"), vec![0; 11], false),
            Err(TreeError::FileTooLarge { size: 11, .. })
        ));
        builder.add(path("a"), vec![0; 10], false).unwrap();
        assert_eq!(
            builder.add(path("b"), vec![0; 6], false),
            Err(TreeError::TotalTooLarge { limit: 15 })
        );
        builder.add(path("b"), vec![0; 5], false).unwrap();
        assert_eq!(
            builder.add(path("c"), vec![], false),
            Err(TreeError::TooManyFiles { limit: 2 })
        );
    }

    #[test]
    fn tree_digest_is_pinned_and_covers_every_field() {
        let build = |exec: bool, content: &[u8], name: &str| {
            let mut builder = TreeBuilder::new(Limits::DEFAULT);
            builder
                .add(path("SKILL.md"), b"hi\n".to_vec(), false)
                .unwrap();
            builder.add(path(name), content.to_vec(), exec).unwrap();
            builder.finish().digest()
        };
        let base = build(true, b"echo\n", "run.sh");
        assert_eq!(
            hex::encode(base),
            "b82c80509c42e2c397e1bda30f481dbb00b7b64875548eff296cfe431b457091"
        );
        assert_ne!(base, build(false, b"echo\n", "run.sh"));
        assert_ne!(base, build(true, b"echo!\n", "run.sh"));
        assert_ne!(base, build(true, b"echo\n", "run2.sh"));
    }
}
