//! Every command's exit codes against the one table in docs/cli.md: 0 ok; 1 the Skill or
//! bundle was refused (unsigned, tampered, untrusted, blocked); 2 usage, configuration or I/O.
//! Each command runs its typical ok, refused and usage-error case.

mod support {
    pub mod files;
    pub mod user;
}

use std::fs;
use std::path::{Path, PathBuf};

use support::files::copy_dir;
use support::user::{skillsig_in, trust_example_key};

const BUNDLE: &str = "out/example-weather-report-1.0.0.skill";

/// What a case expects, in the words of the table in docs/cli.md.
#[derive(Clone, Copy, Debug)]
enum Outcome {
    Ok,
    Refused,
    UsageConfigOrIo,
}

impl Outcome {
    fn exit_code(self) -> i32 {
        match self {
            Outcome::Ok => 0,
            Outcome::Refused => 1,
            Outcome::UsageConfigOrIo => 2,
        }
    }
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/skills/weather-report")
}

fn blocked_skill() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/skills-blocked/fake-prerequisite")
}

/// A user with a publisher key trusted for `example`, a registry, the example Skill packed and
/// signed in `out/`, and the inputs the refusals need.
fn world() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        skillsig_in(home.path()).args(args).assert().success();
    };
    let path = |name: &str| home.path().join(name);
    run(&["keygen", "--out", "publisher", "--unencrypted"]);
    run(&["keygen", "--out", "registry", "--unencrypted"]);
    run(&["trust", "init"]);
    trust_example_key(home.path(), "publisher.pub");
    run(&["trust", "add-registry-key", "registry.pub"]);
    run(&["registry", "init", "reg", "--key", "registry.key"]);
    run(&["pack", example().to_str().unwrap(), "-o", "out"]);
    run(&["sign", BUNDLE, "--key", "publisher.key"]);

    // A Skill folder without skillsig.toml (for init), and one holding a secret (for pack).
    copy_dir(&example(), &path("bare"));
    fs::remove_file(path("bare/skillsig.toml")).unwrap();
    copy_dir(&path("bare"), &path("bare-too"));
    copy_dir(&example(), &path("with-secret"));
    fs::write(path("with-secret/.env"), "TOKEN=1\n").unwrap();
    // The bundle without its signature, a tampered copy with the original signature, a file
    // that is no bundle.
    fs::copy(path(BUNDLE), path("unsigned.skill")).unwrap();
    let mut bytes = fs::read(path(BUNDLE)).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    fs::write(path("tampered.skill"), bytes).unwrap();
    fs::copy(
        path(&format!("{BUNDLE}.sigstore.json")),
        path("tampered.skill.sigstore.json"),
    )
    .unwrap();
    fs::write(path("notes.skill"), "just some text\n").unwrap();
    // An OpenClaw home holding a hand-copied poisoned Skill (for openclaw gate).
    copy_dir(
        &blocked_skill(),
        &path(".openclaw/workspace/skills/fake-prerequisite"),
    );
    // An installed Skill whose file was changed afterwards (for audit).
    run(&["install", BUNDLE, "--dest", "changed", "--yes"]);
    fs::write(
        path("changed/weather-report/references/units.md"),
        "changed\n",
    )
    .unwrap();
    home
}

