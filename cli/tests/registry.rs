//! A registry from the command line: `registry init`, `publish`, `info`, `yank`,
//! `install NS/NAME@REQ --registry` from a folder and over `registry serve` on 127.0.0.1, and
//! the refusals (a republished version, a tampered mirror) that must change nothing.

mod support {
    pub mod files;
    #[path = "../../../lib/tests/support/forge.rs"]
    pub mod forge;
    pub mod redirect;
    pub mod user;
}

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use support::files::{copy_dir, snapshot};
use support::forge::{entries, forge_index};
use support::redirect::redirect_to;
use support::user::{refusal, skillsig_in, trust_example_key};

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    /// A publisher key trusted for `example`, a registry key in the registry role, and an
    /// empty registry in `reg/`.
    fn new() -> Home {
        let home = Home {
            dir: tempfile::tempdir().unwrap(),
        };
        home.ok(&["keygen", "--out", "publisher", "--unencrypted"]);
        home.ok(&["keygen", "--out", "registry", "--unencrypted"]);
        home.ok(&["trust", "init"]);
        trust_example_key(home.dir.path(), "publisher.pub");
        home.ok(&["trust", "add-registry-key", "registry.pub"]);
        home.ok(&["registry", "init", "reg", "--key", "registry.key"]);
        home
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn cmd(&self) -> Command {
        skillsig_in(self.dir.path())
    }

    fn ok(&self, args: &[&str]) -> assert_cmd::assert::Assert {
        self.cmd().args(args).assert().success()
    }

    /// Packs and signs the example Skill at `version` (with `note` appended to SKILL.md).
    fn signed(&self, version: &str, note: &str) -> String {
        self.signed_as("weather-report", version, note)
    }

    /// [`Home::signed`], with the Skill called `name`.
    fn signed_as(&self, name: &str, version: &str, note: &str) -> String {
        let dir = self.path(&format!("src-{name}-{version}-{}", note.len()));
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/skills/weather-report"),
            &dir,
        );
        let config = fs::read_to_string(dir.join("skillsig.toml")).unwrap();
        fs::write(dir.join("skillsig.toml"), config.replace("1.0.0", version)).unwrap();
        let mut skill_md = fs::read_to_string(dir.join("SKILL.md"))
            .unwrap()
            .replace("name: weather-report", &format!("name: {name}"));
        skill_md.push_str(note);
        fs::write(dir.join("SKILL.md"), skill_md).unwrap();
        let out = format!("out-{name}-{version}-{}", note.len());
        self.cmd()
            .arg("pack")
            .arg(&dir)
            .args(["-o", &out])
            .assert()
            .success();
        let bundle = format!("{out}/example-{name}-{version}.skill");
        self.ok(&["sign", &bundle, "--key", "publisher.key"]);
        bundle
    }

    fn publish(&self, bundle: &str) -> assert_cmd::assert::Assert {
        self.cmd()
            .args([
                "publish",
                bundle,
                "--registry",
                "reg",
                "--key",
                "registry.key",
            ])
            .assert()
    }

    fn install(&self, source: &str, registry: &str) -> assert_cmd::assert::Assert {
        self.cmd()
            .args([
                "install",
                source,
                "--registry",
                registry,
                "--dest",
                "skills",
                "--yes",
            ])
            .assert()
    }

    fn install_locked(&self, source: &str) -> assert_cmd::assert::Assert {
        self.cmd()
            .args([
                "install",
                source,
                "--registry",
                "reg",
                "--dest",
                "skills",
                "--yes",
                "--locked",
            ])
            .assert()
    }

    fn installed_version(&self) -> String {
        let receipt: Value = serde_json::from_slice(
            &fs::read(self.path("skills/weather-report/.skillsig/receipt.json")).unwrap(),
        )
        .unwrap();
        receipt["skill"].as_str().unwrap().to_owned()
    }
}

