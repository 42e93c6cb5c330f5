//! The GitHub Action's script (`action/skillsig-action.sh`) run outside GitHub, with a fake
//! runner environment: outputs, job summary, annotations, exit codes, installing a release
//! archive from a loopback server (and refusing one whose checksum does not match), and keyless
//! signing with the workflow identity against the fake Sigstore services.

mod support {
    pub mod fake_sigstore;
    pub mod files;
}

use support::files::copy_dir;

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};
use support::fake_sigstore::{ACTIONS_BEARER, FakeSigstore};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A runner: a workspace folder, output and summary files, the built skillsig.
struct Runner {
    dir: tempfile::TempDir,
    action_dir: PathBuf,
    env: BTreeMap<String, String>,
}

impl Runner {
    fn new() -> Runner {
        let dir = tempfile::tempdir().unwrap();
        let workspace = dir.path().join("workspace");
        fs::create_dir_all(&workspace).unwrap();
        let mut env = BTreeMap::new();
        for (k, v) in [
            ("GITHUB_WORKSPACE", workspace.display().to_string()),
            (
                "GITHUB_OUTPUT",
                dir.path().join("output").display().to_string(),
            ),
            (
                "GITHUB_STEP_SUMMARY",
                dir.path().join("summary").display().to_string(),
            ),
            ("RUNNER_OS", "Linux".into()),
            ("RUNNER_ARCH", "X64".into()),
            ("SKILLSIG_BIN", env!("CARGO_BIN_EXE_skillsig").into()),
            (
                "SKILLSIG_TRUST_ROOT",
                dir.path().join("trust.json").display().to_string(),
            ),
            (
                "SKILLSIG_STATE_DIR",
                dir.path().join("state").display().to_string(),
            ),
        ] {
            env.insert(k.to_owned(), v);
        }
        Runner {
            action_dir: repo().join("action"),
            dir,
            env,
        }
    }

    fn workspace(&self) -> PathBuf {
        self.dir.path().join("workspace")
    }

    /// Copies a Skill from testdata into the workspace.
    fn add_skill(&self, from: &str, to: &str) {
        copy_dir(&repo().join(from), &self.workspace().join(to));
    }

    fn set(&mut self, key: &str, value: &str) -> &mut Runner {
        self.env.insert(key.to_owned(), value.to_owned());
        self
    }

