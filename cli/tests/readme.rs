//! The README's publisher-and-user walkthrough, run as written (issue 18): each command line of
//! the block in a throw-away `HOME`, with the built `skillsig` first on `PATH`. Every command
//! must succeed, and every file a `# →` comment names must exist afterwards. A README edit that
//! breaks the walkthrough fails here.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The sentence the walkthrough's block follows in README.md.
const WALKTHROUGH: &str = "A publisher and a user, end to end:";

/// One command of the walkthrough and the files its `# →` comments promise.
#[derive(Debug)]
struct Step {
    line: usize,
    command: String,
    promises: Vec<String>,
}

fn readme() -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap()
}

/// The `sh` block after [`WALKTHROUGH`], as steps.
fn walkthrough(readme: &str) -> Vec<Step> {
    let lines: Vec<&str> = readme.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == WALKTHROUGH)
        .expect("README.md has the walkthrough");
    let open = start
        + lines[start..]
            .iter()
            .position(|l| l.trim() == "```sh")
            .expect("a sh block follows");
    let mut steps: Vec<Step> = Vec::new();
    for (i, raw) in lines[open + 1..].iter().enumerate() {
        let line = raw.trim();
        if line == "```" {
            break;
        }
        let (code, comment) = match line.find('#') {
            Some(at) => (line[..at].trim(), &line[at + 1..]),
            None => (line, ""),
        };
        if !code.is_empty() {
            steps.push(Step {
                line: open + 2 + i,
                command: code.to_owned(),
                promises: Vec::new(),
            });
        }
        // A `# → …` comment, on the command's line or the next, names what it writes.
        if let (Some(arrow), Some(step)) = (comment.find('→'), steps.last_mut()) {
            step.promises
                .extend(promised_files(&comment[arrow + '→'.len_utf8()..]));
        }
    }
    steps
}

/// The file paths in a `→` comment: words that end in one of the walkthrough's extensions.
fn promised_files(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter(|w| !w.starts_with('.') && !w.starts_with('('))
        .filter(|w| {
            [".key", ".pub", ".toml", ".skill", ".json"]
                .iter()
                .any(|ext| w.ends_with(ext))
        })
        .map(str::to_owned)
        .collect()
}

/// A Skill folder as a publisher has it before the walkthrough: a SKILL.md and a script.
fn my_skill(work: &Path) {
    let dir = work.join("my-skill");
    fs::create_dir_all(dir.join("scripts")).unwrap();
    fs::write(
        dir.join("SKILL.md"),
        "---\nname: my-skill\ndescription: Prints today's date.\n---\nRun `python3 scripts/today.py`.\n",
    )
    .unwrap();
    fs::write(
        dir.join("scripts/today.py"),
        "import datetime\nprint(datetime.date.today())\n",
    )
    .unwrap();
}

fn expand_home(path: &str, home: &Path) -> PathBuf {
    match path.strip_prefix("~/") {
        Some(rest) => home.join(rest),
        None => PathBuf::from(path),
    }
}

#[test]
fn the_readme_walkthrough_runs_as_written() {
    let steps = walkthrough(&readme());
    assert!(steps.len() >= 8, "{steps:?}");
    let work = tempfile::tempdir().unwrap();
    let home = work.path().join("home");
    fs::create_dir_all(&home).unwrap();
    my_skill(work.path());
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_skillsig")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for step in &steps {
        let output = Command::new("sh")
            .arg("-c")
            .arg(&step.command)
            .current_dir(work.path())
            .env_clear()
            .env("PATH", &path)
            .env("HOME", &home)
            .env("SKILLSIG_PASSWORD", "correct horse battery staple")
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "README.md line {}: `{}` failed ({}):\n{}{}",
            step.line,
            step.command,
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        for promise in &step.promises {
            let file = expand_home(promise, &home);
            let file = work.path().join(file);
            assert!(
                file.is_file(),
                "README.md line {}: `{}` promises {promise}, which is not there",
                step.line,
                step.command
            );
        }
    }
}

#[test]
fn promises_are_read_from_the_arrow_comments() {
    let steps = walkthrough(
        "A publisher and a user, end to end:\n\n```sh\n# intro\nskillsig keygen --out a   # → a.key (private), a.pub (give it)\nskillsig sign x.skill\n                          # → x.skill.sigstore.json\n```\n",
    );
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[0].promises, ["a.key", "a.pub"]);
    assert_eq!(steps[1].promises, ["x.skill.sigstore.json"]);
}
