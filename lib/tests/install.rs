//! The install destination's lock: one writer at a time, and what an interrupted install left
//! behind is reported, then swept by the next writer (an old version moved aside with nothing in
//! its place is put back, never lost).

use std::fs;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use skillsig::install::{LockedDestination, stale_staging};

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn folder(path: &Path, skill_md: &str) {
    fs::create_dir_all(path.join("scripts")).unwrap();
    fs::write(path.join("SKILL.md"), skill_md).unwrap();
}

#[test]
fn leftovers_are_reported_then_swept_and_a_version_moved_aside_is_put_back() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path();
    // Killed while writing.
    folder(&dest.join(".skillsig-new-abc123"), "half");
    // Killed between the two renames: `tool` moved aside, nothing in its place.
    folder(&dest.join(".skillsig-old-tool-77"), "tool 1");
    // Killed after them: `other` is the new version, the old one is garbage.
    folder(&dest.join("other"), "other 2");
    folder(&dest.join(".skillsig-old-other-78"), "other 1");
    let mut stale = stale_staging(dest);
    stale.sort();
    assert_eq!(
        stale,
        [
            dest.join(".skillsig-new-abc123"),
            dest.join(".skillsig-old-other-78"),
            dest.join(".skillsig-old-tool-77"),
        ]
    );
    let held = LockedDestination::acquire(dest).unwrap();
    assert_eq!(
        fs::read_to_string(dest.join("tool/SKILL.md")).unwrap(),
        "tool 1"
    );
    assert_eq!(
        fs::read_to_string(dest.join("other/SKILL.md")).unwrap(),
        "other 2"
    );
    assert!(stale_staging(dest).is_empty());
    drop(held);
    assert_eq!(names_in(dest), ["other", "tool"], "the lock file goes too");
}

#[test]
fn one_writer_at_a_time_and_a_running_install_is_not_stale() {
    let dir = tempfile::tempdir().unwrap();
    let first = LockedDestination::acquire(dir.path()).unwrap();
    folder(&dir.path().join(".skillsig-new-live"), "being written");
    assert!(
        stale_staging(dir.path()).is_empty(),
        "the folder of a running install is not reported"
    );
    let (sender, receiver) = mpsc::channel();
    let path = dir.path().to_owned();
    let second = std::thread::spawn(move || {
        let held = LockedDestination::acquire(&path).unwrap();
        sender.send(()).unwrap();
        drop(held);
    });
    assert!(
        receiver.recv_timeout(Duration::from_millis(500)).is_err(),
        "the second writer waits"
    );
    drop(first);
    receiver
        .recv_timeout(Duration::from_secs(20))
        .expect("the second writer goes on once the first is done");
    second.join().unwrap();
    assert!(
        names_in(dir.path()).is_empty(),
        "{:?}",
        names_in(dir.path())
    );
}
