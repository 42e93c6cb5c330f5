//! The strict bundle reader against the archive-safety checklist: one test per row, each from
//! an archive crafted here. Every refusal must name the offending entry where there is one.

mod support;

use skillsig::Limits;
use skillsig::bundle::{self, GzipError, ReadError};
use skillsig::skill::SkillMdError;
use skillsig::tree::{PathError, TreeError};
use support::{BLOCK, Header, RawTar, SKILL_MD, gzip};

fn read(tar: Vec<u8>) -> Result<bundle::Bundle, ReadError> {
    bundle::read_bytes(&gzip(&tar), &Limits::DEFAULT)
}

/// Reads a bundle that adds one file `name` to a valid one.
fn read_with_file(name: &str) -> Result<bundle::Bundle, ReadError> {
    read(RawTar::with_skill_md().file(name, b"x").end())
}

/// Asserts a path refusal that names the entry.
fn assert_path_error(name: &str, expected: PathError) {
    let err = read_with_file(name).unwrap_err();
    assert_eq!(
        err,
        ReadError::Path {
            entry: name.into(),
            source: expected
        },
        "{name}"
    );
    assert!(
        err.to_string().starts_with(name),
        "the error names the entry: {err}"
    );
}

#[test]
fn a_well_formed_archive_is_read() {
    let bundle = read(
        RawTar::with_skill_md()
            .file("scripts/a.sh", b"echo\n")
            .end(),
    )
    .unwrap();
    let paths: Vec<&str> = bundle.tree.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["SKILL.md", "scripts/a.sh"]);
}

#[test]
fn row_01_parent_components() {
    assert_path_error("../evil.sh", PathError::ParentComponent);
    assert_path_error("scripts/../../evil.sh", PathError::ParentComponent);
}

#[test]
fn row_02_absolute_paths() {
    for name in ["/etc/cron.d/x", "C:\\x", "C:x", "\\\\server\\share", "//x"] {
        assert_path_error(name, PathError::Absolute);
    }
}

#[test]
fn the_root_skillsig_folder_is_reserved_for_install_records() {
    for (name, component) in [
        (".skillsig/receipt.json", ".skillsig"),
        (".skillsig/manifest.json", ".skillsig"),
        (".SKILLSIG/receipt.json", ".SKILLSIG"),
        (".skillsig", ".skillsig"),
    ] {
        assert_path_error(name, PathError::Reserved(component.into()));
    }
    // Only at the root: a sub-folder of that name is an ordinary one.
    assert!(read_with_file("docs/.skillsig/notes.md").is_ok());
}

#[test]
fn row_03_unclean_paths() {
    for name in ["./a", "a//b", "a/./b", "a/"] {
        let err = read_with_file(name).unwrap_err();
        assert!(
            matches!(&err, ReadError::Path { entry, source: PathError::NotClean(_) } if entry == name),
            "{name}: {err}"
        );
    }
}

#[test]
fn row_04_backslash() {
    assert_path_error("scripts\\a.sh", PathError::Backslash);
}

#[test]
fn row_05_forbidden_and_control_characters() {
    assert_path_error("ab<c", PathError::ForbiddenChar('<'));
    assert_path_error("what?.md", PathError::ForbiddenChar('?'));
    assert_path_error("a\u{1b}[31m.md", PathError::ControlChar(0x1b));
    assert_path_error("a\u{7f}", PathError::ControlChar(0x7f));
}

#[test]
fn row_06_reserved_windows_names() {
    for name in ["CON", "scripts/nul.txt", "Com1.md", "lpt9", "CONOUT$"] {
        assert_path_error(
            name,
            PathError::ReservedName(name.rsplit('/').next().unwrap().into()),
        );
    }
}

#[test]
fn row_07_trailing_dot_space_or_only_dots() {
    assert_path_error("run.sh.", PathError::TrailingDotOrSpace("run.sh.".into()));
    assert_path_error("dir /a", PathError::TrailingDotOrSpace("dir ".into()));
    assert_path_error(".../a", PathError::NotClean("component of only dots"));
}

