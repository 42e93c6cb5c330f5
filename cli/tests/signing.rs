//! keygen → pack → sign → trust → verify from the command line, and the failures a user meets.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

mod support {
    pub mod files;
    pub mod schema;
    pub mod user;
}

use support::files::snapshot;
use support::schema::assert_verify_result_schema;
use support::user::{refusal, skillsig_in, trust_example_key};

const BUNDLE: &str = "example-weather-report-1.0.0.skill";

/// One isolated user: their own trust root, state folder and files.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
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

    /// keygen (encrypted) → pack → sign → trust init + add-publisher.
    fn signed_example() -> Home {
        let home = Home::new();
        home.cmd()
            .env("SKILLSIG_PASSWORD", "pw")
            .args(["keygen", "--out", "publisher"])
            .assert()
            .success();
        let example =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/skills/weather-report");
        home.cmd()
            .arg("pack")
            .arg(&example)
            .args(["-o", "out"])
            .assert()
            .success();
        home.cmd()
            .env("SKILLSIG_PASSWORD", "pw")
            .args(["sign", &format!("out/{BUNDLE}"), "--key", "publisher.key"])
            .assert()
            .success();
        home.run(&["trust", "init"]).success();
        trust_example_key(home.dir.path(), "publisher.pub");
        home
    }

    fn bundle(&self) -> String {
        format!("out/{BUNDLE}")
    }

    /// A copy of the example Skill at `skill/` that a test may change.
    fn skill_copy(&self) -> PathBuf {
        let skill = self.path("skill");
        support::files::copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/skills/weather-report"),
            &skill,
        );
        skill
    }

    fn sign(&self, bundle: &str) -> assert_cmd::assert::Assert {
        self.cmd()
            .env("SKILLSIG_PASSWORD", "pw")
            .args(["sign", bundle, "--key", "publisher.key"])
            .assert()
    }

    fn key_id(&self) -> String {
        let output = self
            .cmd()
            .args(["trust", "show", "--json"])
            .output()
            .unwrap();
        let value: Value = serde_json::from_slice(&output.stdout).unwrap();
        value["trust_root"]["signed"]["publishers"][0]["keys"][0]["keyid"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

#[test]
fn keygen_pack_sign_verify_round_trip() {
    let home = Home::signed_example();
    home.run(&["verify", &home.bundle()])
        .success()
        .stdout(predicate::str::contains(
            "Verified example/weather-report@1.0.0",
        ))
        .stdout(predicate::str::contains("publisher   example"))
        .stdout(predicate::str::contains("This Skill asks permission to:"))
        .stdout(predicate::str::contains("connect to api.open-meteo.com"));

    let output = home
        .cmd()
        .args(["verify", &home.bundle(), "--json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["verified"], true);
    assert_eq!(value["publisher"], "example");
    assert_eq!(value["key_id"], home.key_id());
    assert_eq!(value["trust_root"]["version"], 2);
    assert_eq!(value["permissions"]["exec"][0], "python3");
    assert_verify_result_schema(&value);
}

#[test]
fn keygen_writes_a_private_key_only_its_owner_reads_and_never_overwrites() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::new();
    home.cmd()
        .env("SKILLSIG_PASSWORD", "pw")
        .args(["keygen", "--out", "k"])
        .assert()
        .success();
    let mode = fs::metadata(home.path("k.key"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let key = fs::read_to_string(home.path("k.key")).unwrap();
    assert!(key.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    let before = (
        fs::read(home.path("k.key")).unwrap(),
        fs::read(home.path("k.pub")).unwrap(),
    );
    home.cmd()
        .env("SKILLSIG_PASSWORD", "pw")
        .args(["keygen", "--out", "k"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    assert_eq!(
        (
            fs::read(home.path("k.key")).unwrap(),
            fs::read(home.path("k.pub")).unwrap()
        ),
        before
    );
}

#[test]
fn keygen_without_a_passphrase_writes_nothing() {
    let home = Home::new();
    home.run(&["keygen", "--out", "k"])
        .code(2)
        .stderr(predicate::str::contains("SKILLSIG_PASSWORD"));
    assert!(!home.path("k.key").exists() && !home.path("k.pub").exists());
    home.run(&["keygen", "--out", "k", "--unencrypted"])
        .success();
    assert!(
        fs::read_to_string(home.path("k.key"))
            .unwrap()
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );
}

#[test]
fn openssl_reads_our_encrypted_private_key() {
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no openssl on PATH");
        return;
    }
    let home = Home::new();
    home.cmd()
        .env("SKILLSIG_PASSWORD", "pw")
        .args(["keygen", "--out", "k"])
        .assert()
        .success();
    let output = std::process::Command::new("openssl")
        .args(["pkey", "-passin", "pass:pw", "-pubout", "-in"])
        .arg(home.path("k.key"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.stdout, fs::read(home.path("k.pub")).unwrap());
}

#[test]
fn sign_with_a_wrong_passphrase_writes_no_signature() {
    let home = Home::signed_example();
    let signature = home.path(&format!("out/{BUNDLE}.sigstore.json"));
    fs::remove_file(&signature).unwrap();
    home.cmd()
        .env("SKILLSIG_PASSWORD", "wrong")
        .args(["sign", &home.bundle(), "--key", "publisher.key"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("wrong passphrase"));
    assert!(!signature.exists());
    // And without any passphrase source, the message says how to give one.
    home.run(&["sign", &home.bundle(), "--key", "publisher.key"])
        .code(2)
        .stderr(predicate::str::contains("SKILLSIG_PASSWORD"));
    assert!(!signature.exists());
}

#[test]
fn sign_refuses_a_bundle_that_does_not_match_its_manifest() {
    let home = Home::signed_example();
    let manifest = home.path(&format!("out/{BUNDLE}.manifest.json"));
    let signature = home.path(&format!("out/{BUNDLE}.sigstore.json"));
    let before = fs::read(&signature).unwrap();
    let mut value: Value = serde_json::from_slice(&fs::read(&manifest).unwrap()).unwrap();
    value["predicate"]["skill"]["description"] = "changed".into();
    fs::write(&manifest, serde_json::to_vec(&value).unwrap()).unwrap();
    home.cmd()
        .env("SKILLSIG_PASSWORD", "pw")
        .args(["sign", &home.bundle(), "--key", "publisher.key"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("Nothing was signed"));
    assert_eq!(fs::read(&signature).unwrap(), before);
}

#[test]
fn verify_failures_exit_1_with_their_code() {
    let home = Home::signed_example();
    let key_id = home.key_id();

    // A changed file.
    let tampered = home.path("tampered.skill");
    let original = fs::read(home.path(&home.bundle())).unwrap();
    let mut bytes = original.clone();
    let n = bytes.len();
    bytes[n / 2] ^= 1;
    fs::write(&tampered, &bytes).unwrap();
    let sig = format!("{}.sigstore.json", home.bundle());
    let output = home
        .cmd()
        .args(["verify", "tampered.skill", "--signature", &sig, "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["verified"], false);
    assert_eq!(value["error"]["code"], "bundle-invalid");
    assert_verify_result_schema(&value);

    // Revoked key.
    home.run(&["trust", "revoke", &key_id, "--reason", "leaked in CI logs"])
        .success();
    home.run(&["verify", &home.bundle()])
        .code(1)
        .stderr(predicate::str::contains("revoked"))
        .stderr(predicate::str::contains("leaked in CI logs"));
}

#[test]
fn verify_refuses_a_rolled_back_trust_root() {
    let home = Home::signed_example();
    let old = fs::read(home.path("trust.json")).unwrap();
    home.run(&["verify", &home.bundle()]).success();
    home.run(&["trust", "add-publisher", "other", "--namespace", "other"])
        .success();
    home.run(&["verify", &home.bundle()]).success();
    fs::write(home.path("trust.json"), old).unwrap();
    home.run(&["verify", &home.bundle()])
        .code(1)
        .stderr(predicate::str::contains("rollback"));
}

#[test]
fn verify_usage_and_io_errors_exit_2() {
    let home = Home::signed_example();
    home.run(&["verify", "missing.skill"]).code(2);
    fs::remove_file(home.path("trust.json")).unwrap();
    home.run(&["verify", &home.bundle()])
        .code(2)
        .stderr(predicate::str::contains("skillsig trust init"));
    home.run(&["verify", "--help"])
        .success()
        .stdout(predicate::str::contains("0  verified"));
}

#[test]
fn signed_trust_root_workflow() {
    let home = Home::signed_example();
    home.cmd()
        .env("SKILLSIG_PASSWORD", "rootpw")
        .args(["keygen", "--out", "root"])
        .assert()
        .success();
    home.run(&["trust", "add-root-key", "root.pub"])
        .success()
        .stdout(predicate::str::contains("sign it with"));
    // Unsigned but listing a root key: refused until signed.
    home.run(&["verify", &home.bundle()])
        .code(1)
        .stderr(predicate::str::contains("0 valid signature(s)"));
    home.cmd()
        .env("SKILLSIG_PASSWORD", "rootpw")
        .args(["trust", "sign", "--key", "root.key"])
        .assert()
        .success();
    home.run(&["verify", &home.bundle()]).success();
    home.run(&["trust", "show"])
        .success()
        .stdout(predicate::str::contains("(valid)"))
        .stdout(predicate::str::contains("1 signature(s) needed, 1 present"));

    // An edit drops the signatures; this machine then refuses the unsigned new version.
    home.run(&["trust", "set-expiry", "--days", "30"])
        .success()
        .stdout(predicate::str::contains("signatures no longer apply"));
    home.run(&["verify", &home.bundle()]).code(1);
}

#[test]
fn trust_edits_validate_and_change_nothing_on_error() {
    let home = Home::signed_example();
    let before = fs::read(home.path("trust.json")).unwrap();
    home.run(&["trust", "add-publisher", "example", "--namespace", "x"])
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    home.run(&["trust", "add-publisher", "new", "--namespace", "Bad NS"])
        .code(2);
    home.run(&["trust", "revoke", "nothex", "--reason", "x"])
        .code(2);
    home.run(&["trust", "add-key", "nobody", "publisher.pub"])
        .code(2);
    home.run(&["trust", "init"])
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    assert_eq!(fs::read(home.path("trust.json")).unwrap(), before);
}

#[test]
fn verify_applies_the_install_policy() {
    let home = Home::signed_example();
    let policy = |name: &str, text: &str| {
        fs::write(home.path(name), text).unwrap();
        name.to_owned()
    };
    let deny_python = policy("deny.toml", "[permissions.deny]\nexec = [\"python*\"]\n");
    let output = home
        .cmd()
        .args(["verify", &home.bundle(), "--policy", &deny_python, "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["error"]["code"], "policy");
    assert_eq!(value["violations"][0]["code"], "permission-denied");
    assert_verify_result_schema(&value);

    let strict = policy("strict.toml", "block_at = \"info\"\n");
    home.run(&["verify", &home.bundle(), "--policy", &strict])
        .code(1)
        .stderr(predicate::str::contains("[finding-blocks] info SK-CAP-NET"));

    let publishers = policy("publishers.toml", "allowed_publishers = [\"acme\"]\n");
    home.run(&["verify", &home.bundle(), "--policy", &publishers])
        .code(1)
        .stderr(predicate::str::contains("publisher-not-allowed"));

    let broken = policy("broken.toml", "block_at = \"severe\"\n");
    home.run(&["verify", &home.bundle(), "--policy", &broken])
        .code(2)
        .stderr(predicate::str::contains("broken.toml"));

    // The default policy file comes from SKILLSIG_POLICY.
    home.cmd()
        .env("SKILLSIG_POLICY", home.path(&deny_python))
        .args(["verify", &home.bundle()])
        .assert()
        .code(1);
    home.run(&["verify", &home.bundle()])
        .success()
        .stdout(predicate::str::contains("passes the install policy"));
}

#[test]
fn sign_to_an_unwritable_place_exits_2_and_writes_nothing() {
    let home = Home::signed_example();
    let signature = home.path(&format!("out/{BUNDLE}.sigstore.json"));
    let before = fs::read(&signature).unwrap();
    home.cmd()
        .env("SKILLSIG_PASSWORD", "pw")
        .args([
            "sign",
            &home.bundle(),
            "--key",
            "publisher.key",
            "-o",
            "missing/dir/sig.json",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("sig.json"));
    assert!(!home.path("missing").exists());
    assert_eq!(
        fs::read(&signature).unwrap(),
        before,
        "the existing signature is untouched"
    );
}

/// Issue 16: a signed trust root is replaced, at the same place, by an unsigned one with
/// another name that trusts an attacker's key. Neither `verify` nor `install` of the
/// attacker's bundle gets past the trust root, and what this machine remembers is unchanged.
#[test]
fn a_signed_trust_root_replaced_by_an_unsigned_one_under_another_name_is_refused() {
    let home = Home::signed_example();
    home.run(&["keygen", "--out", "root", "--unencrypted"])
        .success();
    home.run(&["trust", "add-root-key", "root.pub"]).success();
    home.run(&["trust", "sign", "--key", "root.key"]).success();
    home.run(&["verify", &home.bundle()]).success();
    let remembered = snapshot(&home.path("state"));

    home.run(&["keygen", "--out", "attacker", "--unencrypted"])
        .success();
    // The attacker signs the same Skill with their own key.
    fs::create_dir(home.path("attacker")).unwrap();
    let attacker_bundle = format!("attacker/{BUNDLE}");
    for suffix in ["", ".manifest.json"] {
        fs::copy(
            home.path(&format!("{}{suffix}", home.bundle())),
            home.path(&format!("{attacker_bundle}{suffix}")),
        )
        .unwrap();
    }
    home.run(&["sign", &attacker_bundle, "--key", "attacker.key"])
        .success();
    let evil = |args: &[&str]| {
        home.cmd()
            .env("SKILLSIG_TRUST_ROOT", home.path("evil.json"))
            .args(args)
            .assert()
            .success();
    };
    evil(&["trust", "init", "--name", "evil"]);
    evil(&[
        "trust",
        "add-publisher",
        "example",
        "--namespace",
        "example",
        "--key",
        "attacker.pub",
    ]);
    // Version 2, lower than the signed root's 3; then version 4, higher.
    // Refused by the rollback memory, then (a higher version) because the previous version's
    // root keys did not sign it.
    for (bump, expected) in [
        (false, "trust-root-rollback"),
        (true, "trust-root-not-signed-by-previous"),
    ] {
        if bump {
            evil(&["trust", "set-expiry", "--days", "30"]);
            evil(&["trust", "set-expiry", "--days", "31"]);
        }
        fs::copy(home.path("evil.json"), home.path("trust.json")).unwrap();
        for args in [
            &["verify", &attacker_bundle, "--json"][..],
            &[
                "install",
                &attacker_bundle,
                "--dest",
                "skills",
                "--yes",
                "--json",
            ],
        ] {
            let error = refusal(home.run(args));
            assert_eq!(
                error["code"], expected,
                "{args:?} (bumped: {bump}): {error}"
            );
        }
        assert!(!home.path("skills").exists());
        assert_eq!(snapshot(&home.path("state")), remembered);
    }
}

/// Issue 16: a revocation written by hand in upper case revokes the key; a malformed key id
/// makes the whole trust root refused.
#[test]
fn a_revocation_in_upper_case_revokes_and_a_malformed_key_id_is_refused() {
    let home = Home::signed_example();
    let key_id = home.key_id();
    home.run(&["trust", "revoke", &key_id, "--reason", "leaked"])
        .success();
    let root: Value = serde_json::from_slice(&fs::read(home.path("trust.json")).unwrap()).unwrap();
    let with_revoked_keyid = |keyid: &str| {
        let mut edited = root.clone();
        edited["signed"]["revoked"][0]["keyid"] = keyid.into();
        fs::write(home.path("trust.json"), edited.to_string()).unwrap();
    };
    with_revoked_keyid(&key_id.to_uppercase());
    let error = refusal(home.run(&["verify", &home.bundle(), "--json"]));
    assert_eq!(error["code"], "key-revoked", "{error}");

    with_revoked_keyid("not-a-key-id");
    let error = refusal(home.run(&["verify", &home.bundle(), "--json"]));
    assert_eq!(error["code"], "trust-root-parse", "{error}");
}

/// Makes the Skill's script read an environment variable its skillsig.toml does not declare.
fn read_an_undeclared_variable(skill: &Path) {
    let script = skill.join("scripts/forecast.py");
    let mut code = fs::read_to_string(&script).unwrap();
    code.push_str("\nTOKEN = os.environ.get(\"WEATHER_TOKEN\")\n");
    fs::write(&script, code).unwrap();
}

#[test]
fn verify_without_a_signature_is_a_refusal_that_says_what_to_do() {
    let home = Home::signed_example();
    fs::remove_file(home.path(&format!("out/{BUNDLE}.sigstore.json"))).unwrap();
    let output = home
        .cmd()
        .args(["verify", &home.bundle(), "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["verified"], false);
    assert_eq!(value["error"]["code"], "unsigned");
    assert_eq!(value["error"]["exit"], 1);
    assert_verify_result_schema(&value);
    let stderr = String::from_utf8_lossy(&output.stderr);
    for expected in [
        format!("no signature for out/{BUNDLE}"),
        format!("looked for out/{BUNDLE}.sigstore.json"),
        "the policy requires one".to_owned(),
        "skillsig sign".to_owned(),
    ] {
        assert!(stderr.contains(&expected), "{expected:?} in {stderr}");
    }
    assert!(!stderr.contains("No such file"), "{stderr}");
    assert!(!home.path("state").exists(), "nothing recorded");
}

#[test]
fn verify_says_a_file_is_not_a_bundle_before_asking_for_its_signature() {
    let home = Home::signed_example();
    fs::write(home.path("notes.skill"), "just some text\n").unwrap();
    let output = home
        .cmd()
        .args(["verify", "notes.skill", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["error"]["code"], "bundle-invalid");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not a skillsig bundle"), "{stderr}");
    assert!(!stderr.contains("signature"), "{stderr}");
    assert!(!home.path("state").exists(), "nothing recorded");
}

#[test]
fn sign_works_from_the_bundle_alone() {
    let home = Home::signed_example();
    let signature = home.path(&format!("out/{BUNDLE}.sigstore.json"));
    fs::remove_file(&signature).unwrap();
    fs::remove_file(home.path(&format!("out/{BUNDLE}.manifest.json"))).unwrap();
    home.sign(&home.bundle()).success();
    assert!(signature.exists());
    assert!(
        !home.path(&format!("out/{BUNDLE}.manifest.json")).exists(),
        "sign writes only the signature"
    );
    home.run(&["verify", &home.bundle()]).success();

    // A file that is not a bundle is refused, and nothing is signed.
    fs::write(home.path("notes.skill"), "just some text\n").unwrap();
    home.sign("notes.skill")
        .code(1)
        .stderr(predicate::str::contains("Nothing was signed"));
    assert!(!home.path("notes.skill.sigstore.json").exists());
}

#[test]
fn pack_moves_aside_a_signature_the_new_bundle_no_longer_matches() {
    let home = Home::signed_example();
    let skill = home.skill_copy();
    home.cmd().arg("pack").arg(&skill).assert().success();
    let bundle = format!("skill/.skillsig/{BUNDLE}");
    let signature = home.path(&format!("{bundle}.sigstore.json"));
    let stale = home.path(&format!("{bundle}.sigstore.json.stale"));
    home.sign(&bundle).success();
    let signed = fs::read(&signature).unwrap();

    // Packing the same files again keeps the signature: it still matches.
    home.cmd()
        .arg("pack")
        .arg(&skill)
        .assert()
        .success()
        .stderr(predicate::str::contains("re-sign").not());
    assert_eq!(fs::read(&signature).unwrap(), signed);
    home.run(&["verify", &bundle]).success();

    // After an edit, the old signature is moved aside and the user told to re-sign.
    fs::write(skill.join("references/units.md"), "changed\n").unwrap();
    home.cmd()
        .arg("pack")
        .arg(&skill)
        .assert()
        .success()
        .stderr(predicate::str::contains("re-sign"))
        .stderr(predicate::str::contains(".stale"));
    assert!(!signature.exists());
    assert_eq!(fs::read(&stale).unwrap(), signed, "nothing lost");
    home.run(&["verify", &bundle])
        .code(1)
        .stderr(predicate::str::contains("no signature for"));
}

#[test]
fn verify_names_a_stale_signature_as_the_likely_cause_of_a_mismatch() {
    let home = Home::signed_example();
    let skill = home.skill_copy();
    fs::write(skill.join("references/units.md"), "changed\n").unwrap();
    home.cmd()
        .arg("pack")
        .arg(&skill)
        .args(["-o", "new"])
        .assert()
        .success();
    // The signature of the earlier pack, copied beside the new bundle, and older than it.
    let old_signature = home.path(&format!("new/{BUNDLE}.sigstore.json"));
    fs::copy(
        home.path(&format!("out/{BUNDLE}.sigstore.json")),
        &old_signature,
    )
    .unwrap();
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    fs::File::options()
        .write(true)
        .open(&old_signature)
        .unwrap()
        .set_modified(hour_ago)
        .unwrap();
    let output = home
        .cmd()
        .args(["verify", &format!("new/{BUNDLE}"), "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["error"]["code"], "files-mismatch");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("older than the bundle"), "{stderr}");
    assert!(stderr.contains("re-sign"), "{stderr}");
}

#[test]
fn sign_warns_about_undeclared_capabilities_and_strict_refuses() {
    let home = Home::signed_example();
    let skill = home.skill_copy();
    read_an_undeclared_variable(&skill);
    home.cmd()
        .arg("pack")
        .arg(&skill)
        .args(["-o", "new"])
        .assert()
        .success();
    let bundle = format!("new/{BUNDLE}");
    let signature = home.path(&format!("{bundle}.sigstore.json"));
    home.cmd()
        .env("SKILLSIG_PASSWORD", "pw")
        .args([
            "sign",
            &bundle,
            "--key",
            "publisher.key",
            "--strict",
            "--json",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\"undeclared\""))
        .stderr(predicate::str::contains("env = [\"WEATHER_TOKEN\"]"));
    assert!(!signature.exists(), "nothing signed");
    home.sign(&bundle)
        .success()
        .stderr(predicate::str::contains("warning:"))
        .stderr(predicate::str::contains("env:WEATHER_TOKEN"))
        .stderr(predicate::str::contains("env = [\"WEATHER_TOKEN\"]"));
    assert!(signature.exists());
}
