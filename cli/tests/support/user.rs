//! A user for command-line tests, with nothing of their own.

use std::path::Path;

use assert_cmd::Command;

/// `skillsig` run in `dir` by a user whose trust root, state folder and policy are files in
/// `dir`, and who has no passphrase or identity token in the environment.
pub fn skillsig_in(dir: &Path) -> Command {
    Command::from_std(skillsig_process_in(dir))
}

/// [`skillsig_in`] as a plain process, for one that runs while the test does something else.
pub fn skillsig_process_in(dir: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("skillsig"));
    cmd.current_dir(dir)
        .env("SKILLSIG_TRUST_ROOT", dir.join("trust.json"))
        .env("SKILLSIG_STATE_DIR", dir.join("state"))
        .env("SKILLSIG_POLICY", dir.join("no-policy.toml"))
        .env_remove("SKILLSIG_PASSWORD")
        .env_remove("SIGSTORE_ID_TOKEN")
        .env_remove("ACTIONS_ID_TOKEN_REQUEST_URL")
        .env_remove("ACTIONS_ID_TOKEN_REQUEST_TOKEN");
    cmd
}

/// Trusts the public key file `public_key` (relative to `dir`) as publisher `example`, for
/// namespace `example`, in the trust root that [`skillsig_in`] gives `dir` (which must exist).
#[allow(dead_code)] // The keyless tests trust identities, not keys.
pub fn trust_example_key(dir: &Path, public_key: &str) {
    skillsig_in(dir)
        .args([
            "trust",
            "add-publisher",
            "example",
            "--namespace",
            "example",
        ])
        .args(["--key", public_key])
        .assert()
        .success();
}

/// Asserts a refusal (exit 1) and returns the `error` object of its `--json` output.
#[allow(dead_code)] // Not every test binary checks refusals this way.
pub fn refusal(assert: assert_cmd::assert::Assert) -> serde_json::Value {
    let output: serde_json::Value = serde_json::from_slice(&assert.code(1).get_output().stdout)
        .expect("a --json refusal prints a JSON object");
    output["error"].clone()
}
