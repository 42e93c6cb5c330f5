//! Size and count limits that every reader and writer of Skills enforces.
//!
//! One set of numbers guards both ends: `pack` refuses to build what `read` would refuse to
//! open. The defaults follow the archive-safety reference (ClawHub's 50 MiB bundle cap and
//! conservative path limits that every common filesystem accepts).

/// Limits on a Skill's size and shape. Every field is a hard cap: exceeding it is an error,
/// detected as soon as it happens (while streaming, for bundles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest compressed `.skill` file, in bytes.
    pub max_bundle_bytes: u64,
    /// Largest sum of all file sizes, in bytes.
    pub max_total_bytes: u64,
    /// Most files in one Skill.
    pub max_files: usize,
    /// Largest single file, in bytes.
    pub max_file_bytes: u64,
    /// Largest `SKILL.md`, in bytes.
    pub max_skill_md_bytes: u64,
    /// Longest relative path, in bytes (UTF-8).
    pub max_path_bytes: usize,
    /// Longest single path component, in bytes.
    pub max_component_bytes: usize,
    /// Most components in one path.
    pub max_depth: usize,
}

const MIB: u64 = 1024 * 1024;

impl Limits {
    /// The limits used unless a caller chooses others.
    pub const DEFAULT: Limits = Limits {
        max_bundle_bytes: 50 * MIB,
        max_total_bytes: 100 * MIB,
        max_files: 10_000,
        max_file_bytes: 20 * MIB,
        max_skill_md_bytes: MIB,
        max_path_bytes: 255,
        max_component_bytes: 100,
        max_depth: 32,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}
