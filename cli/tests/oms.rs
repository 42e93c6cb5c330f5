//! OpenSSF model-signing from the command line: `verify DIR` on NVIDIA's signed Skills,
//! `sign DIR --format oms`, `trust add-ca`, and cross-checks with the reference
//! implementation (`model_signing`, when MODEL_SIGNING names its command; `.ci/run` installs
//! it).

mod support {
    pub mod files;
    pub mod user;
}

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use support::files::copy_dir;
use support::user::{skillsig_in, trust_example_key};

struct Home {
    dir: tempfile::TempDir,
}

#[path = "../../lib/tests/support/shared.rs"]
mod shared;

const VECTORS: &str = "vectors/model-signing";

fn vectors() -> Option<PathBuf> {
    shared::dir(VECTORS)
}

#[test]
fn shared_vectors_present_or_skipped_with_reason() {
    shared::report(&[(VECTORS, "the tests of NVIDIA's signed Skills")]);
}

impl Home {
    fn new() -> Home {
        let home = Home {
            dir: tempfile::tempdir().unwrap(),
        };
        home.run(&["trust", "init"]).success();
        fs::write(
            home.path("lenient.toml"),
            "require_declared_permissions = false\n",
        )
        .unwrap();
        home
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn cmd(&self) -> Command {
        skillsig_in(self.dir.path())
    }

    fn run(&self, args: &[&str]) -> assert_cmd::assert::Assert {
        self.cmd().args(args).assert()
    }

    fn example(&self) -> PathBuf {
        let dir = self.path("weather-report");
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/skills/weather-report"),
            &dir,
        );
        dir
    }
}

#[test]
fn nvidia_skills_verify_with_the_pinned_root() {
    let Some(vectors) = vectors() else { return };
    let home = Home::new();
    let root = vectors.join("nv-agent-root-cert.pem");
    home.run(&[
        "trust",
        "add-publisher",
        "nvidia",
        "--namespace",
        "nvidia",
        "--ca",
        root.to_str().unwrap(),
    ])
    .success();
    for name in [
        "earth2studio-install",
        "mcore-linting-and-formatting",
        "tao-list-capabilities",
    ] {
        let dir = vectors.join("nvidia-skills").join(name);
        home.cmd()
            .arg("verify")
            .arg(&dir)
            .args(["--policy", "lenient.toml"])
            .assert()
            .success()
            .stdout(predicate::str::contains("publisher   nvidia"))
            .stdout(predicate::str::contains(
                "signed by   C=US,O=NVIDIA Corporation,CN=NVIDIA Agent Skills Signing 001",
            ))
            .stdout(predicate::str::contains("no transparency log"));
    }
    let out = home
        .cmd()
        .arg("verify")
        .arg(vectors.join("nvidia-skills/earth2studio-install"))
        .args(["--policy", "lenient.toml", "--json"])
        .assert()
        .success();
    let result: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(result["format"], "oms");
    assert_eq!(result["signer"]["kind"], "ca");
    assert_eq!(result["transparency_log"], false);
    assert_eq!(result["permissions_declared"], false);
    assert!(!result["undeclared"].as_array().unwrap().is_empty());
    // The default policy requires declared permissions: this Skill declares none.
    home.cmd()
        .arg("verify")
        .arg(vectors.join("nvidia-skills/earth2studio-install"))
        .arg("--json")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("permissions-not-declared"));
}

#[test]
fn changed_folders_and_foreign_roots_are_refused() {
    let Some(vectors) = vectors() else { return };
    let home = Home::new();
    let dir = home.path("tao");
    copy_dir(&vectors.join("nvidia-skills/tao-list-capabilities"), &dir);
    // No CA pinned yet: untrusted.
    home.run(&["trust", "add-publisher", "nvidia", "--namespace", "nvidia"])
        .success();
    home.run(&["verify", "tao", "--policy", "lenient.toml", "--json"])
        .code(1)
        .stdout(predicate::str::contains("untrusted-chain"));
    home.run(&[
        "trust",
        "add-ca",
        "nvidia",
        vectors.join("nv-agent-root-cert.pem").to_str().unwrap(),
    ])
    .success();
    home.run(&["verify", "tao", "--policy", "lenient.toml"])
        .success();
    fs::write(dir.join("extra.md"), "more\n").unwrap();
    home.run(&["verify", "tao", "--policy", "lenient.toml", "--json"])
        .code(1)
        .stdout(predicate::str::contains("\"code\": \"files-added\""));
    fs::remove_file(dir.join("extra.md")).unwrap();
    fs::remove_file(dir.join("skill.oms.sig")).unwrap();
    home.run(&["verify", "tao"])
        .code(2)
        .stderr(predicate::str::contains("no skill.oms.sig"));
}

