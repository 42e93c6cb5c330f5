//! End to end with a real OpenClaw 2026.9.6: `skillsig openclaw setup` configures OpenClaw's
//! install policy, `openclaw skills install` is then blocked, allowed or warned about by
//! skillsig, `openclaw doctor --deep` accepts the command, and `skillsig openclaw gate` turns a
//! hand-copied poisoned Skill off in OpenClaw's real config and `--undo` puts it back.
//!
//! OPENCLAW names the `openclaw` command (`scripts/openclaw-tools.sh` installs Node 24 and
//! OpenClaw from npm and prints it; `.ci/run` sets it). Unset, the test says it is skipped and
//! why. Every run is isolated in a throw-away HOME and OPENCLAW_STATE_DIR.

mod support {
    pub mod files;
    pub mod user;
}

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use support::files::copy_dir;
use support::user::{skillsig_in, trust_example_key};

/// The environment variable naming the `openclaw` command.
const OPENCLAW_ENV: &str = "OPENCLAW";

fn openclaw() -> Option<PathBuf> {
    match std::env::var(OPENCLAW_ENV) {
        Ok(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ => {
            // Past cargo's capture, so a person sees it.
            let _ = std::io::stderr().write_all(
                b"SKIPPED: the OpenClaw end-to-end test: OPENCLAW is not set. Run \
                  `OPENCLAW=$(scripts/openclaw-tools.sh) cargo test -p skillsig-cli --test openclaw_e2e` \
                  (it installs Node 24 and openclaw@2026.9.6 from npm; .ci/run does this)\n",
            );
            None
        }
    }
}

fn testdata(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(relative)
}

struct World {
    dir: tempfile::TempDir,
    openclaw: PathBuf,
}

impl World {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn state(&self) -> PathBuf {
        self.path("home/.openclaw")
    }

    /// The environment both commands run in: the world's HOME and OpenClaw state, the
    /// world's trust root, policy and skillsig state, and `openclaw` on PATH.
    fn env(&self, cmd: &mut Command) {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![self.openclaw.parent().unwrap().to_owned()];
        dirs.extend(std::env::split_paths(&path));
        cmd.current_dir(self.dir.path())
            .env("HOME", self.path("home"))
            .env("OPENCLAW_STATE_DIR", self.state())
            .env("PATH", std::env::join_paths(dirs).unwrap())
            .env("SKILLSIG_TRUST_ROOT", self.path("trust.json"))
            .env("SKILLSIG_STATE_DIR", self.path("state"))
            .env("SKILLSIG_POLICY", self.path("no-policy.toml"))
            .env_remove("OPENCLAW_CONFIG_PATH")
            .env_remove("OPENCLAW_WORKSPACE_DIR")
            .env_remove("OPENCLAW_PROFILE")
            .env_remove("OPENCLAW_BUNDLED_SKILLS_DIR");
    }

    fn openclaw(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(&self.openclaw);
        self.env(&mut cmd);
        cmd.args(args).output().unwrap()
    }

    fn skillsig(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("skillsig"));
        self.env(&mut cmd);
        cmd.args(args).output().unwrap()
    }

    fn config(&self) -> Value {
        json5_or_json(&fs::read_to_string(self.state().join("openclaw.json")).unwrap())
    }

    /// `openclaw skills list --json`: name → disabled.
    fn disabled(&self, name: &str) -> bool {
        let output = self.openclaw(&["skills", "list", "--json"]);
        assert!(output.status.success(), "{}", text(&output));
        let list: Value = serde_json::from_slice(&output.stdout).unwrap();
        let skill = list["skills"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("{name} not in `openclaw skills list --json`"));
        skill["disabled"].as_bool().unwrap()
    }

    /// Whether a Skill folder of this name is in a folder `openclaw skills install` writes to.
    fn installed(&self, name: &str) -> bool {
        [
            self.state().join("workspace/skills"),
            self.state().join("skills"),
        ]
        .iter()
        .any(|dir| dir.join(name).exists())
    }
}

fn json5_or_json(text: &str) -> Value {
    serde_json::from_str(text).expect("OpenClaw writes its config as JSON")
}

