//! The `skillsig` binary end to end: outputs, exit codes, JSON, and that a failure writes nothing.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

const GOLDEN_BUNDLE: &str = "example-weather-report-1.0.0.skill";

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/skills/weather-report")
}

fn skillsig() -> Command {
    let mut cmd = Command::cargo_bin("skillsig").unwrap();
    // No git configuration of the machine's user may suggest a namespace.
    cmd.env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1");
    cmd
}

fn json_stdout(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

/// A copy of the example Skill that a test may change.
fn example_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", example().display()))
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    dir
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => return vec!["<missing>".into()],
    };
    names.sort();
    names
}

#[test]
fn pack_then_inspect_the_example() {
    let out = tempfile::tempdir().unwrap();
    skillsig()
        .arg("pack")
        .arg(example())
        .arg("-o")
        .arg(out.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Packed example/weather-report@1.0.0 (4 files",
        ));
    assert_eq!(
        entries(out.path()),
        [
            GOLDEN_BUNDLE.to_owned(),
            format!("{GOLDEN_BUNDLE}.manifest.json")
        ]
    );

    let bundle = out.path().join(GOLDEN_BUNDLE);
    skillsig()
        .arg("inspect")
        .arg(&bundle)
        .assert()
        .success()
        .stdout(predicate::str::contains("example/weather-report@1.0.0"))
        .stdout(predicate::str::contains("connect to api.open-meteo.com"))
        .stdout(predicate::str::contains("run python3"))
        .stdout(predicate::str::contains(
            "755       1193  scripts/forecast.py",
        ))
        .stdout(predicate::str::contains("matches the bundle"));
}

#[test]
fn pack_json_reports_paths_and_digests() {
    let out = tempfile::tempdir().unwrap();
    let output = skillsig()
        .arg("pack")
        .arg(example())
        .arg("-o")
        .arg(out.path())
        .arg("--json")
        .output()
        .unwrap();
    assert!(output.status.success());
    let value = json_stdout(&output);
    assert_eq!(value["skill"], "example/weather-report@1.0.0");
    assert_eq!(value["files"], 4);
    assert_eq!(
        value["bundle_sha256"],
        "708bddec12787cdf01666515580ad46663adb654d3f30890c7996191643f2d72"
    );
    assert!(
        value["tree_digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert_eq!(
        value["bundle"],
        out.path().join(GOLDEN_BUNDLE).to_str().unwrap()
    );
}

#[test]
fn pack_defaults_to_the_skills_own_output_folder_which_is_never_packed() {
    let dir = example_copy();
    skillsig().arg("pack").arg(dir.path()).assert().success();
    assert_eq!(entries(&dir.path().join(".skillsig")).len(), 2);
    // Packing again ignores the previous outputs and gives the same bytes.
    let first = fs::read(dir.path().join(".skillsig").join(GOLDEN_BUNDLE)).unwrap();
    skillsig().arg("pack").arg(dir.path()).assert().success();
    assert_eq!(
        fs::read(dir.path().join(".skillsig").join(GOLDEN_BUNDLE)).unwrap(),
        first
    );
}

#[test]
fn pack_refusals_exit_1_name_every_file_and_write_nothing() {
    let dir = example_copy();
    std::os::unix::fs::symlink("/etc/passwd", dir.path().join("passwd")).unwrap();
    fs::write(dir.path().join(".env"), "TOKEN=1").unwrap();
    let out = dir.path().join("out");
    skillsig()
        .arg("pack")
        .arg(dir.path())
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("2 file(s) must not be shipped"))
        .stderr(predicate::str::contains("passwd: is a symbolic link"))
        .stderr(predicate::str::contains(
            ".env: looks like an environment file",
        ))
        .stderr(predicate::str::contains("--allow-secret .env"))
        .stderr(predicate::str::contains("Nothing was written."));
    assert!(!out.exists());
    assert!(!dir.path().join(".skillsig").exists());
}

