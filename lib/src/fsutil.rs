//! Reading and writing files safely, for every command: reads stop one byte past a limit, and
//! writes are staged in the target's folder and renamed into place, so a reader never sees half
//! a file and a failure leaves nothing behind.

use std::io::{Read, Write};
use std::path::Path;

/// Why a bounded read failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadLimitedError {
    /// Reading failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The file is larger than the limit; reading stopped there.
    #[error("larger than the limit of {0} bytes")]
    TooLarge(u64),
}

impl ReadLimitedError {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            ReadLimitedError::Io(..) => "io",
            ReadLimitedError::TooLarge(..) => "too-large",
        }
    }
}

/// Reads a whole file, refusing it as soon as it is larger than `limit` bytes.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, ReadLimitedError> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadLimitedError::TooLarge(limit));
    }
    Ok(bytes)
}

/// Writes `bytes` to a new temporary file in `dir` with `mode` (Unix), synced, ready to be
/// persisted (renamed) to its final name; dropped unpersisted, it is removed.
pub fn stage(dir: &Path, bytes: &[u8], mode: u32) -> std::io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".skillsig-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = builder.tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    Ok(file)
}