#[test]
fn publish_info_yank_and_install_by_requirement() {
    let home = Home::new();
    let v1 = home.signed("1.0.0", "");
    let v11 = home.signed("1.1.0", "");
    home.publish(&v1).success();
    home.publish(&v11)
        .success()
        .stdout(predicate::str::contains("Published"));
    let out = home
        .cmd()
        .args([
            "info",
            "example/weather-report",
            "--registry",
            "reg",
            "--json",
        ])
        .assert()
        .success();
    let info: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let versions: Vec<&str> = info["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["1.0.0", "1.1.0"]);
    home.install("example/weather-report@^1", "reg").success();
    assert_eq!(home.installed_version(), "example/weather-report@1.1.0");
    home.ok(&[
        "yank",
        "example/weather-report@1.1.0",
        "--reason",
        "broken forecast",
        "--registry",
        "reg",
        "--key",
        "registry.key",
    ]);
    home.install("example/weather-report@^1", "reg").success();
    assert_eq!(home.installed_version(), "example/weather-report@1.0.0");
    home.install("example/weather-report@=1.1.0", "reg")
        .success()
        .stderr(predicate::str::contains("yanked (broken forecast)"));
    home.install("example/weather-report@^2", "reg")
        .code(1)
        .stderr(predicate::str::contains("no version"));
}

#[test]
fn a_version_is_published_once_and_a_refusal_changes_nothing() {
    let home = Home::new();
    let v1 = home.signed("1.0.0", "");
    home.publish(&v1).success();
    let timestamp = fs::read(home.path("reg/timestamp.json")).unwrap();
    let other = home.signed("1.0.0", "\nA different line.\n");
    home.publish(&other)
        .code(1)
        .stderr(predicate::str::contains("immutable"))
        .stderr(predicate::str::contains("Nothing was published"));
    assert_eq!(
        fs::read(home.path("reg/timestamp.json")).unwrap(),
        timestamp
    );
    // An existing registry is never re-initialized.
    home.cmd()
        .args(["registry", "init", "reg", "--key", "registry.key"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("already exists"));
    assert_eq!(
        fs::read(home.path("reg/timestamp.json")).unwrap(),
        timestamp
    );
    // A bundle signed by a key the trust root does not know is refused too.
    home.ok(&["keygen", "--out", "stranger", "--unencrypted"]);
    let v2 = home.signed("2.0.0", "");
    home.ok(&["sign", &v2, "--key", "stranger.key"]);
    home.publish(&v2).code(1);
    assert_eq!(
        fs::read(home.path("reg/timestamp.json")).unwrap(),
        timestamp
    );
}

#[test]
fn publishing_a_bundle_without_its_signature_is_a_refusal_that_says_so() {
    let home = Home::new();
    let v1 = home.signed("1.0.0", "");
    home.publish(&v1).success();
    let before = snapshot(&home.path("reg"));
    let v2 = home.signed("2.0.0", "");
    fs::remove_file(home.path(&format!("{v2}.sigstore.json"))).unwrap();
    let assert = home
        .cmd()
        .args([
            "publish",
            &v2,
            "--registry",
            "reg",
            "--key",
            "registry.key",
            "--json",
        ])
        .assert();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert_eq!(refusal(assert)["code"], "unsigned");
    assert!(stderr.contains("no signature for"), "{stderr}");
    assert!(stderr.contains("Nothing was published"), "{stderr}");
    assert_eq!(snapshot(&home.path("reg")), before);
}

#[test]
fn a_tampered_mirror_installs_nothing() {
    let home = Home::new();
    let v1 = home.signed("1.0.0", "");
    home.publish(&v1).success();
    let bundle =
        home.path("reg/bundles/example/weather-report/1.0.0/example-weather-report-1.0.0.skill");
    let mut bytes = fs::read(&bundle).unwrap();
    bytes[200] ^= 1;
    fs::write(&bundle, bytes).unwrap();
    home.install("example/weather-report", "reg")
        .code(1)
        .stderr(predicate::str::contains(
            "does not match the signed metadata",
        ));
    assert!(!home.path("skills").exists());
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn installs_over_http_from_registry_serve() {
    let home = Home::new();
    let v1 = home.signed("1.0.0", "");
    home.publish(&v1).success();
    let (_server, url) = serve(&home);
    home.install("example/weather-report@1", &url).success();
    assert_eq!(home.installed_version(), "example/weather-report@1.0.0");
    home.cmd()
        .args(["info", "example/nothing", "--registry", &url])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no Skill example/nothing"));
}

/// Starts `registry serve` on 127.0.0.1; returns the server (stopped on drop) and its URL.
fn serve(home: &Home) -> (Server, String) {
    let mut child = Process::new(env!("CARGO_BIN_EXE_skillsig"))
        .args(["registry", "serve"])
        .arg(home.path("reg"))
        .args(["--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    (Server(child), url)
}

#[test]
fn a_registry_read_over_http_follows_no_redirect_off_the_transport_rules() {
    let home = Home::new();
    let v1 = home.signed("1.0.0", "");
    home.publish(&v1).success();
    let (_server, url) = serve(&home);
    // The same registry, reached through a plain-http hop that is not loopback by the rule.
    let port = url.rsplit(':').next().unwrap();
    let start = redirect_to(&format!("http://[::ffff:127.0.0.1]:{port}"));
    let output = home
        .cmd()
        .args([
            "install",
            "example/weather-report",
            "--registry",
            &start,
            "--dest",
            "skills",
            "--yes",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("redirect") && stderr.contains("plain http is allowed only to loopback"),
        "{stderr}"
    );
    assert!(!home.path("skills").exists(), "nothing was installed");
}

#[test]
fn concurrent_registry_installs_into_one_folder_are_all_locked() {
    let home = Home::new();
    let names = ["alpha", "beta", "gamma"];
    for name in names {
        let bundle = home.signed_as(name, "1.0.0", "");
        home.publish(&bundle).success();
    }
    for round in 0..3 {
        let dest = format!("skills-{round}");
        std::thread::scope(|scope| {
            let handles: Vec<_> = names
                .iter()
                .map(|name| {
                    let (home, dest) = (&home, &dest);
                    scope.spawn(move || {
                        home.cmd()
                            .args([
                                "install",
                                &format!("example/{name}"),
                                "--registry",
                                "reg",
                                "--dest",
                                dest,
                                "--yes",
                            ])
                            .output()
                            .unwrap()
                    })
                })
                .collect();
            for handle in handles {
                let output = handle.join().unwrap();
                assert!(
                    output.status.success(),
                    "{}",
                    String::from_utf8_lossy(&output.stderr)
                );
            }
        });
        let lock: Value =
            serde_json::from_slice(&fs::read(home.path(&format!("{dest}/skillsig.lock"))).unwrap())
                .unwrap();
        let locked: Vec<&String> = lock["skills"].as_object().unwrap().keys().collect();
        assert_eq!(
            locked,
            ["example/alpha", "example/beta", "example/gamma"],
            "round {round}: every install is in the lock"
        );
        for name in names {
            home.cmd()
                .args([
                    "install",
                    &format!("example/{name}"),
                    "--registry",
                    "reg",
                    "--dest",
                    &dest,
                    "--yes",
                    "--locked",
                ])
                .assert()
                .success();
        }
    }
}

#[test]
fn the_lock_file_pins_what_was_installed() {
    let home = Home::new();
    let v1 = home.signed("1.0.0", "");
    home.publish(&v1).success();
    // --locked before anything was locked: refused, nothing installed.
    home.install_locked("example/weather-report")
        .code(1)
        .stderr(predicate::str::contains("not in skillsig.lock"));
    home.install("example/weather-report@^1", "reg").success();
    let lock: Value =
        serde_json::from_slice(&fs::read(home.path("skills/skillsig.lock")).unwrap()).unwrap();
    let locked = &lock["skills"]["example/weather-report"];
    assert_eq!(locked["version"], "1.0.0");
    assert!(
        locked["tree_digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert_eq!(locked["publisher"], "example");
    // A newer version appears; --locked still installs 1.0.0.
    let v11 = home.signed("1.1.0", "");
    home.publish(&v11).success();
    home.install_locked("example/weather-report@^1").success();
    assert_eq!(home.installed_version(), "example/weather-report@1.0.0");
    // Drift: the lock recorded other files.
    let text = fs::read_to_string(home.path("skills/skillsig.lock")).unwrap();
    let digest = locked["tree_digest"].as_str().unwrap();
    fs::write(
        home.path("skills/skillsig.lock"),
        text.replace(digest, &format!("sha256:{}", "0".repeat(64))),
    )
    .unwrap();
    home.install_locked("example/weather-report")
        .code(1)
        .stderr(predicate::str::contains("the lock says tree digest"));
    // Without --locked, an install moves to the newest and records it.
    home.install("example/weather-report@^1", "reg").success();
    let lock: Value =
        serde_json::from_slice(&fs::read(home.path("skills/skillsig.lock")).unwrap()).unwrap();
    assert_eq!(lock["skills"]["example/weather-report"]["version"], "1.1.0");
}

#[test]
fn search_finds_skills_by_id() {
    let home = Home::new();
    let v1 = home.signed("1.0.0", "");
    home.publish(&v1).success();
    home.ok(&["search", "WEATHER", "--registry", "reg"])
        .stdout(predicate::str::contains("example/weather-report"));
    home.ok(&["search", "nothing-like-it", "--registry", "reg"])
        .stdout(predicate::str::contains("No Skill matches"));
}

/// Issue 16: the registry key's holder points `weather-report@2.0.0` at another Skill's validly
/// signed bundle, then `weather-report@1.1.0` at the 1.0.0 bundle. Neither installs, and the
/// installed Skills and `skillsig.lock` stay as they were.
#[test]
fn an_index_entry_naming_another_skills_or_an_older_versions_bundle_installs_nothing() {
    let home = Home::new();
    home.publish(&home.signed("1.0.0", "")).success();
    home.publish(&home.signed_as("other", "2.0.0", ""))
        .success();
    home.install("example/weather-report@=1.0.0", "reg")
        .success();
    let installed = snapshot(&home.path("skills"));
    let registry_key = skillsig::signing::keys::SecretKey::from_pem(
        &fs::read_to_string(home.path("registry.key")).unwrap(),
        None,
    )
    .unwrap();
    let reg = home.path("reg");
    let v1 = entries(&reg, "example", "weather-report").remove(0);
    let other = entries(&reg, "example", "other").remove(0);
    for forged in [
        skillsig::registry::IndexEntry {
            version: "2.0.0".parse().unwrap(),
            ..other
        },
        skillsig::registry::IndexEntry {
            version: "1.1.0".parse().unwrap(),
            ..v1.clone()
        },
    ] {
        let source = format!("example/weather-report@={}", forged.version);
        forge_index(
            &reg,
            &registry_key,
            "example",
            "weather-report",
            &[v1.clone(), forged],
        );
        let mut install = home.cmd();
        install.args([
            "install",
            &source,
            "--registry",
            "reg",
            "--dest",
            "skills",
            "--yes",
            "--json",
        ]);
        let error = refusal(install.assert());
        assert_eq!(error["code"], "index-mismatch", "{source}: {error}");
        assert_eq!(snapshot(&home.path("skills")), installed, "{source}");
    }
}

/// Issue 16: the memory of the newest timestamp belongs to the registry (its keys in the trust
/// root), so an old `timestamp.json` served under another spelling of the same folder, or from
/// a stale copy elsewhere, is a rollback.
#[test]
fn an_old_timestamp_under_another_spelling_of_the_registry_is_a_rollback() {
    let home = Home::new();
    home.publish(&home.signed("1.0.0", "")).success();
    copy_dir(&home.path("reg"), &home.path("stale-copy"));
    let old_timestamp = fs::read(home.path("reg/timestamp.json")).unwrap();
    home.publish(&home.signed("1.1.0", "")).success();
    home.install("example/weather-report", "reg").success();
    let installed = snapshot(&home.path("skills"));
    let state = snapshot(&home.path("state"));

    fs::write(home.path("reg/timestamp.json"), old_timestamp).unwrap();
    let absolute = home.path("reg").display().to_string();
    for spelling in ["./reg/", absolute.as_str(), "stale-copy"] {
        let mut install = home.cmd();
        install.args([
            "install",
            "example/weather-report",
            "--registry",
            spelling,
            "--dest",
            "skills",
            "--yes",
            "--json",
        ]);
        let error = refusal(install.assert());
        assert_eq!(error["code"], "metadata-rollback", "{spelling}: {error}");
        assert_eq!(snapshot(&home.path("skills")), installed, "{spelling}");
        assert_eq!(snapshot(&home.path("state")), state, "{spelling}");
    }
}