#[test]
fn pack_json_error_object() {
    let dir = example_copy();
    fs::write(dir.path().join("id_rsa"), "x").unwrap();
    let output = skillsig()
        .arg("pack")
        .arg(dir.path())
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let value = json_stdout(&output);
    assert_eq!(value["error"]["code"], "source-refused");
    assert_eq!(value["error"]["exit"], 1);
    assert!(
        value["error"]["message"]
            .as_str()
            .unwrap()
            .contains("id_rsa")
    );
}

#[test]
fn pack_without_namespace_says_how_to_fix_it() {
    let dir = example_copy();
    fs::remove_file(dir.path().join("skillsig.toml")).unwrap();
    skillsig()
        .arg("pack")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no namespace"))
        .stderr(predicate::str::contains("skillsig init"))
        .stderr(predicate::str::contains("--namespace"));
    assert!(!dir.path().join(".skillsig").exists());
    // With a skillsig.toml that has no namespace, the hint is the command that adds one.
    fs::write(
        dir.path().join("skillsig.toml"),
        "[skill]\n# namespace = \"acme\"\nversion = \"1.0.0\"\n",
    )
    .unwrap();
    skillsig()
        .arg("pack")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--update --namespace"));
    assert!(!dir.path().join(".skillsig").exists());
}

#[test]
fn pack_with_broken_config_points_at_line_and_column() {
    let dir = example_copy();
    fs::write(
        dir.path().join("skillsig.toml"),
        "[skill]\nnamespace = \"example\"\nversion = \"1.0.0\n",
    )
    .unwrap();
    skillsig()
        .arg("pack")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("skillsig.toml:3:"));
    assert!(!dir.path().join(".skillsig").exists());
}

#[test]
fn pack_strict_refuses_warnings_and_writes_nothing() {
    let dir = example_copy();
    let md = fs::read_to_string(dir.path().join("SKILL.md")).unwrap();
    fs::write(dir.path().join("SKILL.md"), format!("\u{feff}{md}")).unwrap();
    // Without --strict the warning is printed and the pack goes ahead.
    let out = tempfile::tempdir().unwrap();
    skillsig()
        .arg("pack")
        .arg(dir.path())
        .arg("-o")
        .arg(out.path())
        .assert()
        .success()
        .stderr(predicate::str::contains("byte-order mark"));
    let strict_out = dir.path().join("strict");
    skillsig()
        .arg("pack")
        .arg(dir.path())
        .arg("--strict")
        .arg("-o")
        .arg(&strict_out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--strict"));
    assert!(!strict_out.exists());
}

#[test]
fn pack_io_errors_exit_2() {
    skillsig()
        .arg("pack")
        .arg("/nonexistent/skill")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/skill"));
    let file = tempfile::NamedTempFile::new().unwrap();
    skillsig()
        .arg("pack")
        .arg(example())
        .arg("-o")
        .arg(file.path().join("sub"))
        .assert()
        .code(2);
}

#[test]
fn usage_errors_exit_2() {
    skillsig().arg("pack").assert().code(2);
    skillsig().arg("frobnicate").assert().code(2);
}

#[test]
fn help_explains_exit_codes() {
    for args in [
        &["--help"][..],
        &["pack", "--help"],
        &["inspect", "--help"],
        &["init", "--help"],
    ] {
        skillsig()
            .args(args)
            .assert()
            .success()
            .stdout(predicate::str::contains("Exit codes:"));
    }
    skillsig()
        .args(["pack", "--help"])
        .assert()
        .stdout(predicate::str::contains(".skillignore"));
}

fn packed_example() -> (tempfile::TempDir, PathBuf) {
    let out = tempfile::tempdir().unwrap();
    skillsig()
        .arg("pack")
        .arg(example())
        .arg("-o")
        .arg(out.path())
        .assert()
        .success();
    let bundle = out.path().join(GOLDEN_BUNDLE);
    (out, bundle)
}

#[test]
fn inspect_json_is_stable() {
    let (_out, bundle) = packed_example();
    let output = skillsig()
        .arg("inspect")
        .arg(&bundle)
        .arg("--json")
        .output()
        .unwrap();
    assert!(output.status.success());
    let value = json_stdout(&output);
    let keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "bundle",
            "diagnostics",
            "files",
            "manifest_beside",
            "openclaw",
            "permissions",
            "skill",
            "tree_digest"
        ]
    );
    assert_eq!(value["skill"]["id"], "example/weather-report@1.0.0");
    assert_eq!(value["permissions"]["network"][0], "api.open-meteo.com");
    assert_eq!(value["permissions"]["exec"][0], "python3");
    assert_eq!(value["files"][2]["path"], "scripts/forecast.py");
    assert_eq!(value["files"][2]["executable"], true);
    assert_eq!(value["manifest_beside"]["matches"], true);
    assert_eq!(value["openclaw"]["bins"][0], "python3");
}