#[test]
fn row_08_short_name_lookalikes() {
    assert_path_error(
        "SKILL~1.MD",
        PathError::ShortNameLookalike("SKILL~1.MD".into()),
    );
}

#[test]
fn row_09_invalid_utf8() {
    let tar = RawTar::with_skill_md()
        .entry(
            &Header {
                name: b"bad\xff.md".to_vec(),
                ..Header::file("")
            },
            b"x",
        )
        .end();
    let err = read(tar).unwrap_err();
    assert!(
        matches!(&err, ReadError::Path { source: PathError::InvalidUtf8, entry } if entry.starts_with("bad")),
        "{err}"
    );
}

#[test]
fn row_10_not_nfc() {
    assert_path_error("cafe\u{301}.md", PathError::NotNfc);
}

#[test]
fn row_11_collisions_after_case_folding() {
    let err = read(RawTar::with_skill_md().file("skill.md", b"x").end()).unwrap_err();
    assert_eq!(
        err,
        ReadError::Tree(TreeError::Collision {
            path: "skill.md".into(),
            other: "SKILL.md".into()
        })
    );
    let err = read(
        RawTar::with_skill_md()
            .file("straße.md", b"x")
            .file("STRASSE.md", b"y")
            .end(),
    )
    .unwrap_err();
    assert!(
        matches!(err, ReadError::Tree(TreeError::Collision { ref path, .. }) if path == "STRASSE.md"),
        "{err}"
    );
}