fn text(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn skillsig_gates_a_real_openclaw() {
    let Some(openclaw) = openclaw() else { return };
    let world = World {
        dir: tempfile::tempdir().unwrap(),
        openclaw,
    };
    fs::create_dir_all(world.path("home")).unwrap();
    let version = world.openclaw(&["--version"]);
    assert!(text(&version).contains("2026.9.6"), "{}", text(&version));

    // A publisher key the user trusts; a signed copy of the example Skill (its signature in
    // .skillsig/), an unsigned copy under another name.
    let ok = |args: &[&str]| {
        skillsig_in(world.dir.path()).args(args).assert().success();
    };
    ok(&["keygen", "--out", "publisher", "--unencrypted"]);
    ok(&["trust", "init"]);
    trust_example_key(world.dir.path(), "publisher.pub");
    copy_dir(&testdata("skills/weather-report"), &world.path("signed"));
    ok(&["pack", "signed", "-o", "out"]);
    ok(&[
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
    copy_dir(
        &testdata("skills/weather-report"),
        &world.path("weather-unsigned"),
    );
    let skill_md = world.path("weather-unsigned/SKILL.md");
    let renamed = fs::read_to_string(&skill_md).unwrap().replacen(
        "name: weather-report",
        "name: weather-unsigned",
        1,
    );
    fs::write(&skill_md, renamed).unwrap();
    fs::write(world.path("lenient.toml"), "allow_unsigned = true\n").unwrap();

    // setup: through `openclaw config set`, with this skillsig's absolute path.
    let setup = world.skillsig(&["openclaw", "setup"]);
    assert!(setup.status.success(), "{}", text(&setup));
    assert!(
        text(&setup).contains("Updated security.installPolicy"),
        "{}",
        text(&setup)
    );
    let policy = &world.config()["security"]["installPolicy"];
    let exe = fs::canonicalize(assert_cmd::cargo::cargo_bin("skillsig")).unwrap();
    assert_eq!(policy["exec"]["command"], serde_json::json!(exe));
    assert_eq!(policy["enabled"], true);

    // The poisoned Skill is blocked and nothing lands.
    let blocked = testdata("skills-blocked/fake-prerequisite");
    let install = world.openclaw(&["skills", "install", blocked.to_str().unwrap()]);
    let shown = text(&install);
    assert!(shown.contains("Install blocked by policy"), "{shown}");
    assert!(shown.contains("fake-prerequisite"), "{shown}");
    assert!(shown.contains("unsigned"), "{shown}");
    assert!(!world.installed("fake-prerequisite"), "{shown}");

    // Unsigned but clean: blocked under the default policy …
    let unsigned = world.path("weather-unsigned");
    let install = world.openclaw(&["skills", "install", unsigned.to_str().unwrap()]);
    let shown = text(&install);
    assert!(shown.contains("Install blocked by policy"), "{shown}");
    assert!(!world.installed("weather-unsigned"), "{shown}");
    // … and a warning the user must acknowledge under a policy that allows unsigned Skills.
    let mut lenient = Command::new(&world.openclaw);
    world.env(&mut lenient);
    let install = lenient
        .env("SKILLSIG_POLICY", world.path("lenient.toml"))
        .args(["skills", "install", unsigned.to_str().unwrap()])
        .output()
        .unwrap();
    let shown = text(&install);
    assert!(shown.contains("Install requires approval"), "{shown}");
    assert!(shown.contains("unsigned"), "{shown}");
    assert!(
        !world.installed("weather-unsigned"),
        "not without the acknowledgement"
    );

    // The signed, clean Skill installs.
    let signed = world.path("signed");
    let install = world.openclaw(&["skills", "install", signed.to_str().unwrap()]);
    assert!(install.status.success(), "{}", text(&install));
    assert!(world.installed("weather-report"), "{}", text(&install));

    // doctor --deep runs the configured command and accepts it.
    let doctor = world.openclaw(&["doctor", "--deep", "--non-interactive"]);
    let shown = text(&doctor);
    assert!(
        shown.contains("Deep probe reached the policy command"),
        "{shown}"
    );

    // A hand-copied poisoned Skill: the install hook never sees it; the gate turns it off.
    let before = world.config();
    copy_dir(
        &blocked,
        &world.state().join("workspace/skills/fake-prerequisite"),
    );
    assert!(!world.disabled("fake-prerequisite"));
    let gate = world.skillsig(&["openclaw", "gate"]);
    assert_eq!(gate.status.code(), Some(1), "{}", text(&gate));
    assert!(
        text(&gate).contains("turned off: skills.entries.fake-prerequisite.enabled = false"),
        "{}",
        text(&gate)
    );
    assert_eq!(
        world.config()["skills"]["entries"]["fake-prerequisite"]["enabled"],
        false
    );
    assert!(world.disabled("fake-prerequisite"));

    // --undo puts the config back as it was.
    let undo = world.skillsig(&["openclaw", "gate", "--undo"]);
    assert!(undo.status.success(), "{}", text(&undo));
    assert!(!world.disabled("fake-prerequisite"));
    let mut after = world.config();
    let mut before = before;
    // OpenClaw stamps its own bookkeeping on every write.
    for config in [&mut after, &mut before] {
        if let Some(meta) = config.get_mut("meta").and_then(Value::as_object_mut) {
            meta.remove("lastTouchedAt");
        }
    }
    assert_eq!(after, before, "undo restores the config");

    // setup --remove takes the install policy out again.
    let remove = world.skillsig(&["openclaw", "setup", "--remove"]);
    assert!(remove.status.success(), "{}", text(&remove));
    assert!(world.config()["security"].get("installPolicy").is_none());
}