#[test]
fn inspect_refuses_a_damaged_bundle() {
    let (out, bundle) = packed_example();
    let mut bytes = fs::read(&bundle).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    let damaged = out.path().join("damaged.skill");
    fs::write(&damaged, &bytes).unwrap();
    let before = entries(out.path());
    skillsig()
        .arg("inspect")
        .arg(&damaged)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("damaged.skill: gzip:"));
    assert_eq!(entries(out.path()), before, "inspect never writes");

    let mut appended = fs::read(&bundle).unwrap();
    appended.extend_from_slice(b"#!/bin/sh\n");
    fs::write(&damaged, &appended).unwrap();
    skillsig()
        .arg("inspect")
        .arg(&damaged)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("trailing data"));
}

#[test]
fn inspect_reports_a_manifest_that_does_not_match() {
    let (out, bundle) = packed_example();
    let manifest_path = out.path().join(format!("{GOLDEN_BUNDLE}.manifest.json"));
    let mut manifest: Value = serde_json::from_slice(&fs::read(&manifest_path).unwrap()).unwrap();
    manifest["predicate"]["permissions"]["network"] = serde_json::json!(["*"]);
    fs::write(&manifest_path, serde_json::to_vec(&manifest).unwrap()).unwrap();
    skillsig()
        .arg("inspect")
        .arg(&bundle)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("DOES NOT MATCH"))
        .stderr(predicate::str::contains(
            "permissions the bundle's files declare differ",
        ));

    fs::write(&manifest_path, b"{not json").unwrap();
    skillsig()
        .arg("inspect")
        .arg(&bundle)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not valid JSON"));
}

#[test]
fn inspect_missing_file_exits_2() {
    skillsig()
        .arg("inspect")
        .arg("/nonexistent.skill")
        .assert()
        .code(2);
}

#[test]
fn init_writes_a_config_that_pack_accepts() {
    let dir = example_copy();
    fs::remove_file(dir.path().join("skillsig.toml")).unwrap();
    skillsig()
        .arg("init")
        .arg(dir.path())
        .arg("--namespace")
        .arg("acme")
        .assert()
        .success();
    let text = fs::read_to_string(dir.path().join("skillsig.toml")).unwrap();
    assert!(
        text.contains("namespace = \"acme\"") && text.contains("version = \"0.1.0\""),
        "{text}"
    );
    skillsig()
        .arg("pack")
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("acme/weather-report@0.1.0"));
}

#[test]
fn init_never_overwrites_and_validates_its_arguments() {
    let dir = example_copy();
    let config = dir.path().join("skillsig.toml");
    let before = fs::read(&config).unwrap();
    skillsig()
        .arg("init")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    assert_eq!(fs::read(&config).unwrap(), before);

    fs::remove_file(&config).unwrap();
    skillsig()
        .arg("init")
        .arg(dir.path())
        .arg("--namespace")
        .arg("Not Valid")
        .assert()
        .code(2);
    skillsig()
        .arg("init")
        .arg(dir.path())
        .arg("--version")
        .arg("1.0")
        .assert()
        .code(2);
    assert!(!config.exists());
    let names = entries(dir.path());
    assert!(
        !names.iter().any(|n| n.starts_with(".skillsig-")),
        "no temporary file left: {names:?}"
    );
}

