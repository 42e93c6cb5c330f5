//! Scanner throughput: source bytes per second on one core, and a generated corpus of 1,000
//! Skills on all cores. Results: docs/benchmarks.md.
//!
//! `cargo bench -p skillsig --bench scan`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use skillsig::scan::{self, ScanFile, ScanInput, ScanOptions};

/// A deterministic word stream.
struct Words(u64);

impl Words {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[(self.next() % list.len() as u64) as usize]
    }
}

const NAMES: &[&str] = &[
    "value", "result", "config", "items", "path", "client", "response", "data", "token", "index",
];

fn python(words: &mut Words, lines: usize) -> String {
    let mut out = String::from(
        "import os\nimport json\nimport subprocess\nimport requests\n\nAPI = \"https://api.example.com/v1\"\n\n",
    );
    for i in 0..lines / 6 {
        let (a, b) = (words.pick(NAMES), words.pick(NAMES));
        out.push_str(&format!(
            "def step_{i}({a}, {b}=None):\n    {a} = json.loads({b} or \"{{}}\")\n    r = requests.get(API + \"/{a}\", timeout=10)\n    subprocess.run([\"git\", \"log\", \"-n\", \"{i}\"], check=True)\n    return os.environ.get(\"HOME\"), r.status_code, {a}\n\n"
        ));
    }
    out
}

fn javascript(words: &mut Words, lines: usize) -> String {
    let mut out = String::from(
        "const fs = require('fs');\nconst { execFile } = require('child_process');\n\n",
    );
    for i in 0..lines / 6 {
        let a = words.pick(NAMES);
        out.push_str(&format!(
            "async function step{i}({a}) {{\n  const res = await fetch(`https://api.example.com/{a}/${{{a}}}`);\n  const body = await res.json();\n  fs.writeFileSync('out/{a}.json', JSON.stringify(body));\n  execFile('jq', ['.', 'out/{a}.json']);\n}}\n"
        ));
    }
    out
}

fn shell(words: &mut Words, lines: usize) -> String {
    let mut out = String::from("#!/usr/bin/env bash\nset -euo pipefail\n");
    for i in 0..lines / 4 {
        let a = words.pick(NAMES);
        out.push_str(&format!(
            "{a}_{i}=$(curl -fsS \"https://api.example.com/{a}?page={i}\" -H \"Authorization: Bearer $API_TOKEN\")\necho \"${a}_{i}\" | jq -r '.items[] | .name' > \"out/{a}-{i}.txt\"\nif [ -s \"out/{a}-{i}.txt\" ]; then git add \"out/{a}-{i}.txt\"; fi\n\n"
        ));
    }
    out
}

fn markdown(words: &mut Words, lines: usize) -> String {
    let mut out = String::from(
        "---\nname: bench\ndescription: A generated Skill for benchmarks.\n---\n# Usage\n\n",
    );
    for i in 0..lines / 10 {
        let a = words.pick(NAMES);
        out.push_str(&format!(
            "## Step {i}\n\nFetch the {a} list and save it in the workspace. Ask the user before deleting anything.\n\n```bash\ncurl -s https://api.example.com/{a} | jq . > {a}.json\npython3 scripts/process.py --input {a}.json\n```\n\nThen summarize `{a}.json` for the user.\n\n"
        ));
    }
    out
}

fn typical_skill(words: &mut Words) -> ScanInput {
    ScanInput {
        files: vec![
            ScanFile {
                path: "SKILL.md".into(),
                data: markdown(words, 120).into_bytes(),
            },
            ScanFile {
                path: "scripts/process.py".into(),
                data: python(words, 150).into_bytes(),
            },
            ScanFile {
                path: "scripts/run.sh".into(),
                data: shell(words, 60).into_bytes(),
            },
            ScanFile {
                path: "references/api.md".into(),
                data: markdown(words, 80).into_bytes(),
            },
        ],
        skipped: Vec::new(),
    }
}

fn bench(c: &mut Criterion) {
    let mut words = Words(0x9e37_79b9_7f4a_7c15);
    let source = ScanInput {
        files: (0..8)
            .flat_map(|i| {
                vec![
                    ScanFile {
                        path: format!("s{i}.py"),
                        data: python(&mut words, 6_000).into_bytes(),
                    },
                    ScanFile {
                        path: format!("s{i}.js"),
                        data: javascript(&mut words, 6_000).into_bytes(),
                    },
                    ScanFile {
                        path: format!("s{i}.sh"),
                        data: shell(&mut words, 6_000).into_bytes(),
                    },
                    ScanFile {
                        path: format!("s{i}.md"),
                        data: markdown(&mut words, 6_000).into_bytes(),
                    },
                ]
            })
            .collect(),
        skipped: Vec::new(),
    };
    let bytes: u64 = source.files.iter().map(|f| f.data.len() as u64).sum();
    let options = ScanOptions::default();
    let one_core = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut group = c.benchmark_group("scan");
    group.sample_size(10).throughput(Throughput::Bytes(bytes));
    group.bench_function("source mix, one core", |b| {
        b.iter(|| one_core.install(|| black_box(scan::scan(&source, &options))))
    });
    // The floor: tree-sitter parsing alone, same bytes, one core.
    group.bench_function("source mix, tree-sitter parse only", |b| {
        let mut parsers: Vec<(&str, tree_sitter::Parser)> = [
            (
                "py",
                tree_sitter::Language::from(tree_sitter_python::LANGUAGE),
            ),
            ("js", tree_sitter_javascript::LANGUAGE.into()),
            ("sh", tree_sitter_bash::LANGUAGE.into()),
        ]
        .into_iter()
        .map(|(ext, language)| {
            let mut parser = tree_sitter::Parser::new();
            parser.set_language(&language).unwrap();
            (ext, parser)
        })
        .collect();
        b.iter(|| {
            for file in &source.files {
                if let Some((_, parser)) =
                    parsers.iter_mut().find(|(ext, _)| file.path.ends_with(ext))
                {
                    black_box(parser.parse(&file.data, None));
                }
            }
        })
    });
    group.finish();

    let corpus: Vec<ScanInput> = (0..1_000).map(|_| typical_skill(&mut words)).collect();
    let corpus_bytes: u64 = corpus
        .iter()
        .flat_map(|s| &s.files)
        .map(|f| f.data.len() as u64)
        .sum();
    eprintln!("source mix: {bytes} bytes; corpus: 1000 Skills, {corpus_bytes} bytes");
    let mut group = c.benchmark_group("scan");
    group
        .sample_size(10)
        .throughput(Throughput::Elements(1_000));
    group.bench_function("1000 generated Skills, all cores", |b| {
        b.iter(|| {
            use rayon::prelude::*;
            black_box(
                corpus
                    .par_iter()
                    .map(|s| scan::scan(s, &options).verdict)
                    .collect::<Vec<_>>(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