    fn run(&self, inputs: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new("bash");
        cmd.arg(self.action_dir.join("skillsig-action.sh"))
            .current_dir(self.workspace())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap())
            .env("HOME", self.dir.path());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        for (k, v) in inputs {
            cmd.env(format!("INPUT_{}", k.to_uppercase().replace('-', "_")), v);
        }
        cmd.output().unwrap()
    }

    /// `$GITHUB_OUTPUT`, parsed from its `name<<DELIMITER` form.
    fn outputs(&self) -> BTreeMap<String, String> {
        let text = fs::read_to_string(self.dir.path().join("output")).unwrap_or_default();
        let mut outputs = BTreeMap::new();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            let (name, delimiter) = line.split_once("<<").expect("multi-line form");
            let mut value = Vec::new();
            for line in lines.by_ref() {
                if line == delimiter {
                    break;
                }
                value.push(line);
            }
            outputs.insert(name.to_owned(), value.join("\n"));
        }
        outputs
    }

    /// Runs skillsig itself (as a consumer would) with this runner's trust root and state.
    fn skillsig(&self, args: &[&str]) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_skillsig"));
        cmd.args(args);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let output = cmd.output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn summary(&self) -> String {
        fs::read_to_string(self.dir.path().join("summary")).unwrap_or_default()
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn check_passes_an_honest_skill_and_reports_bundle_and_digest() {
    let runner = Runner::new();
    runner.add_skill("testdata/skills/weather-report", "skills/weather-report");
    let output = runner.run(&[("command", "check"), ("path", "skills")]);
    assert!(output.status.success(), "{}", stdout(&output));
    let outputs = runner.outputs();
    assert_eq!(outputs["verdict"], "pass");
    assert_eq!(outputs["findings"], "0");
    assert_eq!(outputs["sarif-file"], "skillsig.sarif");
    assert_eq!(
        outputs["bundle"],
        "skillsig-out/example-weather-report-1.0.0.skill"
    );
    assert_eq!(
        outputs["tree-digest"],
        "sha256:5286fb0f41f1561dfc8da03ebce6bc24fa958769f2c643bf1131e607c0bdc1e6"
    );
    assert!(runner.workspace().join(&outputs["bundle"]).is_file());
    let sarif: serde_json::Value =
        serde_json::from_slice(&fs::read(runner.workspace().join("skillsig.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let summary = runner.summary();
    assert!(summary.contains("## skillsig check: pass"), "{summary}");
    assert!(
        summary.contains("| weather-report | 1.0.0 | pass | none | connect to api.open-meteo.com<br>run python3<br>write files in $WORKSPACE/reports |"),
        "{summary}"
    );
    assert!(!stdout(&output).contains("::error"));
}

#[test]
fn scan_blocks_a_poisoned_skill_with_annotations_and_a_summary() {
    let runner = Runner::new();
    runner.add_skill("testdata/skills/weather-report", "skills/weather-report");
    runner.add_skill(
        "testdata/skills-blocked/fake-prerequisite",
        "skills/fake-prerequisite",
    );
    let output = runner.run(&[("command", "scan"), ("path", "skills")]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let outputs = runner.outputs();
    assert_eq!(outputs["verdict"], "block");
    assert_eq!(outputs["findings"], "4");
    let out = stdout(&output);
    assert!(out.contains(
        "::error file=skills/fake-prerequisite/SKILL.md,line=11,title=SK-EXEC-003::[critical] a raw IP"
    ), "{out}");
    assert_eq!(out.matches("::error file=").count(), 4, "{out}");
    assert!(out.contains("::error title=skillsig::blocked: 4 finding(s) at or above high"));
    let summary = runner.summary();
    assert!(summary.contains("## skillsig scan: **blocked**"));
    assert!(
        summary.contains(
            "| fake-prerequisite | — | **block** | `SK-EXEC-003` critical SKILL.md:11<br>"
        ),
        "{summary}"
    );
    assert!(summary.contains("| weather-report | 1.0.0 | pass |"));
    // With fail-on critical only the one critical finding counts.
    let runner2 = Runner::new();
    runner2.add_skill("testdata/skills-blocked/fake-prerequisite", "p");
    let output = runner2.run(&[("command", "scan"), ("path", "p"), ("fail-on", "critical")]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(runner2.outputs()["findings"], "1");
}

#[test]
fn annotations_are_escaped_and_capped() {
    let mut runner = Runner::new();
    runner.add_skill("testdata/skills-blocked/fake-prerequisite", "odd,dir:100%");
    runner.set("SKILLSIG_MAX_ANNOTATIONS", "2");
    let output = runner.run(&[("command", "scan"), ("path", "odd,dir:100%")]);
    let out = stdout(&output);
    assert!(
        out.contains("::error file=odd%2Cdir%3A100%25/SKILL.md,line=11,title=SK-EXEC-003::"),
        "{out}"
    );
    assert_eq!(out.matches("::error file=").count(), 2, "{out}");
    assert!(
        out.contains("::warning title=skillsig::2 more findings"),
        "{out}"
    );
}

#[test]
fn bad_inputs_exit_2_and_set_no_outputs() {
    let runner = Runner::new();
    runner.add_skill("testdata/skills/weather-report", "s");
    for (inputs, message) in [
        (vec![("command", "deploy")], "command must be"),
        (vec![("fail-on", "severe")], "fail-on must be"),
        (vec![("keyless", "yes")], "keyless must be"),
        (vec![("path", "missing")], "does not exist"),
        (
            vec![("command", "sign"), ("path", "s")],
            "sign needs keyless",
        ),
        (
            vec![("command", "verify"), ("path", "s")],
            "no .skill bundle",
        ),
        (
            vec![("command", "pack"), ("path", ".github")],
            "does not exist",
        ),
    ] {
        let output = runner.run(&inputs);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{inputs:?}: {}",
            stdout(&output)
        );
        assert!(
            stdout(&output).contains(message),
            "{inputs:?}: {}",
            stdout(&output)
        );
        assert!(runner.outputs().is_empty(), "{inputs:?}");
    }
}

#[test]
fn key_signing_reads_the_key_from_the_environment_and_verify_checks_it() {
    let mut runner = Runner::new();
    runner.add_skill("testdata/skills/weather-report", "skill");
    let keys = runner.dir.path().join("keys");
    let skillsig = env!("CARGO_BIN_EXE_skillsig");
    let status = Command::new(skillsig)
        .args(["keygen", "--unencrypted", "--out"])
        .arg(&keys)
        .output()
        .unwrap()
        .status;
    assert!(status.success());
    let pem = fs::read_to_string(keys.with_extension("key")).unwrap();
    let output = runner.run(&[("command", "sign"), ("path", "skill"), ("key", &pem)]);
    assert!(output.status.success(), "{}", stdout(&output));
    assert!(!stdout(&output).contains("PRIVATE KEY"));
    let signature = runner.outputs()["signature"].clone();
    assert_eq!(
        signature,
        "skillsig-out/example-weather-report-1.0.0.skill.sigstore.json"
    );
    // A consumer trusts the key and verifies the bundle with the action.
    runner.skillsig(&["trust", "init"]);
    runner.skillsig(&[
        "trust",
        "add-publisher",
        "example",
        "--namespace",
        "example",
        "--key",
        keys.with_extension("pub").to_str().unwrap(),
    ]);
    let output = runner.run(&[("command", "verify"), ("path", "skillsig-out")]);
    assert!(output.status.success(), "{}", stdout(&output));
    // An altered bundle fails verification: exit 1.
    let bundle = runner
        .workspace()
        .join("skillsig-out/example-weather-report-1.0.0.skill");
    let mut bytes = fs::read(&bundle).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(&bundle, bytes).unwrap();
    runner.set(
        "GITHUB_OUTPUT",
        runner.dir.path().join("output2").to_str().unwrap(),
    );
    let output = runner.run(&[("command", "verify"), ("path", "skillsig-out")]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn keyless_signing_uses_the_workflow_identity() {
    let sigstore = FakeSigstore::start();
    let mut runner = Runner::new();
    runner.add_skill("testdata/skills/weather-report", "skill");
    let config = runner.dir.path().join("signing_config.json");
    let root = runner.dir.path().join("trusted_root.json");
    fs::write(&config, sigstore.signing_config_json()).unwrap();
    fs::write(&root, sigstore.trusted_root_json()).unwrap();
    runner
        .set(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            &sigstore.actions_request_url(),
        )
        .set("ACTIONS_ID_TOKEN_REQUEST_TOKEN", ACTIONS_BEARER);
    let inputs = [
        ("command", "sign"),
        ("path", "skill"),
        ("keyless", "true"),
        ("signing-config", config.to_str().unwrap()),
        ("sigstore-trusted-root", root.to_str().unwrap()),
    ];
    let output = runner.run(&inputs);
    assert!(
        output.status.success(),
        "{}{}",
        stdout(&output),
        String::from_utf8_lossy(&output.stderr)
    );
    let identity = sigstore.actions_subject.lock().unwrap().clone();
    assert!(stdout(&output).contains(&format!("keyless as {identity}")));
    assert!(
        stdout(&output).contains("--identity"),
        "prints the trust line"
    );
    assert!(runner.outputs()["signature"].ends_with(".sigstore.json"));
    // A consumer trusts that workflow identity for the namespace and verifies the release.
    runner.skillsig(&["trust", "init"]);
    runner.skillsig(&[
        "trust",
        "add-publisher",
        "acme",
        "--namespace",
        "example",
        "--identity",
        &identity,
        "--issuer",
        &sigstore.issuer(),
    ]);
    let output = runner.run(&[
        ("command", "verify"),
        ("path", "skillsig-out"),
        ("sigstore-trusted-root", root.to_str().unwrap()),
    ]);
    assert!(output.status.success(), "{}", stdout(&output));
    assert!(stdout(&output).contains(&format!("signed by   {identity}")));
}

/// Serves `body` at every path, on a loopback port; returns the base URL.
fn serve(body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(20) {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/gzip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    base
}

/// A copy of the action whose pinned checksums list `archive` with `sha256`.
fn action_with_checksum(runner: &mut Runner, archive: &str, sha256: &str) {
    let copy = runner.dir.path().join("action");
    copy_dir(&repo().join("action"), &copy);
    let mut list = fs::read_to_string(copy.join("checksums.txt")).unwrap();
    list.push_str(&format!("{sha256}  {archive}\n"));
    fs::write(copy.join("checksums.txt"), list).unwrap();
    runner.action_dir = copy;
}

fn release_archive(dir: &Path) -> Vec<u8> {
    let stage = dir.join("stage");
    fs::create_dir_all(&stage).unwrap();
    fs::copy(env!("CARGO_BIN_EXE_skillsig"), stage.join("skillsig")).unwrap();
    let archive = dir.join("release.tar.gz");
    let status = Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(&stage)
        .arg("skillsig")
        .status()
        .unwrap();
    assert!(status.success());
    fs::read(archive).unwrap()
}

#[test]
fn a_release_archive_is_installed_only_when_its_checksum_matches() {
    const ARCHIVE: &str = "skillsig-v9.9.9-x86_64-unknown-linux-musl.tar.gz";
    let mut runner = Runner::new();
    runner.add_skill("testdata/skills/weather-report", "skill");
    runner.env.remove("SKILLSIG_BIN");
    let archive = release_archive(runner.dir.path());
    let good = hex::encode(Sha256::digest(&archive));
    action_with_checksum(&mut runner, ARCHIVE, &good);
    let base = serve(archive.clone());
    runner.set("SKILLSIG_RELEASE_BASE_URL", &base);
    let output = runner.run(&[("command", "scan"), ("path", "skill"), ("version", "9.9.9")]);
    assert!(output.status.success(), "{}", stdout(&output));
    assert!(stdout(&output).contains(&format!("Downloading {base}/v9.9.9/{ARCHIVE}")));
    assert_eq!(runner.outputs()["verdict"], "pass");

    // The same name with other bytes: refused before anything runs, no outputs.
    let mut tampered = archive;
    tampered.extend_from_slice(b"\0");
    let mut runner = Runner::new();
    runner.add_skill("testdata/skills/weather-report", "skill");
    runner.env.remove("SKILLSIG_BIN");
    action_with_checksum(&mut runner, ARCHIVE, &good);
    runner.set("SKILLSIG_RELEASE_BASE_URL", &serve(tampered));
    let output = runner.run(&[("command", "scan"), ("path", "skill"), ("version", "9.9.9")]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("checksum mismatch"),
        "{}",
        stdout(&output)
    );
    assert!(
        !stdout(&output).contains("skillsig 0.1.0"),
        "the binary never ran"
    );
    assert!(runner.outputs().is_empty());

    // Plain http to anything but loopback is refused outright.
    let mut runner = Runner::new();
    runner.add_skill("testdata/skills/weather-report", "skill");
    runner.env.remove("SKILLSIG_BIN");
    action_with_checksum(&mut runner, ARCHIVE, &good);
    runner.set("SKILLSIG_RELEASE_BASE_URL", "http://releases.example.net");
    let output = runner.run(&[("command", "scan"), ("path", "skill"), ("version", "9.9.9")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).contains("refusing to download"));
}

/// Every third-party action is pinned by a full commit SHA with its version in a comment, and
/// every workflow says which permissions it needs.
#[test]
fn workflows_pin_actions_by_sha_and_declare_permissions() {
    let mut files = Vec::new();
    for dir in [".github/workflows", "examples/workflows"] {
        for entry in fs::read_dir(repo().join(dir)).unwrap() {
            files.push(entry.unwrap().path());
        }
    }
    assert!(files.len() >= 5, "{files:?}");
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        assert!(
            text.lines().any(|l| l.starts_with("permissions:")),
            "{}: no top-level permissions",
            file.display()
        );
        for line in text.lines().filter(|l| {
            l.trim_start().starts_with("- uses:") || l.trim_start().starts_with("uses:")
        }) {
            let reference = line.split("uses:").nth(1).unwrap().trim();
            if reference.starts_with("./") || reference.starts_with("skillsig/skillsig@") {
                continue;
            }
            let (action, rest) = reference.split_once('@').expect("owner/repo@ref");
            let (sha, comment) = rest.split_once(" # v").unwrap_or((rest, ""));
            assert!(
                sha.len() == 40
                    && sha.bytes().all(|b| b.is_ascii_hexdigit())
                    && !comment.is_empty(),
                "{}: {action} is not pinned by commit SHA with a version comment: {line}",
                file.display()
            );
        }
    }
}