/// The example Skill without its skillsig.toml, in a folder that is no git repository.
fn bare_skill() -> tempfile::TempDir {
    let dir = example_copy();
    fs::remove_file(dir.path().join("skillsig.toml")).unwrap();
    dir
}

#[test]
fn init_without_a_namespace_off_a_terminal_exits_2_and_writes_nothing() {
    let dir = bare_skill();
    let before = entries(dir.path());
    skillsig()
        .arg("init")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--namespace"));
    assert_eq!(entries(dir.path()), before, "nothing written");
}

#[test]
fn init_suggests_the_git_remote_owner_as_namespace() {
    // The Skill is a folder inside a repository whose origin is on GitHub.
    let repo = tempfile::tempdir().unwrap();
    let skill = repo.path().join("skills").join("weather-report");
    fs::create_dir_all(repo.path().join(".git")).unwrap();
    fs::create_dir_all(repo.path().join("skills")).unwrap();
    fs::write(
        repo.path().join(".git/config"),
        "[core]\n\tbare = false\n[remote \"origin\"]\n\turl = git@github.com:Acme-Corp/skills.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n",
    )
    .unwrap();
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(example())
        .arg(&skill)
        .status()
        .unwrap();
    assert!(status.success());
    fs::remove_file(skill.join("skillsig.toml")).unwrap();
    skillsig()
        .arg("init")
        .arg(&skill)
        .assert()
        .success()
        .stdout(predicate::str::contains("acme-corp"));
    let text = fs::read_to_string(skill.join("skillsig.toml")).unwrap();
    assert!(text.contains("namespace = \"acme-corp\""), "{text}");
    skillsig()
        .arg("pack")
        .arg(&skill)
        .assert()
        .success()
        .stdout(predicate::str::contains("acme-corp/weather-report@"));
}

