//! Pack and read throughput on a generated Skill of 5,000 files / 50 MB, beside GNU tar + gzip
//! at the same deflate level, measured in the same run. Results: docs/benchmarks.md.
//!
//! `cargo bench -p skillsig --bench bundle`

use std::fs;
use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use skillsig::Limits;
use skillsig::bundle::{self, SourceOptions};

const FILES: usize = 5_000;
const TOTAL_BYTES: usize = 50_000_000;

/// Writes a source-like tree: 50 folders of 100 files, text built from a small vocabulary so
/// it compresses about as well as real code (3–4×).
fn generate(dir: &Path) {
    const WORDS: &[&str] = &[
        "fn", "let", "return", "if", "else", "for", "while", "import", "def", "class", "self",
        "value", "result", "error", "config", "request", "response", "path", "name", "data", "=",
        "(", ")", "{", "}", ":", ";", ".", "0", "1", "42", "\"text\"", "None", "true", "false",
        "async", "await", "map", "filter", "print",
    ];
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    fs::write(
        dir.join("SKILL.md"),
        "---\nname: bench\ndescription: generated\n---\n",
    )
    .unwrap();
    fs::write(
        dir.join("skillsig.toml"),
        "[skill]\nnamespace = \"bench\"\nversion = \"1.0.0\"\n",
    )
    .unwrap();
    let per_file = TOTAL_BYTES / FILES;
    for i in 0..FILES {
        let folder = dir.join(format!("src{:02}", i / 100));
        fs::create_dir_all(&folder).unwrap();
        let target = per_file / 2 + (next() as usize % per_file);
        let mut text = String::with_capacity(target + 16);
        while text.len() < target {
            text.push_str(WORDS[next() as usize % WORDS.len()]);
            text.push(if next() % 12 == 0 { '\n' } else { ' ' });
        }
        fs::write(folder.join(format!("file{i:04}.py")), text).unwrap();
    }
}

fn shell(script: &str, dir: &Path) {
    let status = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "{script}");
}

fn bench(c: &mut Criterion) {
    let work = tempfile::tempdir().unwrap();
    let skill = work.path().join("skill");
    fs::create_dir(&skill).unwrap();
    generate(&skill);
    let options = SourceOptions::default();
    let packed = skillsig::pack::pack_dir(&skill, &options).unwrap();
    let bytes = packed.tree.total_size();
    eprintln!(
        "tree: {} files, {} bytes; bundle {} bytes",
        packed.tree.len(),
        bytes,
        packed.bundle.len()
    );
    let gnu_bundle = work.path().join("gnu.tar.gz");
    let gnu_pack = format!(
        "tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - . | gzip -n -{} > '{}'",
        6,
        gnu_bundle.display()
    );
    let tools = Command::new("sh")
        .arg("-c")
        .arg("tar --version && gzip --version")
        .output();
    let have_gnu = tools.is_ok_and(|o| o.status.success());

    let mut group = c.benchmark_group("pack");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30))
        .throughput(Throughput::Bytes(bytes));
    group.bench_function("skillsig", |b| {
        b.iter(|| black_box(skillsig::pack::pack_dir(&skill, &options).unwrap()))
    });
    if have_gnu {
        group.bench_function("gnu-tar-gzip-6", |b| b.iter(|| shell(&gnu_pack, &skill)));
    }
    group.finish();

    let mut group = c.benchmark_group("read");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Bytes(bytes));
    group.bench_function("skillsig", |b| {
        b.iter(|| black_box(bundle::read_bytes(&packed.bundle, &Limits::DEFAULT).unwrap()))
    });
    if have_gnu {
        shell(&gnu_pack, &skill);
        let list = format!(
            "gzip -dc '{}' | tar -tf - > /dev/null",
            gnu_bundle.display()
        );
        group.bench_function("gnu-gzip-d-tar-t", |b| b.iter(|| shell(&list, work.path())));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