#[test]
fn row_12_file_and_folder_with_the_same_path() {
    let err = read(
        RawTar::with_skill_md()
            .file("lib", b"x")
            .file("lib/a.py", b"y")
            .end(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        ReadError::Tree(TreeError::FileFolderConflict {
            path: "lib/a.py".into(),
            other: "lib".into()
        })
    );
    let err = read(
        RawTar::with_skill_md()
            .file("lib/a.py", b"y")
            .file("lib", b"x")
            .end(),
    )
    .unwrap_err();
    assert!(
        matches!(err, ReadError::Tree(TreeError::FileFolderConflict { ref path, .. }) if path == "lib")
    );
}

#[test]
fn row_13_duplicate_entries() {
    let err = read(
        RawTar::with_skill_md()
            .file("a.sh", b"harmless")
            .file("a.sh", b"evil")
            .end(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        ReadError::Tree(TreeError::Duplicate {
            path: "a.sh".into()
        })
    );
}

#[test]
fn row_14_invisible_and_bidi_characters() {
    assert_path_error("run\u{200b}.sh", PathError::InvisibleChar(0x200b));
    assert_path_error("txt.\u{202e}hs", PathError::InvisibleChar(0x202e));
    assert_path_error("a\u{2066}b", PathError::InvisibleChar(0x2066));
    assert_path_error("\u{feff}x", PathError::InvisibleChar(0xfeff));
}

#[test]
fn row_15_path_length_and_depth() {
    let long_component = "a".repeat(101);
    let tar = RawTar::with_skill_md()
        .pax(&[("path", long_component.as_bytes())])
        .file("x", b"x")
        .end();
    let err = read(tar).unwrap_err();
    assert!(matches!(
        err,
        ReadError::Path {
            source: PathError::ComponentTooLong { len: 101, .. },
            ..
        }
    ));

    // 256 bytes, through the ustar prefix field.
    let prefix = vec!["p".repeat(50); 3].join("/"); // 152 bytes
    let long = Header {
        prefix: format!("{prefix}/qq").into_bytes(),
        name: "n".repeat(100).into_bytes(),
        ..Header::file("")
    };
    let err = read(RawTar::with_skill_md().entry(&long, b"x").end()).unwrap_err();
    assert!(
        matches!(
            err,
            ReadError::Path {
                source: PathError::TooLong {
                    len: 256,
                    limit: 255
                },
                ..
            }
        ),
        "{err}"
    );

    let deep = vec!["d"; 33].join("/");
    assert_path_error(
        &deep,
        PathError::TooDeep {
            depth: 33,
            limit: 32,
        },
    );
}

fn assert_unsupported(typeflag: u8, kind: &str) {
    let tar = RawTar::with_skill_md()
        .entry(&Header::typed("entry", typeflag), b"")
        .end();
    let err = read(tar).unwrap_err();
    assert_eq!(
        err,
        ReadError::UnsupportedEntry {
            entry: "entry".into(),
            kind: kind.into()
        }
    );
    assert!(err.to_string().starts_with("entry: is "), "{err}");
}

#[test]
fn row_16_symlinks() {
    assert_unsupported(b'2', "a symbolic link");
}

#[test]
fn row_17_hard_links() {
    assert_unsupported(b'1', "a hard link");
}

#[test]
fn row_18_devices_fifos_sparse_and_unknown_types() {
    assert_unsupported(b'3', "a character device");
    assert_unsupported(b'4', "a block device");
    assert_unsupported(b'6', "a FIFO");
    assert_unsupported(b'7', "a contiguous file");
    assert_unsupported(b'S', "a GNU sparse file");
    assert_unsupported(b'L', "a GNU long-name record");
    assert_unsupported(b'g', "a global PAX header");
    assert_unsupported(b'Z', "an entry of unknown type 'Z'");
}

#[test]
fn row_19_directory_entries_are_ignored_but_checked() {
    let dir = Header {
        mode: 0o7777,
        ..Header::typed("scripts/", b'5')
    };
    let bundle = read(
        RawTar::with_skill_md()
            .entry(&dir, b"")
            .file("scripts/a.sh", b"x")
            .end(),
    )
    .unwrap();
    assert_eq!(bundle.tree.len(), 2, "no entry for the folder itself");
    let err = read(
        RawTar::with_skill_md()
            .entry(&Header::typed("../up/", b'5'), b"")
            .end(),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            ReadError::Path {
                source: PathError::ParentComponent,
                ..
            }
        ),
        "{err}"
    );
    let err = read(
        RawTar::with_skill_md()
            .entry(&Header::typed("d/", b'5'), b"data")
            .end(),
    )
    .unwrap_err();
    assert_eq!(err, ReadError::DirectoryWithData { entry: "d/".into() });
}

#[test]
fn row_20_only_the_owner_exec_bit_survives() {
    let setuid = Header {
        mode: 0o6777,
        ..Header::file("run.sh")
    };
    let world_writable = Header {
        mode: 0o666,
        ..Header::file("data.txt")
    };
    let bundle = read(
        RawTar::with_skill_md()
            .entry(&setuid, b"x")
            .entry(&world_writable, b"y")
            .end(),
    )
    .unwrap();
    let modes: Vec<(String, bool)> = bundle
        .tree
        .iter()
        .map(|(p, f)| (p.to_string(), f.executable))
        .collect();
    assert_eq!(
        modes,
        [
            ("SKILL.md".into(), false),
            ("data.txt".into(), false),
            ("run.sh".into(), true)
        ]
    );
}

#[test]
fn row_21_owner_names_and_times_do_not_matter() {
    let plain = read(RawTar::with_skill_md().file("a", b"x").end()).unwrap();
    let owned = Header {
        uid: 1000,
        uname: b"mallory".to_vec(),
        mtime: 1_600_000_000,
        ..Header::file("a")
    };
    let other = read(RawTar::with_skill_md().entry(&owned, b"x").end()).unwrap();
    assert_eq!(plain.tree, other.tree);
    assert_eq!(plain.tree.digest(), other.tree.digest());
}

#[test]
fn row_22_pax_records() {
    // A PAX `path` is honoured, and checked like any other path.
    let ok = read(
        RawTar::with_skill_md()
            .pax(&[("path", b"long/name.md")])
            .file("ignored", b"x")
            .end(),
    )
    .unwrap();
    assert!(ok.tree.get("long/name.md").is_some());
    let err = read(
        RawTar::with_skill_md()
            .pax(&[("path", b"../x")])
            .file("ok", b"x")
            .end(),
    )
    .unwrap_err();
    assert!(
        matches!(err, ReadError::Path { ref entry, source: PathError::ParentComponent } if entry == "../x"),
        "{err}"
    );

    let size = RawTar::with_skill_md()
        .pax(&[("size", b"1")])
        .file("a", b"xxxx")
        .end();
    let err = read(size).unwrap_err();
    assert!(
        matches!(&err, ReadError::Pax { reason, .. } if reason.contains("`size`")),
        "{err}"
    );
    let mtime = RawTar::with_skill_md()
        .pax(&[("mtime", b"1")])
        .file("a", b"x")
        .end();
    assert!(
        matches!(read(mtime).unwrap_err(), ReadError::Pax { ref reason, .. } if reason.contains("`mtime`"))
    );
    let malformed = RawTar::with_skill_md()
        .entry(&Header::typed("PaxHeader", b'x'), b"99 path=a\n")
        .file("a", b"x")
        .end();
    assert!(
        matches!(read(malformed).unwrap_err(), ReadError::Pax { ref reason, .. } if reason.contains("malformed"))
    );
    let twice = RawTar::with_skill_md()
        .pax(&[("path", b"a")])
        .pax(&[("path", b"b")])
        .file("c", b"x")
        .end();
    assert!(
        matches!(read(twice).unwrap_err(), ReadError::Pax { ref reason, .. } if reason.contains("two PAX"))
    );
    let dangling = RawTar::with_skill_md().pax(&[("path", b"a")]).end();
    assert!(matches!(read(dangling).unwrap_err(), ReadError::Pax { .. }));
}

#[test]
fn row_23_truncation_and_bad_headers() {
    let mut short = RawTar::with_skill_md()
        .raw(&Header::file("a.sh").encode(1000))
        .raw(b"only this");
    short.pad();
    let err = read(short.bytes).unwrap_err();
    assert_eq!(
        err,
        ReadError::Truncated {
            entry: "a.sh".into()
        }
    );

    let no_end = RawTar::with_skill_md().file("a", b"x").bytes;
    assert_eq!(read(no_end).unwrap_err(), ReadError::NoEndMarker);
    let one_zero_block = RawTar::with_skill_md().raw(&[0; BLOCK]).bytes;
    assert_eq!(read(one_zero_block).unwrap_err(), ReadError::NoEndMarker);

    let bad_sum = RawTar::with_skill_md()
        .entry(
            &Header {
                bad_checksum: true,
                ..Header::file("a")
            },
            b"x",
        )
        .end();
    assert_eq!(
        read(bad_sum).unwrap_err(),
        ReadError::BadChecksum { entry: "a".into() }
    );
    let gnu = RawTar::with_skill_md()
        .entry(
            &Header {
                magic: *b"ustar  \0",
                ..Header::file("a")
            },
            b"x",
        )
        .end();
    assert_eq!(
        read(gnu).unwrap_err(),
        ReadError::NotUstar { entry: "a".into() }
    );
    let base256 = Header {
        size_field: Some(vec![0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
        ..Header::file("a")
    };
    let err = read(RawTar::with_skill_md().entry(&base256, b"x").end()).unwrap_err();
    assert_eq!(
        err,
        ReadError::BadNumber {
            entry: "a".into(),
            field: "size"
        }
    );
    let garbage = Header {
        size_field: Some(b"12x4\0".to_vec()),
        ..Header::file("a")
    };
    assert!(matches!(
        read(RawTar::with_skill_md().entry(&garbage, b"x").end()).unwrap_err(),
        ReadError::BadNumber { .. }
    ));
    let truncated_header = RawTar::with_skill_md().raw(&[b'a'; 100]).bytes;
    assert_eq!(
        read(truncated_header).unwrap_err(),
        ReadError::Truncated {
            entry: "(end of archive)".into()
        }
    );
}

#[test]
fn row_24_trailing_data_and_extra_gzip_members() {
    let tar = RawTar::with_skill_md().end();
    let mut two_members = gzip(&tar);
    two_members.extend_from_slice(&gzip(&RawTar::new().file("evil.sh", b"x").end()));
    let err = bundle::read_bytes(&two_members, &Limits::DEFAULT).unwrap_err();
    assert_eq!(err, ReadError::Gzip(GzipError::SecondMember));

    let mut trailing = gzip(&tar);
    trailing.extend_from_slice(b"PK\x03\x04 zip appended");
    let err = bundle::read_bytes(&trailing, &Limits::DEFAULT).unwrap_err();
    assert_eq!(err, ReadError::Gzip(GzipError::TrailingData(17)));

    let hidden_after_end = RawTar::with_skill_md().end();
    let hidden_after_end = RawTar {
        bytes: hidden_after_end,
    }
    .file("hidden.sh", b"x")
    .end();
    assert_eq!(read(hidden_after_end).unwrap_err(), ReadError::DataAfterEnd);

    let padded = RawTar {
        bytes: RawTar::with_skill_md().end(),
    }
    .raw(&[0; 8 * BLOCK])
    .bytes;
    assert!(
        read(padded).is_ok(),
        "zero padding to a record size is fine"
    );
}

#[test]
fn row_25_limits_abort_while_streaming() {
    let limits = Limits {
        max_bundle_bytes: 100,
        ..Limits::DEFAULT
    };
    let big = gzip(&RawTar::with_skill_md().file("a", &[7; 4096]).end());
    assert_eq!(
        bundle::read_bytes(&big, &limits).unwrap_err(),
        ReadError::TooLarge { limit: 100 }
    );
    assert_eq!(
        bundle::read(&big[..], &limits).unwrap_err(),
        ReadError::TooLarge { limit: 100 }
    );

    // A header claiming 1 GiB is refused before any data is read.
    let claims = RawTar::with_skill_md()
        .raw(&Header::file("huge").encode(1 << 30))
        .end();
    let err = read(claims).unwrap_err();
    assert!(
        matches!(err, ReadError::Tree(TreeError::FileTooLarge { ref path, size, .. }) if path == "huge" && size == 1 << 30),
        "{err}"
    );

    let limits = Limits {
        max_total_bytes: 100,
        max_files: 3,
        ..Limits::DEFAULT
    };
    let total = RawTar::with_skill_md()
        .file("a", &[0; 60])
        .file("b", &[0; 60])
        .end();
    assert_eq!(
        bundle::read_bytes(&gzip(&total), &limits).unwrap_err(),
        ReadError::Tree(TreeError::TotalTooLarge { limit: 100 })
    );
    let count = RawTar::with_skill_md()
        .file("a", b"")
        .file("b", b"")
        .file("c", b"")
        .end();
    assert_eq!(
        bundle::read_bytes(&gzip(&count), &limits).unwrap_err(),
        ReadError::Tree(TreeError::TooManyFiles { limit: 3 })
    );

    // Zeros after the end marker compress to almost nothing; they are cut off early.
    let bomb = RawTar {
        bytes: RawTar::with_skill_md().end(),
    }
    .raw(&vec![0; 64 << 20])
    .bytes;
    let compressed = gzip(&bomb);
    assert!(compressed.len() < 1 << 20);
    assert_eq!(
        bundle::read_bytes(&compressed, &Limits::DEFAULT).unwrap_err(),
        ReadError::DataAfterEnd
    );

    // Folder entries count towards a header limit too.
    let limits = Limits {
        max_files: 2,
        ..Limits::DEFAULT
    };
    let mut dirs = RawTar::with_skill_md();
    for i in 0..100 {
        dirs = dirs.entry(&Header::typed(&format!("d{i}/"), b'5'), b"");
    }
    assert!(matches!(
        bundle::read_bytes(&gzip(&dirs.end()), &limits).unwrap_err(),
        ReadError::TooManyEntries { .. }
    ));
}

#[test]
fn row_27_skill_md_missing_nested_or_twice() {
    let err = read(RawTar::new().file("README.md", b"x").end()).unwrap_err();
    assert_eq!(err, ReadError::SkillMd(SkillMdError::Missing));
    let err = read(RawTar::new().file("inner/SKILL.md", SKILL_MD).end()).unwrap_err();
    assert_eq!(
        err,
        ReadError::SkillMd(SkillMdError::NotAtRoot {
            found: "inner/SKILL.md".into()
        })
    );
    let err = read(RawTar::with_skill_md().file("Skill.md", SKILL_MD).end()).unwrap_err();
    assert!(
        matches!(err, ReadError::Tree(TreeError::Collision { .. })),
        "{err}"
    );
    let lower = read(RawTar::new().file("skill.md", SKILL_MD).end()).unwrap();
    assert!(
        lower.tree.get("skill.md").is_some(),
        "skill.md is accepted as the root file"
    );
}

#[test]
fn not_gzip_at_all() {
    assert_eq!(
        bundle::read_bytes(b"PK\x03\x04", &Limits::DEFAULT).unwrap_err(),
        ReadError::Gzip(GzipError::BadMagic)
    );
    assert_eq!(
        bundle::read_bytes(b"", &Limits::DEFAULT).unwrap_err(),
        ReadError::Gzip(GzipError::BadMagic)
    );
}

#[test]
fn unnamed_entries_are_named_by_offset() {
    let err = read(RawTar::with_skill_md().file("", b"x").end()).unwrap_err();
    assert_eq!(
        err,
        ReadError::Path {
            entry: "(unnamed entry at byte 1024)".into(),
            source: PathError::Empty
        }
    );
}

#[test]
fn damage_is_reported_as_damage_whatever_the_tar_layer_saw() {
    let mut tar = RawTar::with_skill_md();
    for i in 0..40 {
        tar = tar.file(
            &format!("f{i}.txt"),
            format!("line {i}\n").repeat(50).as_bytes(),
        );
    }
    let good = gzip(&tar.end());
    let mut refused_as_damage = 0;
    for position in (20..good.len() - 8).step_by(97) {
        let mut damaged = good.clone();
        damaged[position] ^= 0x55;
        match bundle::read_bytes(&damaged, &Limits::DEFAULT) {
            Err(ReadError::Gzip(_)) => refused_as_damage += 1,
            Err(other) => panic!("byte {position}: reported as {other} instead of damage"),
            Ok(_) => panic!("byte {position}: damaged bundle accepted"),
        }
    }
    assert!(refused_as_damage > 10);
}

/// Thousands of damaged bundles: flipped bytes, truncations and insertions, in the gzip layer
/// and (recompressed, so the CRC does not catch them first) in the tar layer. The reader must
/// return a result every time, never panic, and never accept a tree that differs from the
/// original unless the damage was in bytes a reader ignores.
#[test]
fn mutated_bundles_never_panic() {
    let mut tar = RawTar::with_skill_md();
    for i in 0..12 {
        tar = tar.file(
            &format!("dir{}/file{i}.txt", i % 3),
            format!("content {i}\n").repeat(i * 7 + 1).as_bytes(),
        );
    }
    let tar = tar.end();
    let good = gzip(&tar);
    let original = bundle::read_bytes(&good, &Limits::DEFAULT).unwrap().tree;
    let mut state = 0x0123_4567_89ab_cdef_u64;
    let mut next = move |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound.max(1) as u64) as usize
    };
    let mut accepted_changed = 0;
    for round in 0..3000 {
        let layer_tar = round % 2 == 0;
        let mut bytes = if layer_tar { tar.clone() } else { good.clone() };
        match next(3) {
            0 => {
                for _ in 0..1 + next(4) {
                    let at = next(bytes.len());
                    bytes[at] ^= 1 << next(8);
                }
            }
            1 => bytes.truncate(next(bytes.len())),
            _ => {
                let at = next(bytes.len());
                bytes.insert(at, next(256) as u8);
            }
        }
        let input = if layer_tar { gzip(&bytes) } else { bytes };
        if let Ok(read) = bundle::read_bytes(&input, &Limits::DEFAULT)
            && read.tree != original
        {
            accepted_changed += 1;
        }
    }
    // Changes the format allows to pass (content bytes, mode bits other than the exec bit) do
    // produce a different but well-formed tree; what matters is that nothing panicked and that
    // such trees are then caught by the manifest check, which the verify tests cover.
    eprintln!("{accepted_changed} of 3000 mutations read as a different well-formed tree");
}
