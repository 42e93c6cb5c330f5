//! `skillsig openclaw …` without OpenClaw: the install-policy protocol through the binary (every
//! decision of the table, every malformed input, the output limit), setup's snippet, the gate's
//! dry run and its refusal to change anything without `openclaw`, and permissions. The same
//! commands against a real OpenClaw are in `openclaw_e2e.rs`.

mod support {
    pub mod files;
    pub mod user;
}

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{Value, json};
use support::files::{copy_dir, snapshot};
use support::user::{skillsig_in, skillsig_process_in, trust_example_key};

fn testdata(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(relative)
}

/// A user with a trusted publisher key, a signed copy of the example Skill (its signature in
/// `.skillsig/`, as a Skill folder carries it), an unsigned copy, and an OpenClaw home.
struct World {
    dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let world = World {
            dir: tempfile::tempdir().unwrap(),
        };
        let run = |args: &[&str]| {
            skillsig_in(world.dir.path()).args(args).assert().success();
        };
        run(&["keygen", "--out", "publisher", "--unencrypted"]);
        run(&["trust", "init"]);
        trust_example_key(world.dir.path(), "publisher.pub");
        copy_dir(&testdata("skills/weather-report"), &world.path("signed"));
        run(&["pack", "signed", "-o", "out"]);
        run(&[
            "sign",
            "out/example-weather-report-1.0.0.skill",
            "--key",
            "publisher.key",
        ]);
        fs::create_dir_all(world.path("signed/.skillsig")).unwrap();
        fs::copy(
            world.path("out/example-weather-report-1.0.0.skill.sigstore.json"),
            world.path("signed/.skillsig/signature.sigstore.json"),
        )
        .unwrap();
        copy_dir(&testdata("skills/weather-report"), &world.path("unsigned"));
        fs::write(world.path("lenient.toml"), "allow_unsigned = true\n").unwrap();
        fs::create_dir_all(world.path("home")).unwrap();
        world
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// skillsig with an OpenClaw of its own (HOME and state in the world) and no `openclaw`
    /// on PATH.
    fn cmd(&self) -> Command {
        Command::from_std(self.process())
    }

    /// [`World::cmd`] as a plain process, for one that runs while the test does something else.
    fn process(&self) -> std::process::Command {
        let mut cmd = skillsig_process_in(self.dir.path());
        cmd.env("HOME", self.path("home"))
            .env("OPENCLAW_STATE_DIR", self.path("home/.openclaw"))
            .env("OPENCLAW_BUNDLED_SKILLS_DIR", self.path("no-bundled"))
            .env("PATH", "/usr/bin:/bin")
            .env_remove("OPENCLAW_CONFIG_PATH")
            .env_remove("OPENCLAW_WORKSPACE_DIR")
            .env_remove("OPENCLAW_PROFILE");
        cmd
    }

    fn request(&self, target: &str, source: &Path) -> String {
        json!({"protocolVersion": 1, "openclawVersion": "2026.9.6", "targetName": target,
               "targetType": "skill", "sourcePath": source, "sourcePathKind": "directory",
               "source": {"kind": "local-path", "authority": "user", "mutable": true, "network": false},
               "origin": {"type": "path", "spec": source},
               "request": {"kind": "skill-install", "mode": "install", "requestedSpecifier": source},
               "skill": {"installId": "path"}})
        .to_string()
    }