#[test]
fn every_command_exits_as_the_table_in_docs_cli_md_says() {
    use Outcome::*;
    let home = world();
    let sig = format!("{BUNDLE}.sigstore.json");
    let example = example();
    let example = example.to_str().unwrap();
    let blocked = blocked_skill();
    let blocked = blocked.to_str().unwrap();
    let reg = ["--registry", "reg"];
    #[rustfmt::skip]
    let cases: Vec<(&str, Outcome, Vec<&str>)> = vec![
        ("init", Ok, vec!["init", "bare", "--namespace", "acme"]),
        ("init", UsageConfigOrIo, vec!["init", "bare-too"]), // no namespace, no terminal, no git
        ("init", UsageConfigOrIo, vec!["init", "bare"]), // exists: --update is the way
        ("pack", Ok, vec!["pack", example, "-o", "packed"]),
        ("pack", Refused, vec!["pack", "with-secret", "-o", "refused"]),
        ("pack", UsageConfigOrIo, vec!["pack", "bare-too", "-o", "refused"]), // no namespace
        ("pack", UsageConfigOrIo, vec!["pack", "missing-folder"]),
        ("inspect", Ok, vec!["inspect", BUNDLE]),
        ("inspect", Refused, vec!["inspect", "notes.skill"]),
        ("inspect", UsageConfigOrIo, vec!["inspect", "missing.skill"]),
        ("keygen", Ok, vec!["keygen", "--out", "another", "--unencrypted"]),
        ("keygen", UsageConfigOrIo, vec!["keygen", "--out", "publisher", "--unencrypted"]),
        ("sign", Ok, vec!["sign", BUNDLE, "--key", "publisher.key"]),
        ("sign", Refused, vec!["sign", "notes.skill", "--key", "publisher.key"]),
        ("sign", UsageConfigOrIo, vec!["sign", BUNDLE, "--key", "missing.key"]),
        ("verify", Ok, vec!["verify", BUNDLE]),
        ("verify", Refused, vec!["verify", "unsigned.skill"]),
        ("verify", Refused, vec!["verify", "tampered.skill"]),
        ("verify", Refused, vec!["verify", "notes.skill"]),
        ("verify", UsageConfigOrIo, vec!["verify", "missing.skill"]),
        ("verify", UsageConfigOrIo, vec!["verify", BUNDLE, "--trust-root", "missing.json"]),
        ("scan", Ok, vec!["scan", example]),
        ("scan", Refused, vec!["scan", blocked]),
        ("scan", UsageConfigOrIo, vec!["scan", "missing-folder"]),
        ("rules", Ok, vec!["rules"]),
        ("rules", UsageConfigOrIo, vec!["rules", "--no-such-flag"]),
        ("trust", Ok, vec!["trust", "show"]),
        ("trust", UsageConfigOrIo, vec!["trust", "add-key", "example", "missing.pub"]),
        ("install", Ok, vec!["install", BUNDLE, "--dest", "skills", "--yes"]),
        ("install", Refused, vec!["install", "unsigned.skill", "--dest", "skills2", "--yes"]),
        ("install", UsageConfigOrIo, vec!["install", "missing.skill", "--dest", "skills2", "--yes"]),
        ("audit", Ok, vec!["audit", "skills"]),
        ("audit", Refused, vec!["audit", "changed"]),
        ("audit", UsageConfigOrIo, vec!["audit", "--no-such-flag"]),
        ("registry", Ok, vec!["registry", "init", "reg2", "--key", "registry.key"]),
        ("registry", UsageConfigOrIo, vec!["registry", "init", "reg3", "--key", "missing.key"]),
        ("publish", Ok, [&["publish", BUNDLE, "--key", "registry.key"][..], &reg].concat()),
        ("publish", Refused, [&["publish", "tampered.skill", "--key", "registry.key"][..], &reg].concat()),
        ("publish", UsageConfigOrIo, [&["publish", "missing.skill", "--key", "registry.key"][..], &reg].concat()),
        ("info", Ok, [&["info", "example/weather-report"][..], &reg].concat()),
        ("info", UsageConfigOrIo, [&["info", "example/weather-report"][..], &["--registry", "missing-reg"]].concat()),
        ("search", Ok, [&["search", "weather"][..], &reg].concat()),
        ("search", UsageConfigOrIo, [&["search", "weather"][..], &["--registry", "missing-reg"]].concat()),
        ("yank", Ok, [&["yank", "example/weather-report@1.0.0", "--key", "registry.key", "--reason", "test"][..], &reg].concat()),
        ("yank", UsageConfigOrIo, [&["yank", "example/weather-report@1.0.0", "--key", "missing.key", "--reason", "test"][..], &reg].concat()),
        ("completions", Ok, vec!["completions", "bash"]),
        ("completions", UsageConfigOrIo, vec!["completions", "tcsh"]),
        ("man", Ok, vec!["man"]),
        ("man", UsageConfigOrIo, vec!["man", "--unknown"]),
        ("verify-bundle", Refused, vec!["verify-bundle", "--bundle", &sig, "--key", "publisher.pub", "notes.skill"]),
        ("verify-bundle", UsageConfigOrIo, vec!["verify-bundle", "--bundle", "missing.json", "--key", "publisher.pub", "notes.skill"]),
        ("sign-bundle", UsageConfigOrIo, vec!["sign-bundle", "notes.skill"]), // no --bundle
        ("openclaw", Ok, vec!["openclaw", "setup", "--dry-run"]),
        ("openclaw", Ok, vec!["openclaw", "permissions", example]),
        ("openclaw", Refused, vec!["openclaw", "gate", "--dry-run"]),
        ("openclaw", UsageConfigOrIo, vec!["openclaw", "install-policy"]), // empty stdin
        ("openclaw", UsageConfigOrIo, vec!["openclaw", "permissions", "missing-folder"]),
    ];
    let mut wrong = Vec::new();
    for (_, outcome, args) in &cases {
        // HOME is the world's, so `openclaw gate` reads the world's OpenClaw, never yours.
        let output = skillsig_in(home.path())
            .env("HOME", home.path())
            .env("PATH", "/usr/bin:/bin")
            .env_remove("OPENCLAW_STATE_DIR")
            .env_remove("OPENCLAW_CONFIG_PATH")
            .env_remove("OPENCLAW_WORKSPACE_DIR")
            .env_remove("OPENCLAW_PROFILE")
            .env(
                "OPENCLAW_BUNDLED_SKILLS_DIR",
                home.path().join("no-bundled"),
            )
            .args(args)
            .output()
            .unwrap();
        if output.status.code() != Some(outcome.exit_code()) {
            wrong.push(format!(
                "skillsig {}: expected {} ({outcome:?}), got {:?}\n{}",
                args.join(" "),
                outcome.exit_code(),
                output.status.code(),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // Every command has its cases here: a new command must be added to the table.
    let help = skillsig_in(home.path()).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let commands: Vec<&str> = help
        .split("Commands:")
        .nth(1)
        .unwrap()
        .split("Options:")
        .next()
        .unwrap()
        .lines()
        // A command's line starts with two spaces; its wrapped description with more.
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(commands.len() > 10, "{help}");
    for command in commands {
        assert!(
            cases.iter().any(|(name, _, _)| *name == command),
            "no exit-code case for `skillsig {command}`"
        );
    }
}

#[test]
fn docs_cli_md_has_the_exit_code_table_this_test_checks() {
    let doc =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/cli.md")).unwrap();
    for row in [
        "| 0 | success",
        "| 1 | the Skill or bundle was refused",
        "| 2 | usage, configuration or I/O",
    ] {
        assert!(doc.contains(row), "docs/cli.md lacks the row {row:?}");
    }
}
