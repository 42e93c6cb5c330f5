//! `skillsig completions SHELL` and `skillsig man`: generated from the real argument
//! definitions, so they must name every subcommand and be valid for their consumer.

use std::io::Write;
use std::process::Stdio;

use assert_cmd::Command;

fn stdout_of(args: &[&str]) -> String {
    let output = Command::cargo_bin("skillsig")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "skillsig {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The top-level subcommands as `skillsig --help` lists them (without clap's own `help`).
fn top_level_subcommands() -> Vec<String> {
    let help = stdout_of(&["--help"]);
    let commands = help
        .split("Commands:\n")
        .nth(1)
        .expect("--help has a Commands section");
    let names: Vec<String> = commands
        .lines()
        .take_while(|line| !line.trim().is_empty())
        .filter(|line| line.starts_with("  ") && !line.starts_with("    "))
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .filter(|name| name != "help")
        .collect();
    for expected in ["verify", "install", "completions", "man"] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
    names
}

#[test]
fn every_shell_gets_a_script_naming_the_subcommands() {
    let subcommands = top_level_subcommands();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let script = stdout_of(&["completions", shell]);
        assert!(!script.trim().is_empty(), "{shell}: empty script");
        for name in &subcommands {
            assert!(
                script.contains(name.as_str()),
                "{shell}: script does not name {name}"
            );
        }
    }
}

#[test]
fn bash_script_is_valid_bash() {
    let script = stdout_of(&["completions", "bash"]);
    let mut bash = std::process::Command::new("bash")
        .arg("-n")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash is installed");
    bash.stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let output = bash.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn unknown_shell_is_a_usage_error() {
    Command::cargo_bin("skillsig")
        .unwrap()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stdout("");
}

#[test]
fn man_page_is_roff_and_mentions_every_subcommand() {
    let page = stdout_of(&["man"]);
    // clap_mangen puts a roff string definition (`.ie`/`.el`) before the title; the first
    // heading must still be the `.TH` title line.
    let first_heading = page
        .lines()
        .find(|line| line.starts_with(".TH") || line.starts_with(".SH"));
    assert_eq!(
        first_heading.map(|line| line.starts_with(".TH skillsig 1")),
        Some(true),
        "not a roff man page: {}",
        &page[..page.len().min(120)]
    );
    for name in top_level_subcommands() {
        // roff writes a hyphen as `\-`.
        let roff_name = name.replace('-', "\\-");
        assert!(
            page.contains(&roff_name),
            "man page does not mention {name}"
        );
    }
}
