//! The scanner never panics and always finishes, whatever the input: deep nesting, long chains,
//! invalid UTF-8, binary junk, huge lines, unterminated constructs.

use skillsig::scan::{self, ScanFile, ScanInput, ScanOptions};

fn scan_files(files: Vec<(&str, Vec<u8>)>) -> scan::SkillReport {
    let input = ScanInput {
        files: files
            .into_iter()
            .map(|(path, data)| ScanFile {
                path: path.into(),
                data,
            })
            .collect(),
        skipped: Vec::new(),
    };
    scan::scan(&input, &ScanOptions::default())
}

#[test]
fn odd_inputs_do_not_panic() {
    let deep_parens = format!("x = {}1{}\n", "(".repeat(50_000), ")".repeat(50_000));
    let long_concat = format!("x = {}'a'\nexec(x)\n", "'a' + ".repeat(20_000));
    let long_js = format!("const s = {}'a';\neval(s);\n", "'a' + ".repeat(20_000));
    let nested_subst = format!("echo {}x{}\n", "$(".repeat(3_000), ")".repeat(3_000));
    let long_attr = format!("{}.x()\n", "a.".repeat(30_000));
    let mut random = Vec::new();
    let mut state = 0x1234_5678_u64;
    for _ in 0..200_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        random.push((state & 0xff) as u8);
    }
    let report = scan_files(vec![
        (
            "SKILL.md",
            b"---\nname: [unterminated\n---\n```bash\ncurl x | \n".to_vec(),
        ),
        ("a.py", deep_parens.into_bytes()),
        ("b.py", long_concat.into_bytes()),
        ("c.js", long_js.into_bytes()),
        ("d.sh", nested_subst.into_bytes()),
        ("e.py", long_attr.into_bytes()),
        ("f.sh", b"\xff\xfe\x00curl \x80 | sh\n".to_vec()),
        ("g.ts", random.clone()),
        ("h.md", "\u{200b}".repeat(100_000).into_bytes()),
        ("i.ps1", b"powershell -enc !!!notbase64!!! -e\n".to_vec()),
        ("j.sh", vec![b'a'; 3 << 20]),
        (
            "package.json",
            b"{\"scripts\": {\"postinstall\": 5}}".to_vec(),
        ),
        ("k.md", b"<!-- never closed".to_vec()),
        ("l.md", b"```\n".repeat(10_000)),
        ("m.zip", b"PK\x03\x04".to_vec()),
        ("requirements.txt", random),
    ]);
    assert!(
        report.unparsed.contains(&"e.py".to_owned()),
        "{:?}",
        report.unparsed
    );
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.file == "h.md" && f.rule == "SK-HIDDEN-003")
    );
}

/// The data-flow interpreter's work is bounded per file (`flow::MAX_STEPS`): helpers called
/// from thousands of places, loops nested deep and strings that double at every line finish
/// quickly, in Python, JavaScript and PowerShell alike, and nesting does not exhaust the stack.
#[test]
fn data_flow_work_is_bounded_on_adversarial_files() {
    let mut py = String::from("def h(s):\n");
    for _ in 0..2_000 {
        py.push_str("    s = s + s\n    l = [s, s, s]\n");
    }
    py.push_str("    return s\n\nx = 'a' * 10\n");
    let mut indent = String::new();
    for i in 0..40 {
        py.push_str(&format!("{indent}for v{i} in [x, x, x]:\n"));
        indent.push_str("    ");
    }
    py.push_str(&format!("{indent}x = h(x)\n"));
    for _ in 0..5_000 {
        py.push_str("y = h(h(h(x)))\n");
    }
    let mut js = String::from("function h(s) {\n");
    for _ in 0..2_000 {
        js.push_str("  s = s + s; const l = [s, s, s];\n");
    }
    js.push_str("  return s;\n}\nlet x = 'a';\n");
    for _ in 0..5_000 {
        js.push_str("x = h(h(h(x)));\n");
    }
    let mut ps = String::from("function h($s) {\n");
    for _ in 0..2_000 {
        ps.push_str("  $s = $s + $s\n  $l = @($s, $s, $s)\n");
    }
    ps.push_str("}\n$x = 'a'\n");
    for _ in 0..5_000 {
        ps.push_str("$x = h (h (h $x))\n");
    }
    let deep_ps = format!(
        "$a = {}\n$b = {}1{}\n$c = {}\n",
        "$x.m(".repeat(20_000),
        "@(".repeat(20_000),
        ")".repeat(20_000),
        "\"$(".repeat(20_000)
    );
    // A generous wall-clock bound (debug build, shared machine): it catches a runaway, the
    // step count itself is asserted in the interpreter's unit test.
    let started = std::time::Instant::now();
    let report = scan_files(vec![
        ("a.py", py.into_bytes()),
        ("b.js", js.into_bytes()),
        ("c.ps1", ps.into_bytes()),
        ("d.ps1", deep_ps.into_bytes()),
    ]);
    assert!(report.unparsed.is_empty(), "{:?}", report.unparsed);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(120),
        "took {:?}",
        started.elapsed()
    );
}

/// Inputs the fuzzers found that once panicked the scanner (kept in
/// testdata/scan/fuzz-regressions/): each is scanned as the file kind it crashed.
#[test]
fn fuzz_regressions_do_not_panic() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/scan/fuzz-regressions");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = format!("scripts/{}", path.file_name().unwrap().to_string_lossy());
        let report = scan_files(vec![(name.as_str(), std::fs::read(&path).unwrap())]);
        assert_eq!(report.files, 1);
        seen += 1;
    }
    assert!(seen >= 1);
}

/// Compiled Python cut at every byte, with flipped bytes, or claiming huge or deeply nested
/// objects gets a report and never a panic; the same for `marshal.loads` of garbage.
#[test]
fn truncated_and_garbage_compiled_python_does_not_panic() {
    let real = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../testdata/scan/rules/SK-OBF-002/positive/scripts/helper.pyc"),
    )
    .unwrap();
    for end in (0..real.len()).step_by(7) {
        let report = scan_files(vec![("scripts/helper.pyc", real[..end].to_vec())]);
        if end >= 16 {
            // Still compiled Python without its source, however little of it is readable.
            assert!(
                report.findings.iter().any(|f| f.rule == "SK-OBF-002"),
                "cut at {end}"
            );
        }
    }
    let mut flipped = real.clone();
    for i in (16..flipped.len()).step_by(5) {
        flipped[i] ^= 0x5a;
    }
    let mut deep = real[..16].to_vec();
    deep.extend(std::iter::repeat_n(b'(', 200_000));
    let mut huge = real[..16].to_vec();
    huge.extend([b'[', 0xff, 0xff, 0xff, 0x7f]);
    let marshal_garbage = format!(
        "import base64, marshal\nexec(marshal.loads(base64.b64decode(\"{}\")))\n",
        "KCgoKCgoKCgo".repeat(2_000)
    );
    let report = scan_files(vec![
        ("a.pyc", flipped),
        ("b.pyc", deep),
        ("c.pyc", huge),
        ("d.py", marshal_garbage.into_bytes()),
    ]);
    assert_eq!(
        report
            .findings
            .iter()
            .filter(|f| f.rule == "SK-OBF-002")
            .count(),
        3
    );
}
