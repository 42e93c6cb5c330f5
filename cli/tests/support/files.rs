//! File helpers shared by the command-line tests.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// Copies a folder recursively, keeping exec bits; copies are writable even when the source
/// is read-only (the shared test vectors are).
#[allow(dead_code)] // Not every test binary copies folders.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
            let mut permissions = fs::metadata(&target).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            permissions.set_readonly(false);
            fs::set_permissions(&target, permissions).unwrap();
        }
    }
}

/// Every file under `dir` with its bytes and mode, for byte-for-byte comparisons. Links are
/// recorded by where they point and never followed; special files by their mode alone.
#[allow(dead_code)] // Not every test binary compares folders.
pub fn snapshot(dir: &Path) -> BTreeMap<String, (Vec<u8>, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            let rel = path.strip_prefix(dir).unwrap().display().to_string();
            let mode = meta.permissions().mode();
            if meta.is_symlink() {
                let target = fs::read_link(&path).unwrap().display().to_string();
                out.insert(format!("{rel} -> {target}"), (Vec::new(), mode));
            } else if meta.is_dir() {
                out.insert(format!("{rel}/"), (Vec::new(), mode));
                stack.push(path);
            } else if meta.is_file() {
                out.insert(rel, (fs::read(&path).unwrap(), mode));
            } else {
                // A FIFO or device: reading it could block.
                out.insert(format!("{rel} (special)"), (Vec::new(), mode));
            }
        }
    }
    out
}