    /// Runs install-policy on `stdin`: exit code, stdout, stderr.
    fn policy(&self, stdin: &str, extra: &[&str]) -> (i32, String, String) {
        let output = self
            .cmd()
            .args(["openclaw", "install-policy"])
            .args(extra)
            .write_stdin(stdin.to_owned())
            .output()
            .unwrap();
        (
            output.status.code().unwrap(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    fn answer(&self, source: &Path, extra: &[&str]) -> Value {
        let (code, stdout, stderr) = self.policy(&self.request("weather-report", source), extra);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(stdout.lines().count(), 1, "one JSON object on one line");
        serde_json::from_str(&stdout).unwrap()
    }
}

#[test]
fn the_decision_table_signed_unsigned_poisoned_and_permissive() {
    let world = World::new();
    // Signed by a trusted publisher, clean: allow, and the reason names the signer.
    let signed = world.answer(&world.path("signed"), &[]);
    assert_eq!(signed["protocolVersion"], 1);
    assert_eq!(signed["decision"], "allow", "{signed}");
    assert!(
        signed["reason"]
            .as_str()
            .unwrap()
            .starts_with("signed by example"),
        "{signed}"
    );
    // Unsigned but clean: block under the default policy, warn when the policy allows unsigned.
    let unsigned = world.answer(&world.path("unsigned"), &[]);
    assert_eq!(unsigned["decision"], "block", "{unsigned}");
    assert!(unsigned["reason"].as_str().unwrap().starts_with("unsigned"));
    let lenient = world.path("lenient.toml");
    let warned = world.answer(
        &world.path("unsigned"),
        &["--policy", lenient.to_str().unwrap()],
    );
    assert_eq!(warned["decision"], "warn", "{warned}");
    assert!(warned["reason"].as_str().unwrap().starts_with("unsigned"));
    // Poisoned: block with findings that carry rule, severity, message, place and evidence.
    let poisoned = world.answer(&testdata("skills-blocked/fake-prerequisite"), &[]);
    assert_eq!(poisoned["decision"], "block");
    let findings = poisoned["findings"].as_array().unwrap();
    let first = &findings[0];
    assert_eq!(first["ruleId"], "SK-EXEC-003", "{poisoned}");
    assert_eq!(first["severity"], "critical");
    assert_eq!(first["file"], "SKILL.md");
    assert!(first["evidence"].as_str().unwrap().contains("203.0.113.7"));
    assert!(first["message"].as_str().unwrap().starts_with("critical:"));
    assert!(
        findings
            .iter()
            .all(|f| ["info", "warn", "critical"].contains(&f["severity"].as_str().unwrap())),
        "only the severities OpenClaw knows"
    );
    // Still blocked when the policy allows unsigned Skills: the findings block.
    let still = world.answer(
        &testdata("skills-blocked/fake-prerequisite"),
        &["--policy", lenient.to_str().unwrap()],
    );
    assert_eq!(still["decision"], "block");
    // A signed Skill whose files changed after signing: block, naming the mismatch.
    copy_dir(&world.path("signed"), &world.path("changed"));
    fs::write(world.path("changed/references/units.md"), "changed\n").unwrap();
    let changed = world.answer(&world.path("changed"), &[]);
    assert_eq!(changed["decision"], "block");
    assert!(
        changed["reason"]
            .as_str()
            .unwrap()
            .contains("files-mismatch"),
        "{changed}"
    );
    // Without a trust root, a signed Skill cannot be checked: block.
    fs::remove_file(world.path("trust.json")).unwrap();
    let rootless = world.answer(&world.path("signed"), &[]);
    assert_eq!(rootless["decision"], "block");
    assert!(
        rootless["reason"]
            .as_str()
            .unwrap()
            .contains("no-trust-root")
    );
}

#[test]
fn no_decision_it_did_not_reach_every_bad_input_exits_2_with_nothing_on_stdout() {
    let world = World::new();
    let good: Value = serde_json::from_str(&world.request("x", &world.path("signed"))).unwrap();
    let with = |key: &str, value: Value| {
        let mut request = good.clone();
        request[key] = value;
        request.to_string()
    };
    let without = |key: &str| {
        let mut request = good.clone();
        request.as_object_mut().unwrap().remove(key);
        request.to_string()
    };
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "openclaw-request-not-json"),
        ("{not json".into(), "openclaw-request-not-json"),
        ("[]".into(), "openclaw-request-not-json"),
        (format!("{good} {good}"), "openclaw-request-not-json"),
        (" ".repeat(300 * 1024), "openclaw-request-not-json"),
        (
            with("protocolVersion", json!(2)),
            "openclaw-protocol-version",
        ),
        (without("protocolVersion"), "openclaw-request-invalid"),
        (without("sourcePath"), "openclaw-request-invalid"),
        (
            with("sourcePath", json!("relative")),
            "openclaw-request-invalid",
        ),
        (
            with("targetType", json!("theme")),
            "openclaw-request-invalid",
        ),
        (
            with("sourcePath", json!(world.path("missing"))),
            "openclaw-source-unreadable",
        ),
        (
            with("sourcePath", json!(world.path("lenient.toml"))),
            "openclaw-source-unreadable",
        ),
        (
            with("sourcePathKind", json!("file")),
            "openclaw-source-unreadable",
        ),
    ];
    for (stdin, code) in cases {
        let (exit, stdout, stderr) = world.policy(&stdin, &[]);
        assert_eq!(exit, 2, "{code}: {stderr}");
        assert!(stdout.is_empty(), "{code}: no answer on stdout: {stdout}");
        assert!(stderr.starts_with("error: "), "{code}: {stderr}");
    }
    // A broken policy file is no decision either.
    fs::write(world.path("broken.toml"), "blok_at = 1\n").unwrap();
    let broken = world.path("broken.toml");
    let (exit, stdout, _) =
        world.policy(&good.to_string(), &["--policy", broken.to_str().unwrap()]);
    assert_eq!((exit, stdout.as_str()), (2, ""));
    // Too small an output limit for any answer.
    let (exit, stdout, stderr) = world.policy(&good.to_string(), &["--max-output-bytes", "20"]);
    assert_eq!((exit, stdout.as_str()), (2, ""));
    assert!(stderr.contains("maxOutputBytes"), "{stderr}");
}

#[test]
fn the_answer_fits_the_configured_output_limit() {
    let world = World::new();
    let full = world.answer(&testdata("skills-blocked/fake-prerequisite"), &[]);
    let size = full.to_string().len();
    let limit = (size / 2).to_string();
    let cut = world.answer(
        &testdata("skills-blocked/fake-prerequisite"),
        &["--max-output-bytes", &limit],
    );
    assert!(
        cut.to_string().len() < size / 2,
        "the answer and its newline fit"
    );
    assert_eq!(cut["decision"], "block");
    assert!(
        cut["reason"].as_str().unwrap().contains("left out"),
        "{cut}"
    );
}

#[test]
fn setup_prints_the_exact_config_with_this_skillsig_when_openclaw_is_absent() {
    let world = World::new();
    for args in [
        &["openclaw", "setup"][..],
        &["openclaw", "setup", "--dry-run"],
    ] {
        let output = world.cmd().args(args).assert().success();
        let stdout = String::from_utf8_lossy(&output.get_output().stdout).into_owned();
        let line = stdout
            .lines()
            .find(|l| l.starts_with("openclaw config set security.installPolicy '"))
            .unwrap_or_else(|| panic!("{stdout}"));
        let json_text = line
            .trim_start_matches("openclaw config set security.installPolicy '")
            .trim_end_matches("' --strict-json");
        let value: Value = serde_json::from_str(json_text).unwrap();
        let exe = fs::canonicalize(assert_cmd::cargo::cargo_bin("skillsig")).unwrap();
        assert_eq!(value["enabled"], true);
        assert_eq!(value["targets"], json!(["skill", "plugin"]));
        assert_eq!(value["exec"]["command"], json!(exe));
        assert_eq!(value["exec"]["trustedDirs"], json!([exe.parent().unwrap()]));
        assert_eq!(value["exec"]["args"][0], "openclaw");
        assert_eq!(value["exec"]["args"][1], "install-policy");
        assert_eq!(value["exec"]["maxOutputBytes"], 1048576);
        assert!(
            value["exec"]["passEnv"]
                .as_array()
                .unwrap()
                .contains(&json!("SKILLSIG_TRUST_ROOT"))
        );
    }
    let skills_only = world
        .cmd()
        .args(["openclaw", "setup", "--dry-run", "--targets", "skill"])
        .assert()
        .success();
    assert!(
        String::from_utf8_lossy(&skills_only.get_output().stdout)
            .contains(r#""targets":["skill"]"#)
    );
    world
        .cmd()
        .args(["openclaw", "setup", "--remove", "--dry-run"])
        .assert()
        .success()
        .stdout("openclaw config unset security.installPolicy\n");
    world
        .cmd()
        .args(["openclaw", "setup", "--targets", "theme"])
        .assert()
        .code(2);
    assert!(!world.path("home/.openclaw").exists(), "nothing written");
}

#[test]
fn the_gate_finds_a_hand_copied_poisoned_skill_and_changes_nothing_without_openclaw() {
    let world = World::new();
    let workspace_skills = world.path("home/.openclaw/workspace/skills");
    copy_dir(
        &testdata("skills-blocked/fake-prerequisite"),
        &workspace_skills.join("fake-prerequisite"),
    );
    // The same name lower down: shadowed by the one in the workspace.
    copy_dir(
        &world.path("signed"),
        &world.path("home/.openclaw/skills/weather-report"),
    );
    copy_dir(
        &world.path("signed"),
        &workspace_skills.join("weather-report"),
    );
    fs::write(
        world.path("home/.openclaw/openclaw.json"),
        "// JSON5, as OpenClaw allows\n{gateway: {port: 18789,},}\n",
    )
    .unwrap();
    let before = snapshot(&world.path("home"));
    let output = world
        .cmd()
        .args(["openclaw", "gate", "--dry-run", "--json"])
        .assert()
        .code(1);
    let result: Value = serde_json::from_slice(&output.get_output().stdout).unwrap();
    let skills = result["skills"].as_array().unwrap();
    let poisoned = skills
        .iter()
        .find(|s| s["name"] == "fake-prerequisite")
        .unwrap();
    assert_eq!(poisoned["clean"], false);
    assert_eq!(poisoned["root"], "workspace");
    let problems = poisoned["problems"].to_string();
    assert!(problems.contains("[unsigned]"), "{problems}");
    assert!(problems.contains("SK-EXEC-003"), "{problems}");
    let weather: Vec<&Value> = skills
        .iter()
        .filter(|s| s["name"] == "weather-report")
        .collect();
    assert_eq!(weather.len(), 2);
    assert!(weather[0]["problems"].to_string().contains("[shadows]"));
    assert!(weather[1]["problems"].to_string().contains("[shadowed]"));
    let changes = result["changes"].as_array().unwrap();
    assert_eq!(
        changes
            .iter()
            .map(|c| c["key"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["fake-prerequisite", "weather-report"]
    );
    assert!(changes.iter().all(|c| c["action"] == "disable"));
    assert_eq!(
        snapshot(&world.path("home")),
        before,
        "--dry-run writes nothing"
    );
    // Without --dry-run and without `openclaw`: exit 2, the patch printed, nothing written.
    let refused = world
        .cmd()
        .args(["openclaw", "gate", "--json"])
        .assert()
        .code(2);
    let error: Value = serde_json::from_slice(&refused.get_output().stdout).unwrap();
    assert_eq!(error["error"]["code"], "openclaw-not-found");
    assert_eq!(snapshot(&world.path("home")), before);
    assert!(
        fs::read_dir(world.path("state"))
            .map(|d| d
                .filter_map(Result::ok)
                .all(|e| !e.file_name().to_string_lossy().starts_with("openclaw-gate")))
            .unwrap_or(true),
        "no record without a change"
    );
    // A config that is not JSON5: exit 2, nothing written.
    fs::write(world.path("home/.openclaw/openclaw.json"), "{gateway: ").unwrap();
    let broken = world
        .cmd()
        .args(["openclaw", "gate", "--dry-run", "--json"])
        .assert()
        .code(2);
    let error: Value = serde_json::from_slice(&broken.get_output().stdout).unwrap();
    assert_eq!(error["error"]["code"], "openclaw-config");
    // A clean OpenClaw: exit 0, nothing to change.
    let clean = World::new();
    copy_dir(
        &clean.path("signed"),
        &clean.path("home/.openclaw/skills/weather-report"),
    );
    let output = clean
        .cmd()
        .args(["openclaw", "gate", "--dry-run", "--json"])
        .assert()
        .success();
    let result: Value = serde_json::from_slice(&output.get_output().stdout).unwrap();
    assert_eq!(result["skills"][0]["clean"], true, "{result}");
    assert_eq!(result["changes"], json!([]));
}

#[test]
fn permissions_compile_into_per_agent_controls_with_names_only() {
    let world = World::new();
    fs::write(
        world.path("unsigned/skillsig.toml"),
        "[skill]\nnamespace = \"example\"\nversion = \"1.0.0\"\n[permissions]\nexec = [\"sh\", \"no-such-program-here\"]\nenv = [\"WEATHER_TOKEN\"]\nread = [\"~/.config/weather\"]\nwrite = [\"$WORKSPACE/reports\"]\n",
    )
    .unwrap();
    let output = world
        .cmd()
        .env("WEATHER_TOKEN", "secret-value-never-printed")
        .args(["openclaw", "permissions", "unsigned", "--agent", "weather"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&output.get_output().stdout).into_owned();
    assert!(!stdout.contains("secret-value-never-printed"));
    let result: Value = serde_json::from_str(&stdout).unwrap();
    let agent = &result["execApprovals"]["agents"]["weather"];
    assert_eq!(agent["security"], "allowlist");
    let sh = fs::canonicalize("/bin/sh").unwrap();
    let patterns: Vec<&str> = agent["allowlist"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pattern"].as_str().unwrap())
        .collect();
    // sh, and python3 from SKILL.md's OpenClaw requirements, each by its resolved path.
    assert!(patterns.contains(&sh.to_str().unwrap()), "{patterns:?}");
    assert!(patterns.iter().all(|p| p.starts_with('/')), "{patterns:?}");
    assert!(!patterns.iter().any(|p| p.contains("no-such-program")));
    let sandbox = &result["configPatch"]["agents"]["entries"]["weather"]["sandbox"];
    assert_eq!(sandbox["docker"]["network"], "none");
    assert_eq!(sandbox["workspaceAccess"], "rw");
    let home = world.path("home");
    let bind = format!("{0}/.config/weather:{0}/.config/weather:ro", home.display());
    assert_eq!(sandbox["docker"]["binds"], json!([bind]));
    assert_eq!(
        result["skillEnv"],
        json!({"weather-report": ["WEATHER_TOKEN"]})
    );
    let notes = result["notes"].to_string();
    assert!(notes.contains("per agent, not per Skill"), "{notes}");
    assert!(notes.contains("no-such-program-here"), "{notes}");
    // Not a Skill folder: exit 2. --apply without openclaw: exit 2, nothing written.
    world
        .cmd()
        .args(["openclaw", "permissions", "out"])
        .assert()
        .code(2);
    world
        .cmd()
        .args(["openclaw", "permissions", "unsigned", "--apply"])
        .assert()
        .code(2);
    assert!(!world.path("home/.openclaw").exists());
}

#[test]
fn gate_watch_runs_again_when_a_skill_is_copied_in() {
    use std::io::{BufRead, BufReader};
    use std::sync::mpsc;
    use std::time::Duration;

    let world = World::new();
    let skills = world.path("home/.openclaw/workspace/skills");
    fs::create_dir_all(&skills).unwrap();
    let mut child = world
        .process()
        .args(["openclaw", "gate", "--watch", "--dry-run"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (lines, receiver) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let wait_for = |text: &str| {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::time::Instant::now() < deadline {
            if let Ok(line) = receiver.recv_timeout(Duration::from_millis(200))
                && line.contains(text)
            {
                return true;
            }
        }
        false
    };
    let first = wait_for("0 Skill folders checked");
    if first {
        // Give the watcher a moment to be in place, then copy a poisoned Skill in by hand.
        std::thread::sleep(Duration::from_millis(500));
        copy_dir(
            &testdata("skills-blocked/fake-prerequisite"),
            &skills.join("fake-prerequisite"),
        );
    }
    let second = first && wait_for("would be turned off: skills.entries.fake-prerequisite");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(first, "the first run did not report");
    assert!(second, "no run after the copy");
    assert!(
        !world.path("home/.openclaw/openclaw.json").exists(),
        "--dry-run writes nothing"
    );
}