#[test]
fn trust_add_ca_refuses_what_is_not_a_certificate() {
    let home = Home::new();
    home.run(&["trust", "add-publisher", "acme", "--namespace", "acme"])
        .success();
    let before = fs::read(home.path("trust.json")).unwrap();
    fs::write(
        home.path("bad.pem"),
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    home.run(&["trust", "add-ca", "acme", "bad.pem"])
        .code(2)
        .stderr(predicate::str::contains("bad.pem"));
    assert_eq!(fs::read(home.path("trust.json")).unwrap(), before);
}

#[test]
fn skillsig_signs_folders_in_oms_format() {
    let home = Home::new();
    let dir = home.example();
    home.run(&["keygen", "--out", "k", "--unencrypted"])
        .success();
    home.run(&[
        "sign",
        "weather-report",
        "--format",
        "oms",
        "--key",
        "k.key",
    ])
    .success()
    .stdout(predicate::str::contains("OpenSSF model-signing format"));
    assert!(dir.join("skill.oms.sig").is_file());
    trust_example_key(home.dir.path(), "k.pub");
    // The folder declares its permissions in skillsig.toml, so the default policy accepts it.
    home.run(&["verify", "weather-report"])
        .success()
        .stdout(predicate::str::contains("signed by   key"));
    // A file is not a folder.
    home.run(&["sign", "k.pub", "--format", "oms", "--key", "k.key"])
        .code(2);
}

/// Issue 18, item 11: a publisher whose Skills cannot declare permissions (OMS signatures) is
/// accepted only by the user's trust root, per publisher; the refusal names that way out and
/// the policy's, and the accepted Skill is still scanned with its capabilities listed.
#[test]
fn a_trust_root_may_accept_one_publishers_undeclared_skills() {
    let home = Home::new();
    let dir = home.example();
    fs::remove_file(dir.join("skillsig.toml")).unwrap();
    home.run(&["keygen", "--out", "k", "--unencrypted"])
        .success();
    home.run(&[
        "sign",
        "weather-report",
        "--format",
        "oms",
        "--key",
        "k.key",
    ])
    .success();
    trust_example_key(home.dir.path(), "k.pub");
    let out = home.run(&["verify", "weather-report", "--json"]).code(1);
    let refused: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(refused["error"]["code"], "policy");
    assert_eq!(refused["violations"][0]["code"], "permissions-not-declared");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("skillsig trust set-publisher example --accept-undeclared true"),
        "{message}"
    );
    assert!(
        message.contains("require_declared_permissions = false"),
        "{message}"
    );

    let before = fs::read(home.path("trust.json")).unwrap();
    home.run(&[
        "trust",
        "set-publisher",
        "nobody",
        "--accept-undeclared",
        "true",
    ])
    .code(2);
    assert_eq!(fs::read(home.path("trust.json")).unwrap(), before);
    home.run(&[
        "trust",
        "set-publisher",
        "example",
        "--accept-undeclared",
        "true",
    ])
    .success();
    home.run(&["trust", "show"])
        .success()
        .stdout(predicate::str::contains(
            "accepts Skills without a permission declaration",
        ));
    let out = home.run(&["verify", "weather-report", "--json"]).success();
    let result: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(result["permissions_declared"], false);
    assert!(
        result["undeclared"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "exec:python3"),
        "{result}"
    );

    // Turned off again, the default returns.
    home.run(&[
        "trust",
        "set-publisher",
        "example",
        "--accept-undeclared",
        "false",
    ])
    .success();
    home.run(&["verify", "weather-report"]).code(1);
}

/// Files whose order differs between path components (`model_signing`) and bytes: a folder
/// named like the prefix of a sibling file.
fn add_prefix_tree(dir: &Path) {
    fs::create_dir_all(dir.join("references/deploy")).unwrap();
    fs::write(dir.join("references/deploy/helm.md"), "helm\n").unwrap();
    fs::write(dir.join("references/deploy.md"), "deploy\n").unwrap();
    fs::write(dir.join("references/deploy-x.md"), "x\n").unwrap();
}

/// The reference implementation, when the environment names it.
fn model_signing() -> Option<String> {
    match std::env::var("MODEL_SIGNING") {
        Ok(path) if !path.is_empty() => Some(path),
        _ => {
            eprintln!("skipped: MODEL_SIGNING is not set (.ci/run installs model-signing)");
            None
        }
    }
}

fn openssl_p256_key(dir: &Path) -> (PathBuf, PathBuf) {
    let key = dir.join("ec.key");
    let public = dir.join("ec.pub");
    let ok = Process::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
        ])
        .arg(&key)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let ok = Process::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(&key)
        .arg("-out")
        .arg(&public)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    (key, public)
}

#[test]
fn model_signing_key_signatures_verify_with_skillsig() {
    let Some(model_signing) = model_signing() else {
        return;
    };
    let home = Home::new();
    let dir = home.example();
    add_prefix_tree(&dir);
    let (key, public) = openssl_p256_key(home.dir.path());
    let output = Process::new(&model_signing)
        .args(["sign", "key", "--private_key"])
        .arg(&key)
        .arg("--signature")
        .arg(dir.join("skill.oms.sig"))
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    trust_example_key(home.dir.path(), public.to_str().unwrap());
    home.run(&["verify", "weather-report"]).success();
    fs::write(dir.join("SKILL.md"), "changed\n").unwrap();
    home.run(&["verify", "weather-report"]).code(1);
}

#[test]
fn skillsig_oms_signatures_verify_with_model_signing() {
    let Some(model_signing) = model_signing() else {
        return;
    };
    let home = Home::new();
    let dir = home.example();
    add_prefix_tree(&dir);
    let (key, public) = openssl_p256_key(home.dir.path());
    home.cmd()
        .args(["sign", "weather-report", "--format", "oms", "--key"])
        .arg(&key)
        .assert()
        .success();
    let verify = || {
        Process::new(&model_signing)
            .args(["verify", "key", "--public_key"])
            .arg(&public)
            .arg("--signature")
            .arg(dir.join("skill.oms.sig"))
            .arg(&dir)
            .output()
            .unwrap()
    };
    let output = verify();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    fs::write(dir.join("extra.txt"), "x").unwrap();
    assert!(!verify().status.success());
}