#[test]
fn init_on_an_existing_file_offers_update_which_only_adds() {
    let dir = example_copy();
    let config = dir.path().join("skillsig.toml");
    // The author's file: comments, their own order and a value the scanner never sees.
    let authored = "# Kept as written.\n[skill]\nversion = \"1.0.0\" # release line\n# namespace = \"acme\"\n\n[permissions]\nexec = [\"python3\"] # runs the script\nnetwork = [\"api.open-meteo.com\", \"backup.example.org\"]\n";
    fs::write(&config, authored).unwrap();
    let script = dir.path().join("scripts/forecast.py");
    let mut code = fs::read_to_string(&script).unwrap();
    code.push_str("\nTOKEN = os.environ.get(\"WEATHER_TOKEN\")\n");
    fs::write(&script, code).unwrap();

    skillsig()
        .arg("init")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--update"));
    assert_eq!(fs::read_to_string(&config).unwrap(), authored);

    skillsig()
        .arg("init")
        .arg(dir.path())
        .args(["--update", "--namespace", "acme"])
        .assert()
        .success()
        .stdout(predicate::str::contains("env = [\"WEATHER_TOKEN\"]"));
    let text = fs::read_to_string(&config).unwrap();
    for kept in [
        "# Kept as written.",
        "version = \"1.0.0\" # release line",
        "exec = [\"python3\"] # runs the script",
        "\"backup.example.org\"",
    ] {
        assert!(text.contains(kept), "{kept:?} dropped:\n{text}");
    }
    assert!(text.contains("namespace = \"acme\""), "{text}");
    assert!(text.contains("WEATHER_TOKEN"), "{text}");
    assert!(
        text.find("[skill]") < text.find("[permissions]"),
        "order kept:\n{text}"
    );
    // Now every capability is declared: pack has nothing to warn about.
    skillsig()
        .arg("pack")
        .arg(dir.path())
        .assert()
        .success()
        .stderr(predicate::str::contains("does not declare").not());

    // Another namespace than the file's is not silently replaced.
    let before = fs::read(&config).unwrap();
    skillsig()
        .arg("init")
        .arg(dir.path())
        .args(["--update", "--namespace", "other"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("acme"));
    assert_eq!(fs::read(&config).unwrap(), before);
}

#[test]
fn pack_warns_about_undeclared_capabilities_and_strict_refuses() {
    let dir = example_copy();
    let script = dir.path().join("scripts/forecast.py");
    let mut code = fs::read_to_string(&script).unwrap();
    code.push_str("\nTOKEN = os.environ.get(\"WEATHER_TOKEN\")\n");
    fs::write(&script, code).unwrap();
    let out = tempfile::tempdir().unwrap();
    skillsig()
        .arg("pack")
        .arg(dir.path())
        .arg("-o")
        .arg(out.path())
        .assert()
        .success()
        .stderr(predicate::str::contains("warning:"))
        .stderr(predicate::str::contains("env:WEATHER_TOKEN"))
        .stderr(predicate::str::contains("[permissions]"))
        .stderr(predicate::str::contains("env = [\"WEATHER_TOKEN\"]"));
    let strict_out = out.path().join("strict");
    let output = skillsig()
        .arg("pack")
        .arg(dir.path())
        .args(["--strict", "--json", "-o"])
        .arg(&strict_out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(json_stdout(&output)["error"]["code"], "undeclared");
    assert!(!strict_out.exists());
}

#[test]
fn scan_leaves_out_the_skills_own_output_folder() {
    let dir = example_copy();
    skillsig().arg("pack").arg(dir.path()).assert().success();
    assert!(dir.path().join(".skillsig").is_dir());
    skillsig()
        .arg("scan")
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("SK-BIN-002").not())
        .stdout(predicate::str::contains("(4 files;"));
    skillsig()
        .arg("scan")
        .arg(dir.path())
        .arg("-v")
        .assert()
        .success()
        .stdout(predicate::str::contains(".skillsig/ not scanned"));
}

/// Issue 18: `--color` decides, `NO_COLOR` turns colour off in `auto`, and a pipe gets no
/// escape codes and no progress bar.
#[test]
fn colour_and_progress_follow_the_flag_no_color_and_the_terminal() {
    let work = tempfile::tempdir().unwrap();
    let missing = work.path().join("missing.skill");
    let escape = "\u{1b}[";
    let stderr_of = |args: &[&str], no_color: bool| {
        let mut cmd = skillsig();
        cmd.args(args).arg("verify").arg(&missing);
        if no_color {
            cmd.env("NO_COLOR", "1");
        } else {
            cmd.env_remove("NO_COLOR");
        }
        let output = cmd.output().unwrap();
        assert_eq!(output.status.code(), Some(2));
        String::from_utf8(output.stderr).unwrap()
    };
    assert!(stderr_of(&["--color", "always"], true).starts_with("\u{1b}[1;31merror\u{1b}[0m: "));
    assert!(!stderr_of(&["--color", "never"], false).contains(escape));
    // auto: the test's stderr is a pipe.
    assert!(!stderr_of(&[], false).contains(escape));
    skillsig()
        .args(["--color", "sometimes", "rules"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "possible values: auto, always, never",
        ));

    // Many Skills scanned into a pipe: no progress bar on stderr.
    for i in 0..25 {
        let dir = work.path().join(format!("skill-{i}"));
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("SKILL.md"),
            format!("---\nname: skill-{i}\ndescription: Says hello.\n---\nSay hello.\n"),
        )
        .unwrap();
    }
    let output = skillsig()
        .args(["--color", "always", "scan"])
        .arg(work.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        !stderr.contains("scanning") && !stderr.contains('\r'),
        "{stderr:?}"
    );
}
