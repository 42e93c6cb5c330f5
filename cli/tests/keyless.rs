//! Keyless signing and verification end to end: `skillsig sign --keyless`, `verify` against
//! trust-root identities and cosign-style flags, `install`/`audit` of a keyless Skill, and the
//! conformance protocol's `sign-bundle`, all against fake Fulcio, Rekor and OIDC services that
//! the test starts on 127.0.0.1 (no test touches the internet).

mod support {
    pub mod fake_sigstore;
    pub mod schema;
    pub mod user;
}

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use support::fake_sigstore::{ACTIONS_BEARER, FakeSigstore};
use support::schema::assert_verify_result_schema;
use support::user::{refusal, skillsig_in};

const BUNDLE: &str = "out/example-weather-report-1.0.0.skill";
const SIGNATURE: &str = "out/example-weather-report-1.0.0.skill.sigstore.json";
const ALICE: &str = "alice@example.com";

/// One user with a packed example Skill and a fake Sigstore instance.
struct World {
    dir: tempfile::TempDir,
    sigstore: Arc<FakeSigstore>,
}

impl World {
    fn new() -> World {
        let world = World {
            dir: tempfile::tempdir().unwrap(),
            sigstore: FakeSigstore::start(),
        };
        fs::write(
            world.path("trusted_root.json"),
            world.sigstore.trusted_root_json(),
        )
        .unwrap();
        fs::write(
            world.path("signing_config.json"),
            world.sigstore.signing_config_json(),
        )
        .unwrap();
        let example =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/skills/weather-report");
        world
            .cmd()
            .arg("pack")
            .arg(&example)
            .args(["-o", "out"])
            .assert()
            .success();
        world
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A command with no ambient identity token and this world's trust root and state.
    fn cmd(&self) -> Command {
        skillsig_in(self.dir.path())
    }

    /// `sign --keyless` against the fake services, with `extra` arguments and environment.
    fn sign(&self, envs: &[(&str, &str)], extra: &[&str]) -> assert_cmd::assert::Assert {
        let mut cmd = self.cmd();
        cmd.args([
            "sign",
            BUNDLE,
            "--keyless",
            "--signing-config",
            "signing_config.json",
            "--sigstore-trusted-root",
            "trusted_root.json",
        ])
        .args(extra);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        cmd.assert()
    }

    fn signed_by(subject: &str) -> World {
        let world = World::new();
        let token = world.sigstore.token(subject);
        world
            .sign(&[("SIGSTORE_ID_TOKEN", &token)], &[])
            .success()
            .stdout(predicate::str::contains(format!("keyless as {subject}")));
        world
    }

    /// A trust root whose publisher `example` may sign `namespace` with `identity`.
    fn trust(&self, namespace: &str, identity_flags: &[&str]) {
        self.cmd().args(["trust", "init"]).assert().success();
        let mut cmd = self.cmd();
        cmd.args([
            "trust",
            "add-publisher",
            "example",
            "--namespace",
            namespace,
        ])
        .args(identity_flags)
        .args(["--issuer", &self.sigstore.issuer()]);
        cmd.assert().success();
    }

    fn verify(&self, extra: &[&str]) -> assert_cmd::assert::Assert {
        self.cmd()
            .args([
                "verify",
                BUNDLE,
                "--sigstore-trusted-root",
                "trusted_root.json",
            ])
            .args(extra)
            .assert()
    }
}

fn json_of(assert: &assert_cmd::assert::Assert) -> Value {
    serde_json::from_slice(&assert.get_output().stdout).unwrap()
}

#[test]
fn keyless_signature_verifies_against_a_trust_root_identity() {
    let world = World::signed_by(ALICE);
    let signature: Value =
        serde_json::from_slice(&fs::read(world.path(SIGNATURE)).unwrap()).unwrap();
    assert_eq!(
        signature["mediaType"],
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
    assert!(signature["verificationMaterial"]["certificate"].is_object());
    assert_eq!(
        signature["dsseEnvelope"]["payloadType"],
        "application/vnd.in-toto+json"
    );
    assert_eq!(
        signature["verificationMaterial"]["tlogEntries"][0]["kindVersion"]["kind"],
        "dsse"
    );
    world.trust("example", &["--identity", ALICE]);
    let out = world.verify(&["--json"]).success();
    let result = json_of(&out);
    assert_verify_result_schema(&result);
    assert_eq!(result["verified"], true);
    assert_eq!(result["publisher"], "example");
    assert_eq!(result["signer"]["kind"], "certificate");
    assert_eq!(result["signer"]["identity"], ALICE);
    assert_eq!(result["signer"]["issuer"], world.sigstore.issuer());
    assert!(result.get("key_id").is_none());
    world
        .verify(&[])
        .success()
        .stdout(predicate::str::contains(format!(
            "signed by   {ALICE} (issuer"
        )));
}

#[test]
fn older_bundle_versions_with_certificate_chains_verify() {
    let world = World::signed_by(ALICE);
    world.trust("example", &["--identity", ALICE]);
    let v03: Value = serde_json::from_slice(&fs::read(world.path(SIGNATURE)).unwrap()).unwrap();
    for media_type in [
        "application/vnd.dev.sigstore.bundle+json;version=0.2",
        "application/vnd.dev.sigstore.bundle+json;version=0.3",
    ] {
        let mut older = v03.clone();
        older["mediaType"] = Value::String(media_type.into());
        if media_type.ends_with("0.2") {
            let certificate = older["verificationMaterial"]
                .as_object_mut()
                .unwrap()
                .remove("certificate")
                .unwrap();
            older["verificationMaterial"]["x509CertificateChain"] =
                serde_json::json!({"certificates": [certificate]});
        }
        fs::write(world.path(SIGNATURE), older.to_string()).unwrap();
        world.verify(&[]).success();
    }
    let mut unknown = v03.clone();
    unknown["mediaType"] =
        Value::String("application/vnd.dev.sigstore.bundle+json;version=9".into());
    fs::write(world.path(SIGNATURE), unknown.to_string()).unwrap();
    world
        .verify(&[])
        .code(1)
        .stderr(predicate::str::contains("media type"));
}

#[test]
fn trust_root_regex_identities_match_whole_subjects() {
    let world = World::signed_by(ALICE);
    world.trust("example", &["--identity-regex", r"^.*@example\.com$"]);
    world.verify(&[]).success();

    let world = World::signed_by(ALICE);
    world.trust("example", &["--identity-regex", r"^alice@example\.co$"]);
    assert_eq!(
        refusal(world.verify(&["--json"]))["code"],
        "unknown-identity"
    );
}

#[test]
fn an_identity_the_trust_root_does_not_name_is_refused() {
    let world = World::signed_by("mallory@example.com");
    world.trust("example", &["--identity", ALICE]);
    let refused = refusal(world.verify(&["--json"]));
    assert_eq!(refused["code"], "unknown-identity");
    assert!(
        refused.to_string().contains("mallory@example.com"),
        "{refused}"
    );
}

#[test]
fn a_known_identity_outside_its_namespaces_is_refused() {
    let world = World::signed_by(ALICE);
    world.trust("other", &["--identity", ALICE]);
    assert_eq!(
        refusal(world.verify(&["--json"]))["code"],
        "namespace-not-allowed"
    );
}

#[test]
fn another_sigstore_root_refuses_the_certificate() {
    // Without --sigstore-trusted-root the public-good root applies: the test CA is not in it.
    let world = World::signed_by(ALICE);
    world.trust("example", &["--identity", ALICE]);
    let refused = refusal(world.cmd().args(["verify", BUNDLE, "--json"]).assert());
    assert_eq!(refused["code"], "sigstore");
    // Nor does another instance's root.
    let other = FakeSigstore::start();
    fs::write(world.path("other_root.json"), other.trusted_root_json()).unwrap();
    let refused = refusal(
        world
            .cmd()
            .args([
                "verify",
                BUNDLE,
                "--sigstore-trusted-root",
                "other_root.json",
                "--json",
            ])
            .assert(),
    );
    assert_eq!(refused["code"], "sigstore");
}

#[test]
fn ad_hoc_identity_flags_replace_the_trust_root() {
    let world = World::signed_by(ALICE);
    let issuer = world.sigstore.issuer();
    // No trust root exists at all in this world.
    assert!(!world.path("trust.json").exists());
    let out = world
        .verify(&[
            "--certificate-identity",
            ALICE,
            "--certificate-oidc-issuer",
            &issuer,
            "--json",
        ])
        .success();
    let result = json_of(&out);
    assert_verify_result_schema(&result);
    assert_eq!(result["publisher"], ALICE);
    assert!(result.get("trust_root").is_none());
    world
        .verify(&[
            "--certificate-identity-regexp",
            r".*@example\.com",
            "--certificate-oidc-issuer",
            &issuer,
        ])
        .success();
    // Anchored: a pattern matching only part of the identity is not enough.
    world
        .verify(&[
            "--certificate-identity-regexp",
            "example",
            "--certificate-oidc-issuer",
            &issuer,
        ])
        .code(1)
        .stderr(predicate::str::contains("not allowed to sign"));
    world
        .verify(&[
            "--certificate-identity",
            "bob@example.com",
            "--certificate-oidc-issuer",
            &issuer,
        ])
        .code(1);
    world
        .verify(&[
            "--certificate-identity",
            ALICE,
            "--certificate-oidc-issuer",
            "https://accounts.example.net",
        ])
        .code(1);
    // The issuer is required, and a bad regex is a usage error.
    world
        .verify(&["--certificate-identity", ALICE])
        .code(2)
        .stderr(predicate::str::contains("--certificate-oidc-issuer"));
    world
        .verify(&[
            "--certificate-identity-regexp",
            "(",
            "--certificate-oidc-issuer",
            &issuer,
        ])
        .code(2);
}

#[test]
fn key_signatures_need_a_trust_root_even_with_identity_flags() {
    let world = World::new();
    world
        .cmd()
        .args(["keygen", "--out", "k", "--unencrypted"])
        .assert()
        .success();
    world
        .cmd()
        .args(["sign", BUNDLE, "--key", "k.key"])
        .assert()
        .success();
    let refused = world.verify(&[
        "--certificate-identity",
        ALICE,
        "--certificate-oidc-issuer",
        &world.sigstore.issuer(),
        "--json",
    ]);
    assert_eq!(refusal(refused)["code"], "key-without-trust-root");
}

#[test]
fn tampering_after_keyless_signing_is_detected() {
    let world = World::signed_by(ALICE);
    world.trust("example", &["--identity", ALICE]);
    // Another payload under the same certificate and log entry.
    let mut signature: Value =
        serde_json::from_slice(&fs::read(world.path(SIGNATURE)).unwrap()).unwrap();
    let original = signature.clone();
    let payload = signature["dsseEnvelope"]["payload"]
        .as_str()
        .unwrap()
        .to_owned();
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    let text = String::from_utf8(engine.decode(&payload).unwrap()).unwrap();
    let altered = text.replace("api.open-meteo.com", "api.open-meteo.co");
    assert_ne!(altered, text);
    signature["dsseEnvelope"]["payload"] = Value::String(engine.encode(altered));
    fs::write(world.path(SIGNATURE), signature.to_string()).unwrap();
    world.verify(&[]).code(1);
    // A bundle whose files changed after signing.
    fs::write(world.path(SIGNATURE), original.to_string()).unwrap();
    world.verify(&[]).success();
    let mut bytes = fs::read(world.path(BUNDLE)).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(world.path(BUNDLE), bytes).unwrap();
    world.verify(&[]).code(1);
}

#[test]
fn github_actions_tokens_are_requested_for_the_sigstore_audience() {
    let world = World::new();
    let url = world.sigstore.actions_request_url();
    world
        .sign(
            &[
                ("ACTIONS_ID_TOKEN_REQUEST_URL", &url),
                ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", ACTIONS_BEARER),
            ],
            &["--json"],
        )
        .success()
        .stdout(predicate::str::contains(
            "https://github.com/acme/skills/.github/workflows/release.yml@refs/tags/v1.0.0",
        ));
    let requests = world.sigstore.requests.lock().unwrap().clone();
    assert_eq!(
        requests,
        [
            "/actions/token",
            "/api/v2/signingCert",
            "/api/v1/log/entries"
        ]
    );
}

#[test]
fn a_refused_github_token_request_writes_nothing() {
    let world = World::new();
    let url = world.sigstore.actions_request_url();
    world
        .sign(
            &[
                ("ACTIONS_ID_TOKEN_REQUEST_URL", &url),
                ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "wrong"),
            ],
            &[],
        )
        .code(1)
        .stderr(predicate::str::contains("id-token: write"));
    assert!(!world.path(SIGNATURE).exists());
}

#[test]
fn without_any_token_source_nothing_is_signed() {
    let world = World::new();
    world
        .sign(&[], &[])
        .code(1)
        .stderr(predicate::str::contains("no OIDC identity token"))
        .stderr(predicate::str::contains("Nothing was signed"));
    assert!(!world.path(SIGNATURE).exists());
    assert!(world.sigstore.requests.lock().unwrap().is_empty());
}

#[test]
fn expired_malformed_and_unknown_tokens_write_nothing() {
    let world = World::new();
    let expired = world.sigstore.token_with_expiry(ALICE, 1_000_000_000);
    world
        .sign(&[("SIGSTORE_ID_TOKEN", &expired)], &[])
        .code(1)
        .stderr(predicate::str::contains("expired"));
    world
        .sign(&[], &["--identity-token", "not-a-jwt"])
        .code(1)
        .stderr(predicate::str::contains("not a JWT"));
    // Well-formed, but Fulcio never issued it.
    let forged = {
        let real = world.sigstore.token(ALICE);
        let (head, _) = real.rsplit_once('.').unwrap();
        format!("{head}.forged")
    };
    world
        .sign(&[], &["--identity-token", &forged])
        .code(1)
        .stderr(predicate::str::contains("401"));
    assert!(!world.path(SIGNATURE).exists());
}

#[test]
fn a_bad_bundle_is_refused_before_any_token_is_used() {
    let world = World::new();
    let mut bytes = fs::read(world.path(BUNDLE)).unwrap();
    bytes[100] ^= 0xff;
    fs::write(world.path(BUNDLE), bytes).unwrap();
    let token = world.sigstore.token(ALICE);
    world
        .sign(&[("SIGSTORE_ID_TOKEN", &token)], &[])
        .code(1)
        .stderr(predicate::str::contains("Nothing was signed"));
    assert!(!world.path(SIGNATURE).exists());
    assert!(world.sigstore.requests.lock().unwrap().is_empty());
}

#[test]
fn identity_tokens_are_never_sent_over_plain_http_to_another_host() {
    let world = World::new();
    let config = world
        .sigstore
        .signing_config_json()
        .replace(&world.sigstore.base, "http://sigstore.example.net");
    fs::write(world.path("signing_config.json"), config).unwrap();
    let token = world.sigstore.token(ALICE);
    world
        .sign(&[("SIGSTORE_ID_TOKEN", &token)], &[])
        .code(1)
        .stderr(predicate::str::contains("never sent in clear"));
    assert!(!world.path(SIGNATURE).exists());
}

#[test]
fn keyless_skills_install_and_audit_clean() {
    let world = World::signed_by(ALICE);
    world.trust("example", &["--identity", ALICE]);
    world
        .cmd()
        .args([
            "install",
            BUNDLE,
            "--dest",
            "skills",
            "--yes",
            "--sigstore-trusted-root",
            "trusted_root.json",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("({ALICE}, issuer")));
    let receipt: Value = serde_json::from_slice(
        &fs::read(world.path("skills/weather-report/.skillsig/receipt.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(receipt["certificate_identity"]["identity"], ALICE);
    assert!(receipt.get("key_id").is_none());
    world
        .cmd()
        .args([
            "audit",
            "skills",
            "--sigstore-trusted-root",
            "trusted_root.json",
        ])
        .assert()
        .success();
    // Another trust root (say, next year's) no longer names the identity: the audit says so.
    let other = |cmd: &mut Command| {
        cmd.env("SKILLSIG_TRUST_ROOT", world.path("trust2.json"))
            .env("SKILLSIG_STATE_DIR", world.path("state2"));
    };
    let mut init = world.cmd();
    other(&mut init);
    init.args(["trust", "init"]).assert().success();
    let mut add = world.cmd();
    other(&mut add);
    add.args([
        "trust",
        "add-publisher",
        "example",
        "--namespace",
        "example",
    ])
    .args([
        "--identity",
        "bob@example.com",
        "--issuer",
        &world.sigstore.issuer(),
    ])
    .assert()
    .success();
    let mut audit = world.cmd();
    other(&mut audit);
    audit
        .args([
            "audit",
            "skills",
            "--sigstore-trusted-root",
            "trusted_root.json",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("signer-not-trusted"));
}

#[test]
fn sign_bundle_protocol_signs_a_file_that_verify_bundle_accepts() {
    let world = World::new();
    fs::write(world.path("a.txt"), "hello, conformance\n").unwrap();
    let token = world.sigstore.token(ALICE);
    world
        .cmd()
        .args([
            "sign-bundle",
            "--identity-token",
            &token,
            "--bundle",
            "a.txt.sigstore.json",
            "--trusted-root",
            "trusted_root.json",
            "--signing-config",
            "signing_config.json",
            "a.txt",
        ])
        .assert()
        .success();
    let verify = |file: &str, identity: &str| {
        world
            .cmd()
            .args([
                "verify-bundle",
                "--bundle",
                "a.txt.sigstore.json",
                "--certificate-identity",
                identity,
                "--certificate-oidc-issuer",
                &world.sigstore.issuer(),
                "--trusted-root",
                "trusted_root.json",
                file,
            ])
            .assert()
    };
    verify("a.txt", ALICE).success();
    let digest = {
        use sha2::Digest as _;
        format!(
            "sha256:{}",
            hex::encode(sha2::Sha256::digest(b"hello, conformance\n"))
        )
    };
    verify(&digest, ALICE).success();
    verify("a.txt", "bob@example.com").code(1);
    fs::write(world.path("b.txt"), "another file\n").unwrap();
    verify("b.txt", ALICE).code(1);
    // A refused token leaves no bundle behind.
    world
        .cmd()
        .args([
            "sign-bundle",
            "--identity-token",
            "x.y.z",
            "--bundle",
            "refused.sigstore.json",
            "--trusted-root",
            "trusted_root.json",
            "--signing-config",
            "signing_config.json",
            "a.txt",
        ])
        .assert()
        .code(1);
    assert!(!world.path("refused.sigstore.json").exists());
}

#[test]
fn oms_folders_sign_keyless_and_verify_with_their_log_entry() {
    let world = World::new();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/skills/weather-report");
    let dir = world.path("weather-report");
    fs::create_dir_all(dir.join("scripts")).unwrap();
    for file in ["SKILL.md", "skillsig.toml", "scripts/forecast.py"] {
        if example.join(file).is_file() {
            fs::copy(example.join(file), dir.join(file)).unwrap();
        }
    }
    let token = world.sigstore.token(ALICE);
    world
        .cmd()
        .args([
            "sign",
            "weather-report",
            "--format",
            "oms",
            "--keyless",
            "--identity-token",
            &token,
            "--signing-config",
            "signing_config.json",
            "--sigstore-trusted-root",
            "trusted_root.json",
        ])
        .assert()
        .success();
    world.trust("example", &["--identity", ALICE]);
    world
        .cmd()
        .args([
            "verify",
            "weather-report",
            "--sigstore-trusted-root",
            "trusted_root.json",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("signed by   {ALICE}")))
        .stdout(predicate::str::contains("transparency log entry verified"));
    fs::write(dir.join("SKILL.md"), "changed\n").unwrap();
    world
        .cmd()
        .args([
            "verify",
            "weather-report",
            "--sigstore-trusted-root",
            "trusted_root.json",
        ])
        .assert()
        .code(1);
}
